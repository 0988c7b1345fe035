"""The learned extractor: rule candidates, decisions by trained weights.

    extractor = LearnedExtractor()               # the model shipped in parsers/data/
    claims = extractor.extract(article)          # ParsedArticle -> list[Claim]
    dict(claims[0].why)["stage"]                 # "clinical_trial p=0.91: ..."

Steps, each a function of the one reading of the article:
1. ``read_article_text``: sentences, mentions, modifiers and the rules' own claims;
2. ``find_candidates``: every (therapy family, condition) the article names;
3. ``claim_features`` / ``stage_features``: named numbers per candidate;
4. ``decide``: a claim where its probability passes the model's threshold (one family per
   condition: the likelier), at its likeliest stage (and a second one when that is likely
   too); then the claim's party, place, patients and outcome (``fields_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..models import Claim, Outcome, ParsedArticle, Stage, Therapy
from ..registries import registry_ids
from ..vocab import Vocabulary, default_vocabulary
from .candidates import Candidate, find_candidates
from .features import ArticleFacts, Features, article_facts, claim_features, stage_features
from .model import ClaimModel, load_model
from .reading import Reading, read_article_text

_FIELD_STAGES = (Stage.CLINICAL_TRIAL, Stage.CLINICAL_USE, Stage.PRECLINICAL)


@dataclass(frozen=True, slots=True)
class Decision:
    """A candidate the model calls a claim, at one stage."""

    candidate: Candidate
    stage: Stage
    claim_probability: float
    stage_probability: float
    why_claim: str
    why_stage: str


def _explain(parts: list[tuple[str, float]]) -> str:
    return ", ".join(f"{name} ({value:+.1f})" for name, value in parts)


@dataclass(frozen=True, slots=True)
class Described:
    """A candidate with its features."""

    candidate: Candidate
    claim: Features
    stage: Features


def describe(reading: Reading) -> list[Described]:
    """Every candidate of the article with its claim and stage features."""
    candidates = find_candidates(reading)
    if not candidates:
        return []
    facts = article_facts(reading)
    return [
        Described(c, claim_features(reading, facts, c), stage_features(reading, facts, c)) for c in candidates
    ]


def decide(reading: Reading, model: ClaimModel) -> list[Decision]:
    """The candidates the model takes for claims, with their stages."""
    return choose(describe(reading), model)


def choose(described: list[Described], model: ClaimModel) -> list[Decision]:
    """The decisions of ``model`` over described candidates (one family per condition: the
    likelier; the likeliest stage, and a second one when it is likely too)."""
    scored = [(model.claim.probability(d.claim), d) for d in described]
    best: dict[str, float] = {}
    for p, d in scored:
        best[d.candidate.condition] = max(best.get(d.candidate.condition, 0.0), p)
    out = []
    for p, d in scored:
        c, f, g = d.candidate, d.claim, d.stage
        if p <= model.claim_threshold or p < best[c.condition]:
            continue  # not a claim, or the other family's reading of the condition is likelier
        probabilities = model.stage.probabilities(g)
        ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
        stages = [ranked[0]] + [kv for kv in ranked[1:2] if kv[1] > model.second_stage_threshold]
        why_claim = f"p={p:.2f}: {_explain(model.claim.explain(f))}"
        for stage, q in stages:
            why_stage = f"{stage} p={q:.2f}: {_explain(model.stage.explain(g, stage))}"
            out.append(Decision(c, Stage(stage), p, q, why_claim, why_stage))
    return out


def _rule_claim(reading: Reading, c: Candidate, stage: Stage) -> Claim | None:
    """The rules' claim of the same family and condition (at the same stage if they have one)."""
    same = [
        claim
        for claim in reading.rule_claims
        if claim.condition == c.condition
        and ("gene" if claim.therapy.family == "gene" else "cell") == c.family
    ]
    return next((x for x in same if x.stage == stage), same[0] if same else None)


def fields_for(reading: Reading, d: Decision) -> Claim:
    """The claim of a decision: the rules' fields for the same development when they found it
    (party, place, patients, outcome and evidence are theirs), else the same questions asked of
    the candidate's own sentences."""
    c, stage = d.candidate, d.stage
    rule = _rule_claim(reading, c, stage)
    why = [("claim", d.why_claim), ("stage", d.why_stage)]
    if rule is not None:
        therapy = rule.therapy if rule.therapy.family == Therapy(c.therapy).family else c.therapy
        why += [(k, v) for k, v in rule.why if k not in ("stage",)]
        same_stage = rule.stage == stage
        return Claim(
            therapy=therapy,
            indication=c.indication,
            condition=c.condition,
            stage=stage,
            evidence=rule.evidence,
            institution=rule.institution,
            location=rule.location,
            therapy_detail=rule.therapy_detail if therapy == rule.therapy else c.therapy_words,
            patients=rule.patients if same_stage and stage in _FIELD_STAGES else None,
            outcome=rule.outcome if same_stage and stage in _FIELD_STAGES else None,
            product=rule.product or c.product,
            registry_ids=rule.registry_ids,
            why=tuple(why),
        )
    return _own_fields(reading, d, why)


def _own_fields(reading: Reading, d: Decision, why: list[tuple[str, str]]) -> Claim:
    a = reading.analysis
    c, stage = d.candidate, d.stage
    therapy_sentences = {
        t.sentence for t in reading.therapies.get(c.family, ()) + reading.therapies.get("cgt", ())
    }
    with_therapy = [i for i in c.sentences if i in therapy_sentences]
    cue_sentences = [
        i for i in c.development_sentences for cue in reading.cues[i] if cue.stage is stage and cue.done
    ]
    evidence = sorted(set(with_therapy[:2] or c.sentences[:1]) | set(cue_sentences[:1]))
    pool = list(dict.fromkeys(evidence + list(c.development_sentences)))
    institution = None
    for i in pool:
        found = [inst for inst in a.institutions_in(i) if inst.kind != "publication"]
        if stage is Stage.APPROVED:
            found = [inst for inst in found if inst.kind == "company"]
        if found:
            institution = found[0].name
            why.append(("institution", f"named in sentence {i + 1}"))
            break
    patients = None
    outcomes: set[str] = set()
    if stage in _FIELD_STAGES:
        for i in pool:
            count = a.patient_count(i) if stage is not Stage.PRECLINICAL else None
            if count is not None:
                patients = count.value
                why.append(
                    ("patients", f"'{reading.sentence_text(i)[count.start : count.end]}' in sentence {i + 1}")
                )
                break
        for i in c.development_sentences:
            outcomes |= a.outcomes_in(i)
    location = None
    for i in pool:
        if stage is Stage.APPROVED and a.of_role(i, "regulator"):
            location = a.of_role(i, "regulator")[0].value
            break
        places = a.places_in(i)
        if places:
            location = reading.words(places[0])
            break
    text = a.evidence(set(evidence))
    return Claim(
        therapy=c.therapy,
        indication=c.indication,
        condition=c.condition,
        stage=stage,
        evidence=text,
        institution=institution,
        location=location,
        therapy_detail=c.therapy_words,
        patients=patients,
        outcome=_one_outcome(outcomes),
        product=c.product,
        registry_ids=registry_ids(text),
        why=tuple(why),
    )


def _one_outcome(values: set[str]) -> Outcome | None:
    if {"improved", "adverse"} <= values:
        return Outcome.MIXED
    for value in (Outcome.ADVERSE, Outcome.NO_EFFECT, Outcome.IMPROVED):
        if value in values:
            return value
    return None


class LearnedExtractor:
    """Claims decided by the trained model over the rules' candidates."""

    name = "learned-v1"

    def __init__(
        self, vocabulary: Vocabulary | None = None, model: ClaimModel | str | Path | None = None
    ) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self.model = model if isinstance(model, ClaimModel) else load_model(model)

    def extract(self, article: ParsedArticle) -> list[Claim]:
        return self.extract_text(article.text, article.title)

    def extract_text(self, text: str, title: str | None = None) -> list[Claim]:
        reading = read_article_text(text, title, self.vocab)
        claims = [fields_for(reading, d) for d in decide(reading, self.model)]
        return sorted(claims, key=lambda claim: reading.text.find(claim.evidence[:40]))


__all__ = [
    "ArticleFacts",
    "Decision",
    "Described",
    "LearnedExtractor",
    "choose",
    "decide",
    "describe",
    "fields_for",
]
