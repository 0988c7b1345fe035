"""Sets of text spans asked "does this span overlap one of you?" in logarithmic time: a page
without full stops is one sentence of thousands of mentions, where a scan of every taken span
per candidate would be quadratic."""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class SpanSet:
    """Half-open spans ``(start, end)`` of one text."""

    __slots__ = ("_spans", "_starts", "_longest")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._spans = sorted(spans)
        self._starts = [a for a, _ in self._spans]
        self._longest = max((b - a for a, b in self._spans), default=0)

    def __len__(self) -> int:
        return len(self._spans)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``start:end`` shares a character with one of the spans (only the spans that
        start within the longest one's length before it are tried)."""
        spans, starts = self._spans, self._starts
        k = bisect.bisect_left(starts, end)
        while k > 0 and starts[k - 1] > start - self._longest:
            k -= 1
            if spans[k][1] > start:
                return True
        return False
