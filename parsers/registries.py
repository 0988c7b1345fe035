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


def registry_ids(text: str) -> tuple[str, ...]:
    """The registry identifiers ``text`` names, normalised, in order of first appearance."""
    found: dict[str, int] = {}
    for _registry, pattern in _patterns():
        for m in pattern.finditer(text):
            found.setdefault(normalise_registry_id(m.group()), m.start())
    return tuple(sorted(found, key=found.__getitem__))
