"""ConText-style modifiers: cue phrases that change what a nearby mention means.

A rule (a row of ``data/context_rules.csv``) names a phrase, its category, the direction in
which it reaches (``forward``: the words after it, ``backward``: before, ``both``), how far
(``scope``, in words) and what it acts on (``stage``, ``outcome``, ``condition``). Two kinds of
rule only shape the others: ``terminate`` ends a scope ("but", "however"; also ";" and ":"),
``pseudo`` voids a cue it overlaps ("no longer", "not only"). A modifier never deletes a
mention: it sets categories on it, which the extractor reads (and reports in ``why``).

    modifiers = sentence_modifiers(matches, norm, start, end)
    modifiers.of(stage_cue, "stage")     # -> {"NEGATED"}, {"PLANNED"}, ... or set()

This follows medspaCy's ConTextRule (literal, category, direction, max_scope), with the field
it acts on added, because one phrase can negate a stage but say nothing of a condition.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CATEGORIES = frozenset(
    {
        "NEGATED",  # "no", "not", "never": the cue does not hold
        "PLANNED",  # "plans to", "will", "aims to": not (yet) done
        "HYPOTHETICAL",  # "could", "may", "potential": a possibility
        "DENIED_STUDY",  # "not an approved study": the treatment is not a trial
        "OTHER",  # "other autoimmune diseases": not the article's condition
        "SIDE_EFFECT",  # "died from", "side effects included": an event, not an indication
        "BACKGROUND",  # "affects 5 million people", "is a disease that": no development
        "HISTORICAL",  # "previously", "in the past": an earlier event
        "MEMBER",  # "including", "such as": an example or subtype of a condition named before
        "UNINVOLVED",  # "who was not involved in the study": not the party of the development
    }
)
DIRECTIONS = frozenset({"forward", "backward", "both", "terminate", "pseudo"})
FIELDS = frozenset({"stage", "outcome", "condition", "institution"})


@dataclass(frozen=True, slots=True)
class ContextRule:
    phrase: str
    category: str  # one of CATEGORIES, or "" for terminate and pseudo rules
    direction: str
    scope: int  # words
    fields: frozenset[str]


@lru_cache(maxsize=1)
def context_rules() -> tuple[ContextRule, ...]:
    """The rules of ``data/context_rules.csv`` (checked: unknown values raise ValueError)."""
    with resources.files(__package__).joinpath("data", "context_rules.csv").open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    rules = []
    for row in csv.DictReader(lines):
        direction = row["direction"].strip()
        category = (row.get("category") or "").strip()
        fields = frozenset(f for f in (row.get("acts_on") or "").split("|") if f)
        if direction not in DIRECTIONS:
            raise ValueError(f"context_rules.csv: unknown direction {direction!r} ({row['phrase']!r})")
        if direction not in ("terminate", "pseudo") and (category not in CATEGORIES or not fields <= FIELDS):
            raise ValueError(f"context_rules.csv: bad category or acts_on in {row!r}")
        scope = int(row.get("scope") or 0)
        rules.append(ContextRule(row["phrase"].strip(), category, direction, scope, fields))
    return tuple(rules)


class Modifiers:
    """The modifiers of one sentence, ready to be asked about any mention in it."""

    __slots__ = ("_norm", "_cues", "_stops")

    def __init__(self, norm: str, cues: list[tuple[int, int, ContextRule]], stops: list[int]) -> None:
        self._norm = norm
        self._cues = cues
        self._stops = stops

    def __bool__(self) -> bool:
        return bool(self._cues)

    def _words(self, lo: int, hi: int) -> int:
        return len(self._norm[lo:hi].split())

    def _stopped(self, lo: int, hi: int) -> bool:
        return any(lo <= s < hi for s in self._stops)

    def of(self, start: int, end: int, field_: str) -> set[str]:
        """The categories that reach the mention at ``start:end`` for ``field_``."""
        found: set[str] = set()
        for cue_start, cue_end, rule in self._cues:
            if field_ not in rule.fields:
                continue
            forward = rule.direction in ("forward", "both") and cue_end <= start
            if forward and self._words(cue_end, start) <= rule.scope and not self._stopped(cue_end, start):
                found.add(rule.category)
                continue
            backward = rule.direction in ("backward", "both") and end <= cue_start
            if backward and self._words(end, cue_start) <= rule.scope and not self._stopped(end, cue_start):
                found.add(rule.category)
                continue
            if cue_start <= start and end <= cue_end:  # the cue contains the mention
                found.add(rule.category)
        return found

    def explain(self, start: int, end: int, field_: str) -> str:
        """The phrases behind ``of`` (for the ``why`` of a claim)."""
        names = []
        for cue_start, cue_end, rule in self._cues:
            if field_ in rule.fields and rule.category in self.of(start, end, field_):
                names.append(f"{rule.category.lower()} cue '{self._norm[cue_start:cue_end]}'")
        return ", ".join(dict.fromkeys(names))


def sentence_modifiers(matches: list, norm: str, start: int, end: int) -> Modifiers:
    """Modifiers of the sentence ``norm[start:end]`` from its vocabulary ``matches`` (those with
    role "context" carry a ``ContextRule`` in ``term.rule``)."""
    cues: list[tuple[int, int, ContextRule]] = []
    pseudo: list[tuple[int, int]] = []
    stops = (
        [i for i in range(start, end) if norm[i] in ";:"]
        if (";" in norm[start:end] or ":" in norm[start:end])
        else []
    )
    for m in matches:
        if m.role != "context":
            continue
        rule = m.term.rule
        if rule.direction == "pseudo":
            pseudo.append((m.start, m.end))
        elif rule.direction == "terminate":
            stops.append(m.start)
        else:
            cues.append((m.start, m.end, rule))
    if pseudo:
        cues = [c for c in cues if not any(a <= c[0] and c[1] <= b for a, b in pseudo)]
    return Modifiers(norm, cues, stops)
