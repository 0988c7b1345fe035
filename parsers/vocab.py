"""Vocabularies (data files in ``parsers/data``) and one Aho-Corasick automaton over them all.

Every term is matched on text normalised by ``parsers.text.normalise_for_matching`` (lower
case, dashes as spaces), at word boundaries, with an optional plural "s" for therapies and
conditions. A term written with a capital letter in its data file (an abbreviation such as
"ALL", "MS" or a brand name) must also match its case in the original text.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick

from .models import THERAPIES
from .text import normalise_for_matching

# Higher wins when several therapy terms govern one condition: the most specific therapy.
THERAPY_RANK: dict[str, int] = {
    "CAR-T cell therapy": 90,
    "other immune cell therapy": 85,
    "iPSC-derived cell therapy": 80,
    "mesenchymal stem cell therapy": 75,
    "gene editing": 70,
    "gene therapy": 65,
    "stem cell therapy": 60,
    "cell therapy": 40,
    "cell and gene therapy": 30,
}
ENTITY_ROLES = frozenset({"therapy", "condition", "place", "regulator"})
_PLURAL_ROLES = frozenset({"therapy", "condition"})


@dataclass(frozen=True, slots=True)
class Term:
    role: str  # therapy, condition, place, regulator, stage, block, outcome, ...
    value: str  # the normalised value: therapy name, condition name, stage, outcome, country
    rank: int = 0
    case_surface: str | None = None  # set when the term must match this exact case
    category: str | None = None
    code: str | None = None
    scope: str | None = None  # conditions: None (specific), "umbrella" or "catchall"


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int
    term: Term

    @property
    def role(self) -> str:
        return self.term.role

    @property
    def value(self) -> str:
        return self.term.value


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def _keep_case(term: str) -> str:
    return re.sub(r"[-\u2010-\u2014\s]+", " ", term).strip()


class Vocabulary:
    """All terms, and a scanner that finds them in a text."""

    def __init__(self) -> None:
        self._terms: dict[str, list[Term]] = {}
        self.condition_category: dict[str, str] = {}
        self.condition_code: dict[str, str] = {}
        self.condition_scope: dict[str, str] = {}
        self.institution_heads: dict[str, str] = {}
        for row in _rows("therapies.csv"):
            therapy = row["therapy"].strip()
            if therapy not in THERAPIES:
                raise ValueError(f"therapies.csv: unknown therapy {therapy!r}")
            rank = int(row["rank"]) if (row.get("rank") or "").strip() else THERAPY_RANK[therapy]
            self._add(row["term"], Term("therapy", therapy, rank))
        for row in _rows("conditions.csv"):
            name = row["name"].strip()
            self.condition_category[name] = row["category"].strip()
            self.condition_code[name] = (row.get("icd10") or "").strip()
            self.condition_scope[name] = (row.get("scope") or "").strip()
            # The name itself matches in any case; synonyms follow the capital-letter rule.
            for synonym in {name.lower(), *row["synonyms"].split("|")}:
                if synonym.strip():
                    self._add(
                        synonym,
                        Term(
                            "condition",
                            name,
                            category=row["category"].strip(),
                            code=(row.get("icd10") or "").strip() or None,
                            scope=(row.get("scope") or "").strip() or None,
                        ),
                    )
        for row in _rows("cues.csv"):
            self._add(row["phrase"], Term(row["role"].strip(), (row.get("value") or "").strip()))
        for row in _rows("places.csv"):
            self._add(row["name"], Term("place", row["country"].strip()), surface=row["name"])
        for row in _rows("regulators.csv"):
            self._add(row["name"], Term("regulator", row["country"].strip()), surface=row["name"])
        for row in _rows("institutions.csv"):
            self.institution_heads[row["word"].strip()] = row["kind"].strip()
        self._automaton = ahocorasick.Automaton()
        for key, terms in self._terms.items():
            self._automaton.add_word(key, (key, tuple(terms)))
        self._automaton.make_automaton()

    def _add(self, raw: str, term: Term, surface: str | None = None) -> None:
        raw = raw.strip()
        if not raw:
            return
        key = " ".join(normalise_for_matching(raw).split())
        if surface is not None or any(c.isupper() for c in raw):
            term = dataclasses.replace(term, case_surface=_keep_case(surface or raw))
        bucket = self._terms.setdefault(key, [])
        if term not in bucket:
            bucket.append(term)

    def scan(self, text: str, normalised: str | None = None) -> list[Match]:
        """Every vocabulary term in ``text``, longest first where matches nest.

        A match strictly inside a longer match of the same kind (any entity, or a cue of the
        same role) is dropped: "acute liver failure" hides "liver failure", "clinical trial"
        hides "trial", but the outcome cue "died" inside "died from" stays.
        """
        norm = normalised if normalised is not None else normalise_for_matching(text)
        n = len(norm)
        found: list[Match] = []
        for end, (key, terms) in self._automaton.iter(norm):
            start = end - len(key) + 1
            if start > 0 and norm[start - 1].isalnum():
                continue
            after = end + 1
            plural = after < n and norm[after] == "s" and (after + 1 >= n or not norm[after + 1].isalnum())
            if after < n and norm[after].isalnum() and not plural:
                continue
            for term in terms:
                stop = after
                if plural:
                    if term.role not in _PLURAL_ROLES:
                        continue
                    stop = after + 1
                if term.case_surface is not None and _keep_case(text[start:after]) != term.case_surface:
                    continue
                found.append(Match(start, stop, term))
        unique = {(m.start, m.end, m.role, m.value): m for m in found}
        return _drop_nested(list(unique.values()))


def _drop_nested(matches: list[Match]) -> list[Match]:
    kept: list[Match] = []
    groups: dict[str, list[Match]] = {}
    for m in matches:
        groups.setdefault("entity" if m.role in ENTITY_ROLES else m.role, []).append(m)
    for group in groups.values():
        group.sort(key=lambda m: (m.start, -(m.end - m.start)))
        spans = [(m.start, m.end) for m in group]
        for m in group:
            if any(s <= m.start and m.end <= e and (e - s) > (m.end - m.start) for s, e in spans):
                continue
            kept.append(m)
    kept.sort(key=lambda m: (m.start, m.end))
    return kept


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary shipped with cgt-monitor (built once per process)."""
    return Vocabulary()
