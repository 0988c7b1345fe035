"""How many patients a sentence reports on: "two patients", "a 9-year-old girl", "51 out of 54".

    count_patients("Doctors treated two patients with lupus.")   # -> PatientCount(2, 16, 28)

Population figures ("affects 5 million people", "more than 800 patients") and durations are
not patient counts. Words for numbers and patients are lists here, not rules per article.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .wordlists import number_words, word_list

NUMBER_WORDS = number_words()
_SINGULAR_ONLY = {"a", "an", "the", "single", "this"}
PATIENT_NOUN = (
    r"(?:patients?|participants?|cases?|children|child|adults?|people|persons?|subjects?|men|"
    r"women|man|woman|infants?|babies|baby|boys?|girls?|recipients?|volunteers?|individuals?|"
    r"kids?|toddlers?|newborns?|teenagers?|teens?|deaths?)"
)
_NUMBER = r"(\d+(?:,\d{3})*(?![\d,])|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_PATIENTS = re.compile(
    r"\b" + _NUMBER + r"\s+(?:(?!\d[\d,.]*\s)[\w’'‐-]+\s+){0,3}?" + PATIENT_NOUN + r"\b", re.I
)
_TOKEN = re.compile(r"[\w,]+")
_WORD = re.compile(r"[a-z]+")
# "\d(?<!\w\d)\d*" is "\b\d+" written to start with a character class, so that the regex
# engine skips to the next digit instead of trying every position.
_OUT_OF = re.compile(r"\d(?<!\w\d)\d*\s*%?\s*\(?\s*(\d+)\s+(?:out\s+)?of\s+(?:the\s+)?(\d[\d,]*)\b")
_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+)"
# "two of the four patients": matched where " of " stands (a few places per sentence), the
# number before it checked by the pattern that ends there.
_OF_TOTAL = re.compile(
    r"of\s+(?:the|all|these)?\s*(" + _SMALL[3:-1] + r")\s+(?:\w+\s+)?" + PATIENT_NOUN + r"\b", re.I
)
_PART_BEFORE = re.compile(r"\b" + _SMALL + r"\s+(?:out\s+)?$", re.I)
# Words and phrases that make a number a population figure ("affects 5 million people",
# "more than 800 patients"), checked on the words around a count.
_POPULATION_WORDS = word_list("population_word")
_POPULATION_PHRASES = tuple(word_list("population_phrase"))
_BETWEEN_WORD = re.compile(r"(?!\d[\d,.]*$)[\w’'‐-]+")
_NOUN_NEXT = re.compile(r"\s+" + PATIENT_NOUN, re.I)
_NUMBER_LABEL = re.compile(r"(?:\bno\.|#)\s*$", re.I)
_DURATION_AFTER = re.compile(r"\s*(?:years?|months?|weeks?|days?|hours?)\b")


def _population(window: str) -> bool:
    lowered = window.lower()
    if any(phrase in lowered for phrase in _POPULATION_PHRASES):
        return True
    return not _POPULATION_WORDS.isdisjoint(_WORD.findall(lowered))


def _candidates(sentence: str, nouns: Sequence[tuple[int, int]] | None) -> list[tuple[int, int, int]]:
    """(start, end, end of the number) of each "<number> <up to three words> <patient noun>" in
    the sentence, in order. With the nouns' spans known, only the four words before each are
    looked at; else the whole sentence is searched with ``_PATIENTS``."""
    if nouns is None:
        out = []
        for token in _TOKEN.finditer(sentence):
            word = token.group()
            if word[0].isdigit() or word.lower() in NUMBER_WORDS:
                m = _PATIENTS.match(sentence, token.start())
                if m is not None:
                    out.append((m.start(), m.end(), m.end(1)))
        return out
    found: dict[int, tuple[int, int, int]] = {}
    for noun_start, noun_end in nouns:
        tokens = list(_TOKEN.finditer(sentence, max(0, noun_start - 60), noun_start))[-4:]
        for token in tokens:
            word = token.group()
            if not (word[0].isdigit() or word.lower() in NUMBER_WORDS) or token.start() in found:
                continue
            if word.endswith(","):
                continue  # "Nature's 10, a list of people", "On March 25, the eight patients"
            if token.start() > 0 and sentence[token.start() - 1].isalnum():
                continue  # not a word start
            between = sentence[token.end() : noun_start]
            words = between.split()
            if (
                between[:1].isspace()
                and between[-1:].isspace()
                and len(words) <= 3
                and all(_BETWEEN_WORD.fullmatch(w) for w in words)
            ):
                number_end = token.end() if word[0].isdigit() else token.start() + len(word.rstrip(","))
                found[token.start()] = (token.start(), noun_end, number_end)
    return [found[k] for k in sorted(found)]


@dataclass(frozen=True, slots=True)
class PatientCount:
    value: int
    start: int  # offsets in the sentence given
    end: int


def count_patients(sentence: str, nouns: Sequence[tuple[int, int]] | None = None) -> PatientCount | None:
    """The first patient count the sentence states, or None. ``nouns``, the (start, end) spans of the
    sentence's patient nouns when the caller knows them, spares a look at every word: a count
    ends in one of them."""
    return next(iter(_counts(sentence, nouns)), None)


def patient_counts(sentence: str, nouns: Sequence[tuple[int, int]] | None = None) -> list[PatientCount]:
    """Every patient count the sentence states, the one ``count_patients`` gives first."""
    return list(_counts(sentence, nouns))


def _counts(sentence: str, nouns: Sequence[tuple[int, int]] | None) -> Iterator[PatientCount]:
    m = _OUT_OF.search(sentence) if "of" in sentence else None
    if m:
        yield PatientCount(int(m.group(2).replace(",", "")), m.start(), m.end())
    at = sentence.find(" of ")
    while at != -1:  # "two of the four patients": the four
        m = _OF_TOTAL.match(sentence, at + 1)
        part = m and _PART_BEFORE.search(sentence, max(0, at - 20), at + 1)
        if m and part:
            raw = m.group(1).lower()
            yield PatientCount(int(raw) if raw.isdigit() else NUMBER_WORDS[raw], part.start(), m.end())
        at = sentence.find(" of ", at + 1)
    for m_start, m_end, number_end in _candidates(sentence, nouns):
        raw = sentence[m_start:number_end].lower()
        if _NUMBER_LABEL.search(sentence, max(0, m_start - 6), m_start):
            continue  # "No. 455 Hospital", "#3": a label, not a count
        noun = sentence[m_start:m_end].split()[-1].lower()
        tail = sentence[m_end : m_end + 40]
        # 25 characters before, the match and 40 after, searched at once (no population phrase
        # can straddle the match's edges: it starts with a number and ends with a noun).
        if _population(sentence[max(0, m_start - 25) : m_end + 40]):
            continue
        singular = not noun.endswith(("s", "children", "people", "men", "women")) or noun in ("boys", "girls")
        if raw in _SINGULAR_ONLY and (not singular or noun in ("boys", "girls")):
            continue
        if (raw == "the" and noun != "patient") or (
            noun.startswith("death") and raw in _SINGULAR_ONLY - {"a"}
        ):
            continue
        if raw == "both" and re.match(r"\s*and\b", tail):
            continue
        if raw.replace(",", "").isdigit():
            value = int(raw.replace(",", ""))
            if value > 100000 or _DURATION_AFTER.match(sentence, number_end):
                continue
            if 1900 <= value <= 2100 and not _NOUN_NEXT.match(sentence, number_end):
                continue  # a year ("in 2023, patients ...")
            yield PatientCount(value, m_start, m_end)
            continue
        if raw in NUMBER_WORDS:  # not "0b," (a label that starts with a digit)
            yield PatientCount(NUMBER_WORDS[raw], m_start, m_end)


# One person named as the one treated: "the first patient", "a 7-year-old girl", "its first
# participant". Words are data (data/word_lists.csv: single_patient_determiner, _noun, _marker).
_SINGLE_DETERMINERS = word_list("single_patient_determiner")
_SINGLE_NOUNS = word_list("single_patient_noun")
SINGLE_MARKERS = word_list("single_patient_marker")
_SINGLE = re.compile(
    r"\b(" + "|".join(sorted(_SINGLE_DETERMINERS, key=len, reverse=True)) + r")\s+"
    r"((?:[\w’'‐-]+\s+){0,4}?)"
    r"(" + "|".join(sorted(_SINGLE_NOUNS, key=len, reverse=True)) + r")\b(?![’'‐-])",
    re.I,
)
_AGED = re.compile(r"\d+-(?:year|month|week|day)-old|(?:year|month)s?-old", re.I)


@dataclass(frozen=True, slots=True)
class SinglePatient:
    """A phrase naming one patient; offsets in the sentence given."""

    start: int
    end: int
    determiner: str  # lower case
    marker: str | None  # "first", "youngest", ... when one stands in the phrase
    aged: bool  # an age stands in the phrase ("a 7-year-old girl")


def single_patients(sentence: str) -> list[SinglePatient]:
    """Every phrase of the sentence that names one patient, in order. Candidates only: whether
    the claim's patients are that one is for the caller to weigh ("the patient" may be anyone)."""
    if len(sentence) > 5000:  # a page without full stops: only its start is looked at
        sentence = sentence[:5000]
    out = []
    for m in _SINGLE.finditer(sentence):
        words = m.group(2).lower().split()
        if any(w.replace(",", "").isdigit() for w in words):
            continue  # "the 12 patient groups": a count, not one person
        marker = next((w for w in words if w in SINGLE_MARKERS), None)
        out.append(
            SinglePatient(m.start(), m.end(), m.group(1).lower(), marker, bool(_AGED.search(m.group(2))))
        )
    return out
