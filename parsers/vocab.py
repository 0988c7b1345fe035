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

import ahocorasick_rs

from .context import context_rules
from .models import Therapy
from .text import normalise_for_matching, normalise_keep_case

# Higher wins when several therapy terms govern one condition: the most specific therapy.
ENTITY_ROLES = frozenset({"therapy", "condition", "place", "regulator"})
_PLURAL_ROLES = frozenset({"therapy", "condition"})


def _therapy(value: str, table: str) -> Therapy:
    try:
        return Therapy(value.strip())
    except ValueError:
        raise ValueError(f"{table}: unknown therapy {value.strip()!r}") from None


@dataclass(frozen=True, slots=True)
class Term:
    role: str  # therapy, condition, place, regulator, stage, block, outcome, ...
    value: str  # the normalised value: therapy name, condition name, stage, outcome, country
    rank: int = 0
    case_surface: str | None = None  # set when the term must match this exact case
    category: str | None = None
    code: str | None = None
    scope: str | None = None  # conditions: None (specific), "umbrella" or "catchall"
    event: bool = False  # conditions: usually an event (a heart attack), an indication only when marked
    product: str | None = None  # therapies: the product's name when the term names a product
    rule: object | None = None  # context cues: their ``parsers.context.ContextRule``


@dataclass(frozen=True, slots=True)
class Product:
    """A cell or gene therapy product of ``data/products.csv``."""

    name: str
    therapy: str
    owners: tuple[str, ...]
    conditions: tuple[str, ...]
    approved_in: tuple[str, ...]


class Match:
    """One vocabulary term found at ``text[start:end]`` (role and value copied from the term
    for speed: the extractor reads them many times per article)."""

    __slots__ = ("start", "end", "term", "role", "value")

    def __init__(self, start: int, end: int, term: Term) -> None:
        self.start = start
        self.end = end
        self.term = term
        self.role = term.role
        self.value = term.value

    def __repr__(self) -> str:
        return f"Match({self.start}, {self.end}, {self.role}={self.value!r})"


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
        self._terms_cs: dict[str, list[Term]] = {}
        self.condition_category: dict[str, str] = {}
        self.condition_code: dict[str, str] = {}
        self.condition_scope: dict[str, str] = {}
        self.institution_heads: dict[str, str] = {}
        self._therapy_names: dict[str, bool] = {}
        for row in _rows("therapies.csv"):
            therapy = _therapy(row["therapy"], "therapies.csv")
            rank = int(row["rank"]) if (row.get("rank") or "").strip() else therapy.specificity
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
                            event=(row.get("event") or "").strip() == "yes",
                        ),
                    )
        self.products: dict[str, Product] = {}
        for row in _rows("products.csv"):
            therapy = _therapy(row["therapy"], "products.csv")
            conditions = tuple(c.strip() for c in row["conditions"].split("|") if c.strip())
            unknown = [c for c in conditions if c not in self.condition_category]
            if unknown:
                raise ValueError(f"products.csv: {row['name']}: unknown conditions {unknown}")
            product = Product(
                name=row["name"].strip(),
                therapy=therapy,
                owners=tuple(o.strip() for o in row["owner"].split(";") if o.strip()),
                conditions=conditions,
                approved_in=tuple(r.strip() for r in (row.get("approved_in") or "").split("|") if r.strip()),
            )
            self.products[product.name] = product
            # Products rank above the class terms of their therapy: the most specific mention.
            term = Term("therapy", therapy, therapy.specificity + 5, product=product.name)
            for alias in [product.name, *(a.strip() for a in row["aliases"].split("|"))]:
                if alias:
                    self._add(alias, term)
                    if any(c.islower() for c in alias) and any(c.isupper() for c in alias):
                        self._add(alias.upper(), term)  # "ELEVIDYS" as press releases write it
        # INN stems end words: they go into the automaton as suffixes (no word start needed),
        # with the therapy term a word ending in them stands for.
        self._stems: dict[str, tuple[Term, int]] = {}
        for row in _rows("inn_stems.csv"):
            therapy = _therapy(row["therapy"], "inn_stems.csv")
            term = Term("therapy", therapy, therapy.specificity + 1)
            self._stems[row["stem"].strip()] = (term, int(row["min_length"]))
        for row in _rows("cues.csv"):
            self._add(row["phrase"], Term(row["role"].strip(), (row.get("value") or "").strip()))
        for rule in context_rules():
            self._add(rule.phrase, Term("context", rule.category, rule=rule))
        for row in _rows("places.csv"):
            self._add(row["name"], Term("place", row["country"].strip()), surface=row["name"])
        regulators: set[str] = set()
        for row in _rows("regulators.csv"):
            self._add(row["name"], Term("regulator", row["country"].strip()), surface=row["name"])
            regulators.add(row["name"].strip())
        self.regulator_names: frozenset[str] = frozenset(regulators)
        for row in _rows("institutions.csv"):
            word, kind = row["word"].strip(), row["kind"].strip()
            if kind == "intro":
                self._add(word, Term("org_intro", ""))
            elif kind == "after_acronym":
                self._add(word, Term("org_head_lc", word), surface=word)
            else:
                self.institution_heads[word] = kind
                self._add(word.rstrip("."), Term("org_head", kind), surface=word.rstrip("."))
        # Two automata: case-insensitive terms run over the lower-cased text, case-sensitive
        # ones over the text as written, so "ALL" or "Hospital" never fire inside other words.
        self.organization_aliases: dict[str, str] = {}
        for row in _rows("organizations.csv"):
            name, kind = row["name"].strip(), row["kind"].strip()
            for alias in [name, *(a.strip() for a in (row.get("aliases") or "").split("|"))]:
                if alias:
                    self.organization_aliases[alias] = name
                    self._add(alias, Term("org_known", name, category=kind), surface=alias)
        # One automaton over the lower-cased text: a term that must match its case ("ALL",
        # "Hospital") is stored lower-cased and checked against the text as written on a hit.
        merged: dict[str, tuple[list[Term], list[tuple[str, tuple[Term, ...]]]]] = {}
        for key, terms in self._terms.items():
            merged.setdefault(key, ([], []))[0].extend(terms)
        for case_key, terms in self._terms_cs.items():
            merged.setdefault(case_key.lower(), ([], []))[1].append((case_key, tuple(terms)))
        keys: list[str] = []
        self._entries: list[
            tuple[int, tuple[Term, ...], tuple[tuple[str, tuple[Term, ...]], ...], bool, int]
        ] = []
        for key, (terms, cased) in merged.items():
            pluralable = any(t.role in _PLURAL_ROLES for t in terms) or any(
                t.role in _PLURAL_ROLES for _, ts in cased for t in ts
            )
            plural = merged.get(key + "s")
            if pluralable and plural is not None:
                # "stem cells" is a key of its own: the plural of "stem cell" is found there
                # (with the singular's terms), so no span is found twice.
                plural[0].extend(t for t in terms if t.role in _PLURAL_ROLES and t not in plural[0])
                pluralable = False
            keys.append(key)
            self._entries.append((len(key), tuple(terms), tuple(cased), pluralable, 0))
        for stem, (term, min_length) in self._stems.items():
            if stem in merged:
                raise ValueError(f"inn_stems.csv: {stem!r} is also a term")
            keys.append(stem)
            self._entries.append((len(stem), (term,), (), False, min_length))
        # ahocorasick_rs (Rust) finds every overlapping occurrence in one call, about twice as
        # fast as pyahocorasick's iterator on 5 KB articles (measured in bench/extraction.py).
        self._automaton = ahocorasick_rs.AhoCorasick(keys, implementation=ahocorasick_rs.Implementation.DFA)
        # The therapy terms alone (case ignored: a superset), for the cheap test of a whole page.
        therapy_keys = [
            (key, entry[4] > 0)
            for key, entry in zip(keys, self._entries, strict=True)
            if any(t.role == "therapy" for t in entry[1])
            or any(t.role == "therapy" for _, ts in entry[2] for t in ts)
        ]
        self._therapy_stem = [is_stem for _, is_stem in therapy_keys]
        self._therapy_automaton = ahocorasick_rs.AhoCorasick(
            [key for key, _ in therapy_keys], implementation=ahocorasick_rs.Implementation.DFA
        )

    def _add(self, raw: str, term: Term, surface: str | None = None) -> None:
        raw = raw.strip()
        if not raw:
            return
        if surface is not None or any(c.isupper() for c in raw):
            case_key = _keep_case(normalise_keep_case(surface or raw))
            term = dataclasses.replace(term, case_surface=case_key)
            bucket = self._terms_cs.setdefault(case_key, [])
        else:
            bucket = self._terms.setdefault(" ".join(normalise_for_matching(raw).split()), [])
        if term not in bucket:
            bucket.append(term)

    def names_a_therapy(self, phrase: str) -> bool:
        """True when ``phrase`` is a therapy term or product name ("Zolgensma" in "AveXis'
        Zolgensma"); remembered per phrase."""
        known = self._therapy_names.get(phrase)
        if known is None:
            if len(self._therapy_names) > 50_000:  # a long-lived process meets many words
                self._therapy_names.clear()
            known = self._therapy_names[phrase] = any(t.role == "therapy" for t in self.terms_for(phrase))
        return known

    def may_name_a_therapy(self, text: str) -> bool:
        """False only when ``scan(text)`` finds no therapy term: the same normalisation and
        word boundaries, case and plural rules ignored (they only remove matches). One pass of
        a therapy-only automaton, stopping at the first hit: the cheap test of a whole page."""
        norm = normalise_for_matching(text)
        padded = " " + norm + " "
        stems = self._therapy_stem
        for index, start, end in self._therapy_automaton.find_matches_as_indexes(norm, overlapping=True):
            if stems[index]:
                if not padded[end + 1].isalnum():
                    return True
            elif not padded[start].isalnum() and (not padded[end + 1].isalnum() or padded[end + 1] == "s"):
                return True
        return False

    def terms_for(self, phrase: str) -> list[Term]:
        """The terms that ``phrase`` is exactly (case rules applied)."""
        lower = " ".join(normalise_for_matching(phrase).split())
        return self._terms.get(lower, []) + self._terms_cs.get(_keep_case(normalise_keep_case(phrase)), [])

    def scan(self, text: str, normalised: str | None = None) -> list[Match]:
        """Every vocabulary term in ``text``, longest first where matches nest.

        A match strictly inside a longer match of the same kind (any entity, or a cue of the
        same role) is dropped: "acute liver failure" hides "liver failure", "clinical trial"
        hides "trial", but the outcome cue "died" inside "died from" stays.
        """
        norm = normalised if normalised is not None else normalise_for_matching(text)
        padded = " " + norm + "  "  # so the boundary checks need no range checks
        cased_text: str | None = None
        found: list[Match] = []
        stems: list[Match] = []
        entries = self._entries
        for index, start, end in self._automaton.find_matches_as_indexes(norm, overlapping=True):
            _, terms, cased, pluralable, stem_min = entries[index]
            # In ``padded`` the match spans [start + 1, end + 1).
            if stem_min:  # an INN stem ends a word: "obecabtagene", "...parvovec"
                if not padded[end + 1].isalnum():
                    while start > 0 and norm[start - 1].isalpha():
                        start -= 1
                    if end - start >= stem_min:
                        stems.append(Match(start, end, terms[0]))
                continue
            if padded[start].isalnum():
                continue
            following = padded[end + 1]
            plural = following == "s" and pluralable and not padded[end + 2].isalnum()
            if following.isalnum() and not plural:
                continue
            stop = end + 1 if plural else end
            if cased:
                if cased_text is None:
                    cased_text = normalise_keep_case(text)
                surface = cased_text[start:end]
                hits = [t for case_key, ts in cased if case_key == surface for t in ts if t not in terms]
                candidates = [*terms, *hits] if hits else terms
            else:
                candidates = terms
            for term in candidates:
                if not plural or term.role in _PLURAL_ROLES:
                    found.append(Match(start, stop, term))
        if stems:  # a word ending in an INN stem, unless it is a product's name
            named = {(m.start, m.end) for m in found if m.role == "therapy"}
            found.extend(m for m in stems if (m.start, m.end) not in named)
        return _drop_nested(found)


def _drop_nested(matches: list[Match]) -> list[Match]:
    """Drop matches strictly inside a longer match of the same group (any entity, or cues of
    one role): one sweep over the matches by start, longest first."""
    matches.sort(key=_start_longest_first)
    kept: list[Match] = []
    cover: dict[str, tuple[int, int]] = {}  # per group, the span reaching furthest right so far
    for m in matches:
        group = "entity" if m.role in ENTITY_ROLES else m.role
        span = cover.get(group)
        if span is not None and span[1] >= m.end and span != (m.start, m.end):
            continue
        kept.append(m)
        if span is None or m.end > span[1]:
            cover[group] = (m.start, m.end)
    kept.sort(key=_position)
    return kept


def _start_longest_first(m: Match) -> tuple[int, int]:
    return m.start, -m.end


def _position(m: Match) -> tuple[int, int]:
    return m.start, m.end


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary shipped with cgt-monitor (built once per process)."""
    return Vocabulary()


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    """A condition of the vocabulary with its place in it, for SQL: ``parent`` is the narrowest
    group (an umbrella condition) whose name it contains as whole words ("type 1 diabetes" ->
    "diabetes", "diffuse large B-cell lymphoma" -> "B-cell lymphoma"), ``group`` the widest
    ("lymphoma"); a condition in no group is its own."""

    name: str
    category: str
    icd10: str
    parent: str | None
    group: str


def condition_hierarchy(vocabulary: Vocabulary | None = None) -> list[ConditionInfo]:
    vocab = vocabulary or default_vocabulary()
    umbrellas = [n for n, scope in vocab.condition_scope.items() if scope == "umbrella"]

    def contains(name: str, group: str) -> bool:
        return (
            name != group
            and re.search(rf"(?<!\w){re.escape(group.lower())}(?![\w-])", name.lower()) is not None
        )

    parent = {
        name: max((u for u in umbrellas if contains(name, u)), key=len, default=None)
        for name in vocab.condition_category
    }

    def root(name: str) -> str:
        seen = {name}
        while (up := parent.get(name)) is not None and up not in seen:
            seen.add(up)
            name = up
        return name

    return [
        ConditionInfo(
            name, vocab.condition_category[name], vocab.condition_code.get(name, ""), parent[name], root(name)
        )
        for name in sorted(vocab.condition_category)
    ]
