"""The fields of a claim as choices among options: which party, how many patients, which outcome.

    options = party_options(reading, facts, candidate, stage)      # each named institution, and "none"
    options = patient_options(reading, facts, candidate, stage)    # each stated count, and "none"
    outcome_features(reading, facts, candidate, stage)             # for the outcome models

Each option carries named features; a trained model scores them and the best one is taken
(``parsers.claims.learned``). The options are what the text offers: a party must be named, a
count stated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..decisions import merge_key, without_prefix
from ..mentions import NOT_DONE
from ..models import Stage
from ..patients import single_patients
from ..vocab import Match, Term
from .candidates import Candidate
from .features import ArticleFacts, Features
from .reading import Reading, nearest

_WORD = re.compile(r"[a-z]+(?:'s)?")
_NEAR = 4  # sentences after the development's own in which a count may stand
OUTCOMES = ("improved", "no_effect", "adverse", "mixed")


@dataclass(frozen=True, slots=True)
class PartyOption:
    name: str | None  # None: the claim names no party
    features: Features


@dataclass(frozen=True, slots=True)
class PatientOption:
    value: int | None
    sentence: int
    words: str  # the words stating the count ("two patients")
    features: Features


def _words_before(text: str, start: int, n: int = 2) -> list[str]:
    return _WORD.findall(text[max(0, start - 40) : start].lower())[-n:]


def _words_after(text: str, end: int, n: int = 2) -> list[str]:
    return _WORD.findall(text[end : end + 40].lower())[:n]


def _therapy_sentences(reading: Reading, c: Candidate) -> set[int]:
    return {t.sentence for t in reading.therapies.get(c.family, ()) + reading.therapies.get("cgt", ())}


def _stage_sentences(reading: Reading, c: Candidate, stage: Stage) -> set[int]:
    return {
        cue.sentence
        for i in c.development_sentences
        for cue in reading.cues[i]
        if cue.stage is stage and cue.done
    }


def party_options(reading: Reading, facts: ArticleFacts, c: Candidate, stage: Stage) -> list[PartyOption]:
    """Each institution the article names (one option per institution, however often named),
    each other capitalised name in the development's sentences, and the option of none."""
    a = reading.analysis
    own, dev = set(c.sentences), set(c.development_sentences)
    by_key = {key: list(mentions) for key, mentions in facts.parties.items()}
    for i in sorted(dev | facts.lead):
        for key, inst in facts.names[i]:
            if key not in by_key or by_key[key][0][1].kind == "name":
                by_key.setdefault(key, []).append((i, inst))
    therapy = _therapy_sentences(reading, c)
    staged = _stage_sentences(reading, c, stage)
    rule = {
        merge_key(x.institution) for x in reading.rule_claims if x.institution and x.condition == c.condition
    }
    product = a.vocab.products.get(c.product) if c.product else None
    owners = [o.lower() for o in product.owners] if product else []
    title = reading.title.lower()
    first_key = next(iter(by_key), None)
    out = []
    for key, mentions in by_key.items():
        sentences = [i for i, _ in mentions]
        inst = max((x for _, x in mentions), key=lambda x: len(x.name))
        name = without_prefix(inst.name)
        f: Features = {"party": 1.0}
        f["kind:" + inst.kind] = 1.0
        f[f"{stage.value}:kind:{inst.kind}"] = 1.0
        f["mentions"] = math.log1p(len(mentions))
        f["first_named"] = float(key == first_key)
        f["in_title"] = float(bool(title) and name.lower() in title)
        f["in_lead"] = float(any(reading.paragraph(i) == 0 for i in sentences))
        f["with_condition"] = float(any(i in own for i in sentences))
        f["condition_distance"] = nearest(sentences, c.sentences, 5) / 5
        f["in_development"] = float(any(i in dev for i in sentences))
        f["with_therapy"] = float(any(i in therapy for i in sentences))
        f["with_stage_cue"] = float(any(i in staged for i in sentences))
        f["first_in_condition_sentence"] = float(any(facts.first_party.get(i) == key for i in own))
        f["product_owner"] = float(any(o in name.lower() or name.lower() in o for o in owners))
        f["rules_choice"] = float(key in rule)
        f["known_organisation"] = float(inst.canonical is not None)
        f["affiliation"] = float(any(x is inst or merge_key(x.name) == key for x in a.affiliations.values()))
        for _, x in mentions[:3]:
            for w in _words_before(reading.text, x.start):
                f["before:" + w] = 1.0
            for w in _words_after(reading.text, x.end, 1):
                f["after:" + w] = 1.0
        out.append(PartyOption(name, f))
    none: Features = {"none": 1.0, f"none:{stage.value}": 1.0}
    none["none:no_institutions"] = float(not by_key)
    none["none:none_in_development"] = float(not any(i in dev for ms in by_key.values() for i, _ in ms))
    none["none:rules_none"] = float(not rule)
    out.append(PartyOption(None, none))
    return out


def patient_options(reading: Reading, facts: ArticleFacts, c: Candidate, stage: Stage) -> list[PatientOption]:
    """Each patient count stated in the development's sentences (and the few after them), each
    phrase there naming one patient ("the first participant", "a 7-year-old girl": a count of
    one), and the option of none."""
    a = reading.analysis
    dev = set(c.development_sentences)
    pool = sorted(dev | {j for i in dev for j in range(i + 1, min(i + 1 + _NEAR, reading.sentence_count))})
    own = set(c.sentences)
    therapy = _therapy_sentences(reading, c)
    staged = _stage_sentences(reading, c, stage)
    rule = {x.patients for x in reading.rule_claims if x.condition == c.condition and x.patients is not None}
    out: list[PatientOption] = []
    seen: set[tuple[int, int]] = set()

    def option(i: int, span: Match, v: int, rank: int, words: str, f: Features) -> PatientOption:
        f["first_in_sentence"] = float(rank == 0)
        f["with_condition"] = float(i in own)
        f["in_development"] = float(i in dev)
        f["with_therapy"] = float(i in therapy)
        f["with_stage_cue"] = float(i in staged)
        f["not_done"] = float(bool(a.categories(i, span, "stage") & NOT_DONE))
        f["in_lead"] = float(reading.paragraph(i) == 0)
        f["rules_choice"] = float(v in rule)
        f["first_of_development"] = float(not out)
        f[f"{stage.value}:count"] = 1.0
        for w in _words_before(reading.text, span.start):
            f["before:" + w] = 1.0
        for w in _words_after(reading.text, span.end):
            f["after:" + w] = 1.0
        return PatientOption(v, i, words, f)

    for i in pool:
        s = a.sentences[i]
        sentence = reading.text[s.start : s.end]
        if a.of_role(i, "patient_noun"):
            for rank, count in enumerate(a.patient_counts(i)):
                if (i, count.value) in seen:
                    continue
                seen.add((i, count.value))
                span = Match(s.start + count.start, s.start + count.end, Term("patients", ""))
                f: Features = {"count": 1.0, "value:" + _bucket(count.value): 1.0}
                out.append(option(i, span, count.value, rank, sentence[count.start : count.end], f))
        if (i, 1) in seen:
            continue
        for rank, one in enumerate(single_patients(sentence)):
            seen.add((i, 1))
            span = Match(s.start + one.start, s.start + one.end, Term("patients", ""))
            f = {"single": 1.0, "single:" + one.determiner: 1.0, "single:aged": float(one.aged)}
            if one.marker:
                f["single:" + one.marker] = 1.0
            out.append(option(i, span, 1, rank, sentence[one.start : one.end], f))
            break  # one such option per sentence: they all say "one"
    none: Features = {"none": 1.0, f"none:{stage.value}": 1.0, "none:no_counts": float(not out)}
    out.append(PatientOption(None, -1, "", none))
    return out


def _bucket(v: int) -> str:
    return "1" if v == 1 else "2-5" if v <= 5 else "6-20" if v <= 20 else "21-100" if v <= 100 else ">100"


def outcome_features(reading: Reading, facts: ArticleFacts, c: Candidate, stage: Stage) -> Features:
    """Outcome cues (improved, no effect, adverse; as ConText leaves them) in the condition's
    sentences, its development's and the article's, with the claim's stage."""
    a = reading.analysis
    f: Features = {"bias": 1.0, "stage:" + stage.value: 1.0}
    own, dev = set(c.sentences), set(c.development_sentences)
    for scope, sentences in (("own", own), ("development", dev), ("article", range(reading.sentence_count))):
        found: dict[str, int] = {}
        for i in sentences:
            for value in a.outcomes_in(i):
                found[value] = found.get(value, 0) + 1
        for value, n in found.items():
            f[f"{scope}:{value}"] = math.log1p(n)
    f[
        "rules:"
        + next(
            (str(x.outcome) for x in reading.rule_claims if x.condition == c.condition and x.outcome), "none"
        )
    ] = 1.0
    f["patients_with_it"] = float(any(i in facts.patients for i in dev))
    return f
