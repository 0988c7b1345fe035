"""Sentences with character offsets, and a length-preserving normalisation for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "no",
        "nos",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "assoc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "e.g",
        "i.e",
        "al",
        "fig",
        "gov",
        "gen",
        "sen",
        "rep",
        "rev",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "ph.d",
        "m.d",
        "b.sc",
        "m.sc",
        "approx",
        "est",
        "ave",
        "blvd",
    ]
)
_BOUNDARY = re.compile(r"""[.!?]+["”’')\]]*(?=\s+["“‘'(\[]?[A-Z0-9])""")
_PARAGRAPH = re.compile(r"\n\s*\n|\n")

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_TRANSLATE = {ord(c): " " for c in _DASHES}
_TRANSLATE.update(
    {
        ord("\u2019"): "'",
        ord("\u2018"): "'",
        ord("`"): "'",
        ord("\u201c"): '"',
        ord("\u201d"): '"',
        ord("\u00a0"): " ",
        ord("\t"): " ",
        ord("\n"): " ",
        ord("\r"): " ",
        ord("/"): "/",
    }
)


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    index: int


def normalise_for_matching(text: str) -> str:
    """Lower-case ``text``, turn dashes and line breaks into spaces and curly quotes into
    straight ones, keeping every character at its offset (so matches map back to ``text``)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters (e.g. "İ") lower-case to two
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.translate(_TRANSLATE)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` in order; paragraph breaks always end a sentence."""
    sentences: list[Sentence] = []
    paragraph = 0
    pos = 0
    for block in _PARAGRAPH.split(text) + [None]:
        if block is None:
            break
        block_start = text.find(block, pos) if block else pos
        pos = block_start + len(block)
        if not block.strip():
            continue
        start = block_start
        for match in _BOUNDARY.finditer(block):
            end = block_start + match.end()
            word = re.search(r"(\S*?\s)?([\w.]+)[.!?]+[\"”’')\]]*$", text[start:end])
            token = word.group(2).lower().rstrip(".") if word else ""
            before = (word.group(1) or "").strip() if word else ""
            # A lone capital after a capitalised word is an initial ("John F. Kennedy");
            # after a lower-case word it ends a sentence ("hemophilia B.").
            initial = len(token) == 1 and token.isalpha() and (not before or before[:1].isupper())
            if token in _ABBREVIATIONS or initial:
                continue
            _append(sentences, text, start, end, paragraph)
            start = end
        _append(sentences, text, start, block_start + len(block), paragraph)
        paragraph += 1
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, paragraph, len(out)))
