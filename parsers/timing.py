"""Stage timing without a clock: callers that measure (``flows``) pass a ``timer`` — a
function from a stage name to a context manager — and the parsers wrap their stages in it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

Timer = Callable[[str], AbstractContextManager[Any]]

STAGES = ("parse", "date", "extract", "dedup")


def no_timer(stage: str) -> AbstractContextManager[Any]:
    return nullcontext()
