"""One reading of an article for claim extraction, made once and shared by every later step.

    reading = read_article_text(text, title, vocabulary)
    reading.conditions["systemic lupus erythematosus"]   # every mention of it: ConditionMention
    reading.therapies["cell"]                             # therapy mentions of the cell family
    reading.rule_claims                                   # the rules' own claims (their vote)

The sentences, vocabulary mentions, ConText modifiers, institutions and patient counts come
from the rule pipeline's reading (``parsers.decisions.Analysis``); this module turns them into
plain tables that the candidate, feature and decision steps read without caring how they
were found.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..decisions import Analysis
from ..developments import claims_of
from ..linking import EDITED_IMMUNE_CELLS, Development
from ..mentions import NOT_DONE
from ..models import Claim, Stage, Therapy
from ..vocab import Match, Term, Vocabulary
from .conditions import unlisted_conditions

FAMILIES = ("cell", "gene")  # what the scorer and storage tell apart; "cgt" names both
UNLISTED = "unlisted"  # the category of a condition the vocabulary does not list
_NOT_INDICATION = frozenset({"OTHER", "SIDE_EFFECT", "BACKGROUND"})


def therapy_family(therapy: str) -> str:
    """ "cell", "gene" or "cgt" (cell and gene therapy: either) for a therapy class."""
    value = Therapy(therapy)
    if value is Therapy.CELL_AND_GENE:
        return "cgt"
    return "gene" if value.family == "gene" else "cell"


@dataclass(frozen=True, slots=True)
class ConditionMention:
    sentence: int
    match: Match
    categories: frozenset[str]  # ConText categories that reach it (OTHER, SIDE_EFFECT, ...)
    indication: bool  # the rules read it as an indication (not "other", not a side effect, ...)


@dataclass(frozen=True, slots=True)
class TherapyMention:
    sentence: int
    match: Match
    family: str  # cell, gene or cgt


@dataclass(frozen=True, slots=True)
class StageCue:
    sentence: int
    match: Match
    stage: Stage
    done: bool  # not negated, planned, hypothetical or about "other" therapies
    denied: bool  # "not an approved study"


@dataclass(frozen=True)
class Reading:
    """An article read once: what it names where, and what the rules concluded."""

    text: str
    title: str
    analysis: Analysis = field(repr=False)
    developments: tuple[Development, ...]
    rule_claims: tuple[Claim, ...]
    conditions: dict[str, tuple[ConditionMention, ...]]  # by condition (vocabulary name), in order
    therapies: dict[str, tuple[TherapyMention, ...]]  # by family
    cues: tuple[tuple[StageCue, ...], ...]  # per sentence
    families: tuple[tuple[str, ...], ...]  # per sentence, the family of each therapy it names
    title_conditions: frozenset[str]
    title_families: frozenset[str]
    title_stages: frozenset[str]

    @property
    def sentence_count(self) -> int:
        return len(self.analysis.sentences)

    def sentence_text(self, i: int) -> str:
        s = self.analysis.sentences[i]
        return self.text[s.start : s.end]

    def paragraph(self, i: int) -> int:
        return self.analysis.sentences[i].paragraph

    def words(self, m: Match) -> str:
        return self.text[m.start : m.end]

    def family_of(self, m: Match) -> str:
        """The family of a therapy mention: cell, gene or cgt."""
        return _family_of(self.analysis, m)

    def nearest(self, a: Sequence[int], b: Sequence[int], cap: int = 10) -> int:
        """The fewest sentences between one of ``a`` and one of ``b`` (sorted), at most ``cap``."""
        return nearest(a, b, cap)


def nearest(a: Sequence[int], b: Sequence[int], cap: int) -> int:
    """The smallest |x - y| for x in ``a``, y in sorted ``b``, at most ``cap`` (log time per x)."""
    best = cap
    for x in a:
        k = bisect.bisect_left(b, x)
        if k < len(b):
            best = min(best, b[k] - x)
        if k:
            best = min(best, x - b[k - 1])
        if best == 0:
            break
    return best


def _family_of(analysis: Analysis, m: Match) -> str:
    if m.value == Therapy.GENE_EDITING and EDITED_IMMUNE_CELLS.match(analysis.norm[m.end : m.end + 40]):
        return "cell"  # gene-edited immune cells are a cell therapy
    return therapy_family(m.value)


def read_article_text(text: str, title: str | None, vocab: Vocabulary) -> Reading:
    """Read ``text`` (and its title, for where things are named) once."""
    analysis = Analysis(text, vocab)
    developments = tuple(analysis.developments())
    rule_claims = tuple(claim for claim, _ in claims_of(analysis, list(developments)))
    n = len(analysis.sentences)
    conditions: dict[str, list[ConditionMention]] = defaultdict(list)
    therapies: dict[str, list[TherapyMention]] = defaultdict(list)
    cues: list[tuple[StageCue, ...]] = []
    families: list[tuple[str, ...]] = []
    for i in range(n):
        indications = {id(m) for m in analysis.named_conditions(i)}
        for m in analysis.of_role(i, "condition"):
            cats = frozenset(analysis.categories(i, m, "condition"))
            conditions[m.value].append(ConditionMention(i, m, cats, id(m) in indications))
        here = []
        for m in analysis.therapies(i):
            family = _family_of(analysis, m)
            therapies[family].append(TherapyMention(i, m, family))
            here.append(family)
        families.append(tuple(here))
        cues.append(
            tuple(
                StageCue(i, m, Stage(m.value), not cats & NOT_DONE, "DENIED_STUDY" in cats)
                for m, cats in analysis.stage_cues(i, weak=True)
            )
        )
    known = [(m.match.start, m.match.end) for ms in conditions.values() for m in ms]
    for start, end, name in unlisted_conditions(text, known):
        at = analysis.sentence_at(start)
        match = Match(start, end, Term("condition", name, category=UNLISTED))
        if at is None or analysis.inside_institution(match):
            continue
        cats = frozenset(analysis.categories(at, match, "condition"))
        conditions[name].append(ConditionMention(at, match, cats, not cats & _NOT_INDICATION))
    title = title or ""
    in_title = vocab.scan(title) if title else []
    return Reading(
        text=text,
        title=title,
        analysis=analysis,
        developments=developments,
        rule_claims=rule_claims,
        conditions={k: tuple(v) for k, v in conditions.items()},
        therapies={k: tuple(v) for k, v in therapies.items()},
        cues=tuple(cues),
        families=tuple(families),
        title_conditions=frozenset(m.value for m in in_title if m.role == "condition"),
        title_families=frozenset(therapy_family(m.value) for m in in_title if m.role == "therapy"),
        title_stages=frozenset(
            m.value for m in in_title if m.role in ("stage", "weak_stage") and m.value in set(Stage)
        ),
    )
