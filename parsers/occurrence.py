"""Which occurrence of an event a report numbers: "a second patient has died" -> 2.

News numbers a repeated event of one development ("a second death", "the third patient
treated", "its 2nd case"). Reports that number different occurrences are about different news
events even when party, therapy, condition and stage are the same; storage keeps them as
separate events of one development. A report without an ordinal says nothing about it (None).

    stated_occurrence("after a second patient has died")   # 2
    stated_occurrence("a second-generation CAR-T")         # None (a hyphen makes it a compound)
"""

from __future__ import annotations

import re
from functools import lru_cache

from .wordlists import ordinal_words, word_list

# Words that may stand between the ordinal and its noun ("a second young patient"); function
# words may not ("the second of two trials", "first in patients").
_NOT_A_MODIFIER = frozenset(
    {"of", "in", "to", "for", "and", "or", "the", "a", "an", "with", "by", "at", "on", "from", "than", "time"}
)
# A noun followed by these names a part of a trial, not an occurrence ("the second patient cohort").
_PART_OF_A_TRIAL = ("group", "cohort", "arm", "population", "population's")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    ordinals = "|".join(sorted(ordinal_words(), key=len, reverse=True))
    nouns = "|".join(sorted(word_list("event_noun"), key=len, reverse=True))
    not_modifier = "|".join(sorted(_NOT_A_MODIFIER))
    part = "|".join(_PART_OF_A_TRIAL)
    return re.compile(
        rf"\b(?P<ordinal>{ordinals}|\d{{1,2}}(?:st|nd|rd|th))(?![\w-])"
        rf"(?:\s+(?!(?:{not_modifier})\b)[a-z]+(?:-[a-z]+)*){{0,2}}?"
        rf"\s+(?:{nouns})s?\b(?!\s+(?:{part})s?\b)"
    )


def stated_occurrence(text: str) -> int | None:
    """The highest occurrence an ordinal numbers in ``text`` (None when none does): a report
    of a second death usually recalls the first, and it is about the second."""
    found = [_value(m.group("ordinal")) for m in _pattern().finditer(text.lower())]
    return max(found) if found else None


def _value(ordinal: str) -> int:
    if ordinal[0].isdigit():
        return int(ordinal[:-2])
    return ordinal_words()[ordinal]
