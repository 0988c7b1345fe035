"""Conditions the vocabulary does not list, found by their form: a noun phrase that ends in a
word naming a disease ("Hunter syndrome", "ornithine transcarbamylase deficiency", "cervical
cancer") or in a word with a disease suffix ("dermatomyositis", "retinopathy").

    unlisted_conditions(text, known)   # -> [(start, end, "hunter syndrome"), ...]

Candidates only: the learned decisions weigh them like any other condition (with a feature
saying the vocabulary does not know them). Head words, suffixes and the words that cannot
start such a phrase are data (``data/word_lists.csv``: condition_head, condition_suffix,
condition_stop, condition_generic).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..wordlists import word_list

_HEADS = word_list("condition_head")
_SUFFIXES = tuple(sorted(word_list("condition_suffix"), key=len, reverse=True))
_STOP = word_list("condition_stop")
_GENERIC = word_list("condition_generic")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_ABBREVIATION = re.compile(r"(?<=\s)\([A-Z0-9][A-Za-z0-9-]{1,10}\)(?=\s)")
MAX_WORDS = 4  # modifier words before the head word


def _is_head(word: str) -> bool:
    w = word.lower().rstrip("s") if word.lower() not in _HEADS else word.lower()
    if w in _HEADS or word.lower() in _HEADS:
        return True
    lower = word.lower()
    return len(lower) >= 8 and lower.endswith(_SUFFIXES) and lower not in _STOP


def unlisted_conditions(text: str, known: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """Spans of condition phrases in ``text`` that do not overlap ``known`` spans (the
    vocabulary's conditions), each with its name (lower case, words single-spaced)."""
    # "ornithine transcarbamylase (OTC) deficiency": a bracketed abbreviation is read as space.
    plain = _ABBREVIATION.sub(lambda m: " " * len(m.group()), text)
    tokens = list(_TOKEN.finditer(plain))
    taken = sorted(known)
    out: list[tuple[int, int, str]] = []
    for k, token in enumerate(tokens):
        if not _is_head(token.group()):
            continue
        first = k
        while (
            first > 0
            and k - first < MAX_WORDS
            and tokens[first - 1].group().lower() not in _STOP
            and _joined(plain, tokens[first - 1].end(), tokens[first].start())
        ):
            first -= 1
        words = [t.group().lower() for t in tokens[first : k + 1]]
        headed = words[-1] in _HEADS or words[-1].rstrip("s") in _HEADS
        if headed and all(w in _GENERIC for w in words[:-1]):
            continue  # a head word alone, or with words of degree ("rare disease"), names nothing
        start, end = tokens[first].start(), token.end()
        if any(a < end and start < b for a, b in taken):
            continue
        out.append((start, end, " ".join(words)))
    return out


def _joined(text: str, end: int, start: int) -> bool:
    """Words joined by a space or a hyphen only (no comma, full stop or bracket between)."""
    gap = text[end:start]
    return gap in ("-", "\u2010", "\u2011", "\u2013") or (gap.isspace() and "\n" not in gap)
