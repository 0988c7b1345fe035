"""The parties an article names: its institutions (by name, however often named) and the other
capitalised names that may be parties the institution finder does not know ("Daiichi Sankyo",
"StemGenex", "UCLH"). Read once per article (``parsers.claims.features.article_facts``)."""

from __future__ import annotations

import bisect
import re

from ..decisions import merge_key
from ..institutions import NOT_PARTIES, Institution
from ..spans import SpanSet
from ..wordlists import word_list
from .reading import Reading

# A run of capitalised words (or one camel-cased or upper-case word): a name the institution
# finder may not know to be one ("Daiichi Sankyo", "StemGenex", "UCLH").
_PROPER = re.compile(
    r"(?<![\w’'])(?:[A-Z][\w’'&.-]*[\w&]|[A-Z]{2,})(?:(?:\s+(?:of|and|for|de|&))?\s+(?:[A-Z][\w’'&.-]*[\w&]|[A-Z]{2,}))*"
)
_LEADING = word_list("name_leading_word")
_MAX_NAME_WORDS = 6
_TAKEN_ROLES = ("therapy", "condition", "place", "regulator")


def _other_names(reading: Reading) -> list[tuple[int, Institution]]:
    """Capitalised names that the institution finder did not take, nor the vocabulary
    (therapies, conditions, places, regulators): parties of kind "name"."""
    a = reading.analysis
    known = a.institutions
    starts = [x.start for x in known]
    out = []
    for i in range(reading.sentence_count):
        s = a.sentences[i]
        lo, hi = bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end)
        taken = SpanSet(
            [(m.start, m.end) for role in _TAKEN_ROLES for m in a.of_role(i, role)]
            + [(x.start, x.end) for x in known[lo:hi]]
        )
        for m in _PROPER.finditer(reading.text, s.start, s.end):
            words = m.group().split()
            dropped = 0
            while words and words[0] in _LEADING:
                dropped += 1
                words.pop(0)
            if not words or len(words) > _MAX_NAME_WORDS:
                continue
            start = m.start()
            for _ in range(dropped):  # past each leading word and the space after it
                start = reading.text.index(" ", start) + 1
                while reading.text[start].isspace():
                    start += 1
            end = m.end()
            name = reading.text[start:end].rstrip(".")
            end = start + len(name)
            if len(name) < 3 or taken.overlaps(start, end):
                continue
            out.append((i, Institution(start, end, name, "name")))
    return out


def party_table(reading: Reading) -> dict[str, tuple[tuple[int, Institution], ...]]:
    """Every institution the article names (not journals), by name key, with its sentences."""
    a = reading.analysis
    out: dict[str, list[tuple[int, Institution]]] = {}
    for i in range(reading.sentence_count):
        for inst in a.institutions_in(i):
            if inst.kind not in NOT_PARTIES:
                out.setdefault(merge_key(inst.name), []).append((i, inst))
    return {k: tuple(v) for k, v in out.items()}


def names_by_sentence(reading: Reading) -> tuple[tuple[tuple[str, Institution], ...], ...]:
    """Per sentence, the other capitalised names it holds, with their name keys."""
    found = _other_names(reading)
    out: list[list[tuple[str, Institution]]] = [[] for _ in range(reading.sentence_count)]
    for i, inst in found:
        out[i].append((merge_key(inst.name), inst))
    return tuple(tuple(x) for x in out)
