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

from ..spans import SpanSet
from ..wordlists import word_list

_HEADS = word_list("condition_head")
_SUFFIXES = tuple(sorted(word_list("condition_suffix"), key=len, reverse=True))
_STOP = word_list("condition_stop")
_GENERIC = word_list("condition_generic")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_ABBREVIATION = re.compile(r"(?<=\s)\([A-Z0-9][A-Za-z0-9-]{1,10}\)(?=\s)")
MAX_WORDS = 4  # modifier words before the head word


def _is_head(word: str) -> bool:
    lower = word.lower()
    if lower in _HEADS or lower.rstrip("s") in _HEADS:
        return True
    return len(lower) >= 8 and lower.endswith(_SUFFIXES) and lower not in _STOP


# Where a head word may stand, found on the lower-cased text in two quick passes: a head word
# (plural too), or a word ending in a suffix (checked whole afterwards).
_HEAD_WORD = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _HEADS), key=len, reverse=True)) + r")s?\b")
_SUFFIX_END = re.compile(r"(?:" + "|".join(map(re.escape, _SUFFIXES)) + r")\b")


def _head_ends(lower: str) -> list[int]:
    """Where the words that may be head words end, in order."""
    ends = {m.end() for m in _HEAD_WORD.finditer(lower)}
    ends.update(m.end() for m in _SUFFIX_END.finditer(lower))
    return sorted(ends)


def unlisted_conditions(text: str, known: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """Spans of condition phrases in ``text`` that do not overlap ``known`` spans (the
    vocabulary's conditions), each with its name (lower case, words single-spaced)."""
    # "ornithine transcarbamylase (OTC) deficiency": a bracketed abbreviation is read as space.
    plain = _ABBREVIATION.sub(lambda m: " " * len(m.group()), text) if "(" in text else text
    taken = SpanSet(known)
    out: list[tuple[int, int, str]] = []
    for head_end in _head_ends(plain.lower()):
        # The head word and the words before it (a few, on the same line).
        lo = max(plain.rfind("\n", max(0, head_end - 120), head_end) + 1, head_end - 120, 0)
        tokens = list(_TOKEN.finditer(plain, lo, head_end))
        if not tokens or tokens[-1].end() != head_end or not _is_head(tokens[-1].group()):
            continue  # "anti-tumor": the head is part of another word
        k = len(tokens) - 1
        token = tokens[k]
        first = k
        while (
            first > 0
            and k - first < MAX_WORDS
            and tokens[first - 1].group().lower() not in _STOP
            and not tokens[first - 1].group().lower().endswith("ing")  # "involving", "causing"
            and _joined(plain, tokens[first - 1].end(), tokens[first].start())
        ):
            first -= 1
        words = [t.group().lower() for t in tokens[first : k + 1]]
        headed = words[-1] in _HEADS or words[-1].rstrip("s") in _HEADS
        if headed and all(w in _GENERIC for w in words[:-1]):
            continue  # a head word alone, or with words of degree ("rare disease"), names nothing
        start, end = tokens[first].start(), token.end()
        if taken.overlaps(start, end):
            continue
        out.append((start, end, " ".join(words)))
    return out


def _joined(text: str, end: int, start: int) -> bool:
    """Words joined by a space or a hyphen only (no comma, full stop or bracket between)."""
    gap = text[end:start]
    return gap in ("-", "\u2010", "\u2011", "\u2013") or (gap.isspace() and "\n" not in gap)
