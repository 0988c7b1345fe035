"""Article-level claim extraction: find the article's developments first, then decide each
one's stage, party, patients and outcome from every sentence that speaks of it.

A development is a therapy (a class, or a product that maps to one) applied to a condition.

1. Mentions: vocabulary terms in one Aho-Corasick pass (therapies, products, INN stems,
   conditions, stage/outcome cues, context cues, places, regulators), institutions by their
   head words, ConText modifiers per sentence (``parsers.context``).
2. Links: a sentence that names a condition as an indication (not "other", not a side effect)
   ties it to the therapy the sentence names; without one, to the therapy named last before
   it, when the sentence refers back ("the treatment", "the drug") or reports a stage, patient
   count or outcome.
3. Developments: links grouped by condition (an umbrella term joins the one narrower condition
   of its field the article links; a catch-all the article's main condition) and by product.
   A sentence that names no condition continues the development linked last before it ("The
   trial enrolled ten patients"); in an article about one development every sentence does.
4. Decisions, in the order of ``Stage``: approved (an approval cue, not negated, planned or
   of a trial), clinical_trial (a trial/phase/study cue in any of the development's sentences,
   not planned or denied), clinical_use (patients treated without a trial; also beside a
   trial when the use is marketed or follows an approval), preclinical (animals) and research
   (laboratory work) only where nothing stronger holds. Then the party (for approvals the
   company named with the approval or the product's owner, never the regulator), patients
   (treated, not planned, not population figures), outcome (ConText-modified cues) and place.
5. One claim per (institution, therapy, indication, stage); ``why`` says which rule and which
   words produced each field.
"""

from __future__ import annotations

from .decisions import Analysis, Draft, merge_key
from .linking import Development
from .models import Claim, Outcome, Stage, Therapy
from .registries import registry_ids
from .vocab import Vocabulary


def _outcome(values: set[str]) -> Outcome | None:
    """One outcome from a development's cues: improved and adverse together are mixed."""
    if {"improved", "adverse"} <= values:
        return Outcome.MIXED
    for value in (Outcome.ADVERSE, Outcome.NO_EFFECT, Outcome.IMPROVED):
        if value in values:
            return value
    return None


def extract(text: str, vocab: Vocabulary) -> list[tuple[Claim, dict[str, str]]]:
    """The claims of ``text`` with, for each, why its fields are what they are."""
    analysis = Analysis(text, vocab)
    return claims_of(analysis, analysis.developments())


def claims_of(analysis: Analysis, developments: list[Development]) -> list[tuple[Claim, dict[str, str]]]:
    """The rules' claims of an analysed article's developments (see ``extract``)."""
    text = analysis.text
    drafts = [d for dev in developments for d in analysis.drafts(dev)]
    merged: dict[tuple[str, str, str, str], Draft] = {}
    for d in drafts:
        key = (merge_key(d.institution), d.therapy, d.development.condition, d.stage)
        if key in merged:
            into = merged[key]
            into.sentences |= d.sentences
            into.outcomes |= d.outcomes
            into.patients = into.patients if into.patients is not None else d.patients
        else:
            merged[key] = d
    article_ids = registry_ids(text)
    out = []
    for d in sorted(merged.values(), key=lambda d: min(d.sentences)):
        evidence = analysis.evidence(d.sentences)
        # The identifiers the claim's own sentences name; else the article's only one, for a trial.
        ids = registry_ids(evidence) or (
            article_ids if len(article_ids) == 1 and d.stage == Stage.CLINICAL_TRIAL else ()
        )
        claim = Claim(
            institution=d.institution,
            location=d.location,
            therapy=Therapy(d.therapy),
            therapy_detail=d.therapy_detail,
            indication=d.development.condition,
            condition=d.development.condition,
            stage=Stage(d.stage),
            patients=d.patients,
            outcome=_outcome(d.outcomes),
            evidence=evidence,
            product=d.development.product,
            registry_ids=ids,
            why=tuple(d.why.items()),
        )
        out.append((claim, dict(d.why)))
    return out
