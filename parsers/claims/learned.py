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

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..institutions import NOT_PARTIES
from ..models import Claim, Outcome, ParsedArticle, Stage, Therapy
from ..registries import registry_ids
from ..vocab import Vocabulary, default_vocabulary
from .candidates import Candidate, find_candidates
from .features import ArticleFacts, Features, article_facts, claim_features, feature_text, stage_features
from .fields import outcome_features, party_options, patient_options
from .model import BinaryModel, ClaimModel, load_model
from .reading import Reading, read_article_text

# Stages whose claims report patients and outcomes (an approval or lab work reports neither).
FIELD_STAGES = (Stage.CLINICAL_TRIAL, Stage.CLINICAL_USE, Stage.PRECLINICAL)


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
    return ", ".join(f"{feature_text(name)} ({value:+.1f})" for name, value in parts)


@dataclass(frozen=True, slots=True)
class Described:
    """A candidate with its features (its stage features are computed when a stage is to be
    chosen, unless given: most candidates are no claim and need none)."""

    candidate: Candidate
    claim: Features
    stage: Features | None = None


def describe(reading: Reading, facts: ArticleFacts | None = None, stages: bool = True) -> list[Described]:
    """Every candidate of the article with its claim features (and stage features)."""
    candidates = find_candidates(reading)
    if not candidates:
        return []
    facts = facts or article_facts(reading)
    return [
        Described(c, claim_features(reading, facts, c), stage_features(reading, facts, c) if stages else None)
        for c in candidates
    ]


def decide(reading: Reading, model: ClaimModel) -> list[Decision]:
    """The candidates the model takes for claims, with their stages."""
    facts = article_facts(reading)
    return choose(describe(reading, facts, stages=False), model, lambda c: stage_features(reading, facts, c))


def choose(
    described: list[Described],
    model: ClaimModel,
    stage_features_of: Callable[[Candidate], Features] | None = None,
) -> list[Decision]:
    """The decisions of ``model`` over described candidates (one family per condition: the
    likelier; the likeliest stage, and a second one when it is likely too). Stage features
    not given with a candidate come from ``stage_features_of``."""
    scored = [(model.claim.probability(d.claim), d) for d in described]
    best: dict[str, float] = {}
    for p, d in scored:
        best[d.candidate.condition] = max(best.get(d.candidate.condition, 0.0), p)
    out = []
    for p, d in scored:
        c, f = d.candidate, d.claim
        if p <= model.claim_threshold or p < best[c.condition]:
            continue  # not a claim, or the other family's reading of the condition is likelier
        g = d.stage if d.stage is not None else stage_features_of(c) if stage_features_of else None
        if g is None:
            raise ValueError("stage features are needed: give them with the candidate or a function")
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


def fields_for(reading: Reading, facts: ArticleFacts, d: Decision, model: ClaimModel) -> Claim:
    """The claim of a decision. Evidence and place are the rules' for the same development when
    they found it (else the candidate's own sentences); party, patients and outcome are the
    model's choices among what the text offers (the rules' where the model has no field
    models)."""
    c, stage = d.candidate, d.stage
    rule = _rule_claim(reading, c, stage)
    why: list[tuple[str, str]] = [("claim", d.why_claim), ("stage", d.why_stage)]
    if rule is not None:
        therapy = rule.therapy if rule.therapy.family == Therapy(c.therapy).family else c.therapy
        detail = rule.therapy_detail if therapy == rule.therapy else c.therapy_words
        evidence, location, ids = rule.evidence, rule.location, rule.registry_ids
        institution = rule.institution
        same_stage = rule.stage == stage and stage in FIELD_STAGES
        patients = rule.patients if same_stage else None
        outcome = rule.outcome if same_stage else None
        why += [(k, v) for k, v in rule.why if k in ("therapy", "institution", "patients", "outcome")]
    else:
        therapy, detail = c.therapy, c.therapy_words
        evidence, location, institution, patients, outcome = _own_fields(reading, c, stage, why)
        ids = registry_ids(evidence)
    if model.party is not None:
        institution = _choose_party(reading, facts, c, stage, model.party, why)
    if model.patients is not None:
        patients = (
            _choose_patients(reading, facts, c, stage, model.patients, why) if stage in FIELD_STAGES else None
        )
    if model.outcome_stated is not None and model.outcome:
        outcome = _choose_outcome(reading, facts, c, stage, model, why) if stage in FIELD_STAGES else None
    return Claim(
        therapy=therapy,
        indication=c.indication,
        condition=c.condition,
        stage=stage,
        evidence=evidence,
        institution=institution,
        location=location,
        therapy_detail=detail,
        patients=patients,
        outcome=outcome,
        product=(rule.product if rule else None) or c.product,
        registry_ids=ids,
        why=tuple(dict(why).items()),
    )


def _choose_party(
    reading: Reading,
    facts: ArticleFacts,
    c: Candidate,
    stage: Stage,
    model: BinaryModel,
    why: list[tuple[str, str]],
) -> str | None:
    options = party_options(reading, facts, c, stage)
    scores = [model.score(o.features) for o in options]
    top = max(scores)
    best = options[scores.index(top)]
    share = 1.0 / sum(math.exp(x - top) for x in scores)  # the chosen option's softmax share
    explained = _explain(model.explain(best.features))
    why.append(("institution", f"{best.name or 'none named'} p={share:.2f}: {explained}"))
    return best.name


def _choose_patients(
    reading: Reading,
    facts: ArticleFacts,
    c: Candidate,
    stage: Stage,
    model: BinaryModel,
    why: list[tuple[str, str]],
) -> int | None:
    options = patient_options(reading, facts, c, stage)
    scored = [(model.probability(o.features), o) for o in options]
    p, best = max(scored, key=lambda t: t[0])
    where = f"'{best.words}' in sentence {best.sentence + 1}" if best.value is not None else "none stated"
    why.append(("patients", f"{where} p={p:.2f}: {_explain(model.explain(best.features))}"))
    return best.value


def _choose_outcome(
    reading: Reading,
    facts: ArticleFacts,
    c: Candidate,
    stage: Stage,
    model: ClaimModel,
    why: list[tuple[str, str]],
) -> Outcome | None:
    assert model.outcome_stated is not None and model.outcome
    f = outcome_features(reading, facts, c, stage)
    stated = model.outcome_stated.probability(f)
    if stated <= 0.5:
        why.append(("outcome", f"none stated p={1 - stated:.2f}"))
        return None
    scores = {name: m.probability(f) for name, m in model.outcome.items()}
    best = max(scores, key=lambda k: scores[k])
    why.append(("outcome", f"{best} p={scores[best]:.2f}: {_explain(model.outcome[best].explain(f))}"))
    return Outcome(best)


def _own_fields(
    reading: Reading, c: Candidate, stage: Stage, why: list[tuple[str, str]]
) -> tuple[str, str | None, str | None, int | None, Outcome | None]:
    """Evidence, place, party, patients and outcome from the candidate's own sentences, for a
    development the rules did not find."""
    a = reading.analysis
    therapy_sentences = {
        t.sentence for t in reading.therapies.get(c.family, ()) + reading.therapies.get("cgt", ())
    }
    with_therapy = [i for i in c.sentences if i in therapy_sentences]
    cue_sentences = [
        i for i in c.development_sentences for cue in reading.cues[i] if cue.stage is stage and cue.done
    ]
    chosen = sorted(set(with_therapy[:2] or c.sentences[:1]) | set(cue_sentences[:1]))
    pool = list(dict.fromkeys(chosen + list(c.development_sentences)))
    institution = None
    for i in pool:
        found = [inst for inst in a.institutions_in(i) if inst.kind not in NOT_PARTIES]
        if stage is Stage.APPROVED:
            found = [inst for inst in found if inst.kind == "company"]
        if found:
            institution = found[0].name
            why.append(("institution", f"named in sentence {i + 1}"))
            break
    patients = None
    outcomes: set[str] = set()
    if stage in FIELD_STAGES:
        for i in pool:
            count = a.patient_count(i) if stage is not Stage.PRECLINICAL else None
            if count is not None:
                patients = count.value
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
    return a.evidence(set(chosen)), location, institution, patients, _one_outcome(outcomes)


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
        facts = article_facts(reading)
        decisions = choose(
            describe(reading, facts, stages=False), self.model, lambda c: stage_features(reading, facts, c)
        )
        claims = [fields_for(reading, facts, d, self.model) for d in decisions]
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
