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

import bisect
import csv
import re
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

    __slots__ = ("_norm", "_span", "_cues", "_stops", "_word_starts", "_cue_starts", "_before", "_after")

    def __init__(
        self, norm: str, span: tuple[int, int], cues: list[tuple[int, int, ContextRule]], stops: list[int]
    ) -> None:
        self._norm = norm
        self._span = span
        self._cues = sorted(cues, key=lambda cue: cue[0])
        self._stops = sorted(stops)
        self._word_starts: list[int] | None = None
        # A cue can only reach a mention whose start is within its reach and its own length
        # before the mention, or within its reach after it: in a sentence of thousands of cues
        # (a page without full stops) only the cues in that window are tried.
        self._cue_starts = [cue[0] for cue in self._cues]
        reach = max((rule.scope for _, _, rule in cues), default=0) * _MAX_WORD_CHARS
        self._before = reach + max((b - a for a, b, _ in cues), default=0)
        self._after = reach

    def __bool__(self) -> bool:
        return bool(self._cues)

    def _words(self, lo: int, hi: int) -> int:
        """Words in ``norm[lo:hi]`` (from the word starts, found once per sentence)."""
        if hi - lo < 60:
            return len(self._norm[lo:hi].split())
        if self._word_starts is None:
            self._word_starts = [m.start() for m in _WORD.finditer(self._norm, *self._span)]
        return bisect.bisect_left(self._word_starts, hi) - bisect.bisect_left(self._word_starts, lo)

    def _stopped(self, lo: int, hi: int) -> bool:
        k = bisect.bisect_left(self._stops, lo)
        return k < len(self._stops) and self._stops[k] < hi

    def reaching(self, start: int, end: int, field_: str) -> list[tuple[int, int, ContextRule]]:
        """The cues that reach the mention at ``start:end`` for ``field_``."""
        found = []
        cues = self._cues
        if len(cues) > _WINDOWED:
            starts = self._cue_starts
            lo = bisect.bisect_left(starts, start - self._before)
            cues = cues[lo : bisect.bisect_right(starts, end + self._after)]
        for cue in cues:
            cue_start, cue_end, rule = cue
            if field_ not in rule.fields:
                continue
            reach = rule.scope * _MAX_WORD_CHARS  # too far in characters: too far in words
            forward = rule.direction in ("forward", "both") and cue_end <= start < cue_end + reach
            if forward and self._words(cue_end, start) <= rule.scope and not self._stopped(cue_end, start):
                found.append(cue)
                continue
            backward = rule.direction in ("backward", "both") and cue_start - reach < end <= cue_start
            if backward and self._words(end, cue_start) <= rule.scope and not self._stopped(end, cue_start):
                found.append(cue)
                continue
            if cue_start <= start and end <= cue_end:  # the cue contains the mention
                found.append(cue)
        return found

    def of(self, start: int, end: int, field_: str) -> set[str]:
        """The categories that reach the mention at ``start:end`` for ``field_``."""
        return {rule.category for _, _, rule in self.reaching(start, end, field_)}

    def explain(self, start: int, end: int, field_: str) -> str:
        """The phrases behind ``of`` (for the ``why`` of a claim)."""
        names = [
            f"{rule.category.lower()} cue '{self._norm[cue_start:cue_end]}'"
            for cue_start, cue_end, rule in self.reaching(start, end, field_)
        ]
        return ", ".join(dict.fromkeys(names))


_WORD = re.compile(r"\S+")
_MAX_WORD_CHARS = 30
_WINDOWED = 16  # cues in a sentence above which only those in reach of a mention are tried


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
    return Modifiers(norm, (start, end), cues, stops)
