"""Stage timing without a clock: callers that measure (``flows``) pass a ``timer`` — a
function from a stage name to a context manager — and the parsers wrap their stages in it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

Timer = Callable[[str], AbstractContextManager[Any]]

# The stages of reading a document, in order: decoding the bytes, the cheap keyword filter of
# a whole page, the HTML tree, metadata (mostly the date), the main text, the claims (with the
# keyword test of the article) and the near-duplicate fingerprint.
STAGES = ("decode", "filter", "parse", "date", "main text", "extract", "dedup")


def no_timer(stage: str) -> AbstractContextManager[Any]:
    return nullcontext()
