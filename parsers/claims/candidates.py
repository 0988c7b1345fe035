"""Candidates: every (therapy family, condition) an article could be claiming, tuned for recall.

A candidate is a condition the article names (a vocabulary condition, in any role) paired with
a family of therapy the article names (cell or gene; "cell and gene therapy" counts for
both). Whether it is a claim, at which stage, is decided later (``parsers.claims.decide``);
here only what it would say if it were one: the indication in the article's own words, the
most specific therapy of its family named with it, and the sentences that speak of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Therapy
from .reading import FAMILIES, ConditionMention, Reading

_GENERIC = {"cell": Therapy.CELL, "gene": Therapy.GENE}


@dataclass(frozen=True, slots=True)
class Candidate:
    family: str  # "cell" or "gene"
    condition: str  # the vocabulary's name of the condition
    indication: str  # the condition as the article words it
    therapy: Therapy  # the most specific therapy of the family named for it
    therapy_words: str  # the words naming that therapy ("CAR-T cells", "Zolgensma")
    product: str | None  # the product (products.csv name) when one is named for it
    mentions: tuple[ConditionMention, ...]
    sentences: tuple[int, ...]  # sentences naming the condition
    development_sentences: tuple[int, ...]  # those, and the rules' sentences of its development


def looks_abbreviated(words: str) -> bool:
    """ "ALL", "ADA-SCID", "SMA": an abbreviation says less than the name it stands for."""
    letters = [c for c in words if c.isalpha()]
    return len(words) <= 8 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def indication_words(reading: Reading, mentions: tuple[ConditionMention, ...]) -> str:
    """The article's own name for the condition: its first name that holds no abbreviation
    ("AADC deficiency", "SMA Type 1" say less than the names they shorten), among the mentions
    read as indications (else among all); the vocabulary name when the article only
    abbreviates it."""
    pool = [m for m in mentions if m.indication] or list(mentions)
    names = [" ".join(reading.words(m.match).split()) for m in pool]
    full = [w for w in names if not any(looks_abbreviated(x) for x in w.split())]
    standard = pool[0].match.value.lower()
    return next((w for w in full if standard in w.lower()), None) or (
        full[0] if full else pool[0].match.value
    )


def _development_sentences(reading: Reading, family: str, condition: str) -> set[int]:
    out: set[int] = set()
    for dev in reading.developments:
        if dev.condition != condition:
            continue
        families = {reading.family_of(link.therapy) for link in dev.links}
        if family in families or "cgt" in families:
            out |= dev.sentences
    return out


def find_candidates(reading: Reading) -> list[Candidate]:
    """Every (family, condition) pair the article supports, in the order the conditions are
    first named."""
    families = [f for f in FAMILIES if reading.therapies.get(f) or reading.therapies.get("cgt")]
    out = []
    for condition, mentions in reading.conditions.items():
        sentences = tuple(sorted({m.sentence for m in mentions}))
        words = indication_words(reading, mentions)
        for family in families:
            own = reading.therapies.get(family, ()) or reading.therapies.get("cgt", ())
            near = [t for t in own if t.sentence in sentences] or list(own)
            best = max(near, key=lambda t: t.match.term.rank)
            development = set(_development_sentences(reading, family, condition)) | set(sentences)
            if Therapy(best.match.value).narrower:
                # A generic term gives way to a kind of it named in the development's sentences
                # ("cell therapy" in one sentence, "the CAR-T cells" in the next).
                kinds = Therapy(best.match.value).narrower
                specific = [t for t in own if t.sentence in development and t.match.value in kinds]
                if specific:
                    best = max(specific, key=lambda t: t.match.term.rank)
            therapy = Therapy(best.match.value)
            if family == "cell" and therapy.family not in ("cell", "immune"):
                therapy = Therapy.OTHER_IMMUNE_CELL if therapy is Therapy.GENE_EDITING else _GENERIC[family]
            elif family == "gene" and therapy.family != "gene":
                therapy = _GENERIC[family]
            products = [t.match.term.product for t in near if t.match.term.product]
            out.append(
                Candidate(
                    family=family,
                    condition=condition,
                    indication=words,
                    therapy=therapy,
                    therapy_words=reading.words(best.match),
                    product=products[0] if products else None,
                    mentions=mentions,
                    sentences=sentences,
                    development_sentences=tuple(sorted(development)),
                )
            )
    return out
