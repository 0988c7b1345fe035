"""Word lists and number words of ``data/word_lists.csv`` and ``data/number_words.csv``: the
stop-lists the extractor reads, kept as data so that a reviewer changes them in one place.

    word_list("abbreviation")      # frozenset({"mr", "dr", ...})
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if line.strip() and not line.startswith("#")))


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for row in _rows("word_lists.csv"):
        found.setdefault(row["list"].strip(), set()).add(row["word"])
    return {name: frozenset(words) for name, words in found.items()}


def word_list(name: str) -> frozenset[str]:
    """The words of one list (KeyError for a list the file does not have)."""
    return _lists()[name]


@lru_cache(maxsize=1)
def number_words() -> dict[str, int]:
    """Number words and their values ("two" -> 2, "a" -> 1, "dozen" -> 12)."""
    return {row["word"].strip(): int(row["value"]) for row in _rows("number_words.csv")}


@lru_cache(maxsize=1)
def ordinal_words() -> dict[str, int]:
    """Ordinal words and their values ("second" -> 2)."""
    return {row["word"].strip(): int(row["value"]) for row in _rows("ordinals.csv")}
