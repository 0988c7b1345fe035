"""Trial registry identifiers named in a text (NCT..., ChiCTR..., jRCT..., EudraCT, EU CT,
ISRCTN, ACTRN, CTRI, UMIN, KCT, DRKS), from ``data/trial_registries.csv``."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data" / "trial_registries.csv"


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    with _DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if line.strip() and not line.startswith("#")))
    return tuple(
        (row["registry"], re.compile(rf"(?<![\w-])(?:{row['pattern']})(?![\w/])", re.I)) for row in rows
    )


def registry_examples() -> dict[str, list[str]]:
    """The examples of each registry's row (for the tests)."""
    with _DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if line.strip() and not line.startswith("#")))
    return {row["registry"]: row["examples"].split("|") for row in rows}


def normalise_registry_id(found: str) -> str:
    """``EudraCT number 2017-000122-41`` -> ``EUDRACT2017-000122-41``; ``nct05434702`` ->
    ``NCT05434702``: upper case, the words between the prefix and the number dropped."""
    text = found.upper()
    for prefix in ("EUDRACT", "EU CT", "EUCT"):
        if text.startswith(prefix):
            number = re.search(r"\d{4}-\d{6}-\d{2}(?:-\d{2})?", text)
            return ("EUCT" if prefix != "EUDRACT" else "EUDRACT") + (number.group() if number else "")
    return re.sub(r"\s+", "", text)


@cache
def _any_registry() -> re.Pattern[str]:
    """Every registry's pattern in one (one pass over the text instead of one per registry)."""
    return re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _patterns()), re.I)


_DIGITS = re.compile(r"\d{4,}")  # every identifier holds a run of four digits or more
_SPACE = re.compile(r"\s")


def registry_ids(text: str) -> tuple[str, ...]:
    """The registry identifiers ``text`` names, normalised, in order of first appearance. Only
    the stretches around runs of four digits are searched (a news text has a few: years,
    sums), each from 40 characters before the run to the first space after it."""
    found: dict[str, int] = {}
    pattern = _any_registry()
    searched_to = 0
    for run in _DIGITS.finditer(text):
        if run.end() <= searched_to:
            continue
        space = _SPACE.search(text, run.end())
        hi = space.start() if space else len(text)
        for m in pattern.finditer(text, max(searched_to, run.start() - 40), hi):
            found.setdefault(normalise_registry_id(m.group()), m.start())
        searched_to = hi
    return tuple(sorted(found, key=found.__getitem__))
