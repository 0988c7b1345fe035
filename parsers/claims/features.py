"""Features of a candidate, as named numbers: what the learned decisions weigh.

    facts = article_facts(reading)                    # once per article
    claim_features(reading, facts, candidate)         # is it a claim?  {"cooc_any": 1.0, ...}
    stage_features(reading, facts, candidate)         # which stage?    {"clinical_trial:own_done": 0.69, ...}

Names are stable: the trained weights are keyed by them (``FEATURE_VERSION`` changes when a
feature's meaning does, so an old model file is refused rather than misread). Every value is
a count (as log(1+n)), a share or a 0/1 flag, so one weight per name is enough.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ..decisions import merge_key
from ..institutions import Institution
from ..models import Stage
from ..wordlists import word_list
from .candidates import Candidate, looks_abbreviated
from .parties import names_by_sentence, party_table
from .reading import UNLISTED, Reading, nearest

FEATURE_VERSION = (
    3  # 2: patient options also name one patient; 3: the family of products named (product_family:*)
)
MAX_MENTIONS = 50  # mentions of one condition read one by one (news names one a few times)
STAGES = tuple(Stage)
_MODAL = word_list("modal_word")
_WORD = re.compile(r"[a-z]+")
_PAST = re.compile(r"\b(?:was|were|had|has been|have been|[a-z]{3,}ed)\b")
_CONTEXT = (
    "OTHER",
    "SIDE_EFFECT",
    "BACKGROUND",
    "PLANNED",
    "HYPOTHETICAL",
    "MEMBER",
    "NEGATED",
    "HISTORICAL",
)
_ROLES = ("outcome", "other_topic", "commercial", "trial_approval", "other_treatment")
Features = dict[str, float]


@dataclass(frozen=True)
class ArticleFacts:
    """What every candidate of one article is compared with."""

    mention_counts: dict[str, int]
    first_sentence: dict[str, int]
    rank: dict[str, int]  # conditions by how often they are named (0: most)
    therapy_count: int
    done_cues: dict[Stage, tuple[int, ...]]  # sentences with a cue of the stage that holds
    regulator_sentences: frozenset[int]
    role_sentences: dict[str, frozenset[int]]
    institutions: tuple[int, ...]  # institutions named per sentence
    patients: frozenset[int]  # sentences with a patient count
    modal: frozenset[int]
    past: frozenset[int]
    rule_stages: dict[tuple[str, str], frozenset[str]]  # (family, condition) -> the rules' stages
    rule_links: Counter[tuple[str, str]]
    # The parties (parsers.claims.parties): institutions by name key, the other capitalised
    # names per sentence, the first party key of each sentence, the lead's sentences.
    parties: dict[str, tuple[tuple[int, Institution], ...]]
    names: tuple[tuple[tuple[str, Institution], ...], ...]
    first_party: dict[int, str]
    lead: frozenset[int]


def article_facts(reading: Reading) -> ArticleFacts:
    a = reading.analysis
    n = reading.sentence_count
    counts = {c: len(ms) for c, ms in reading.conditions.items()}
    order = sorted(counts, key=lambda c: (-counts[c], reading.conditions[c][0].sentence))
    done: dict[Stage, list[int]] = {s: [] for s in STAGES}
    for cues in reading.cues:
        for cue in cues:
            if cue.done:
                done[cue.stage].append(cue.sentence)
    modal, past = set(), set()
    for i in range(n):
        s = a.sentences[i]
        norm = a.norm[s.start : s.end]
        if not _MODAL.isdisjoint(_WORD.findall(norm)):
            modal.add(i)
        if _PAST.search(norm):
            past.add(i)
    rule_stages: dict[tuple[str, str], set[str]] = {}
    for claim in reading.rule_claims:
        family = "gene" if claim.therapy.family == "gene" else "cell"
        rule_stages.setdefault((family, claim.indication), set()).add(claim.stage)
    links: Counter[tuple[str, str]] = Counter()
    for dev in reading.developments:
        for link in dev.links:
            links[(reading.family_of(link.therapy), dev.condition)] += 1
    parties = party_table(reading)
    first_party = {i: merge_key(found[0].name) for i in range(n) if (found := a.institutions_in(i))}
    return ArticleFacts(
        mention_counts=counts,
        first_sentence={c: ms[0].sentence for c, ms in reading.conditions.items()},
        rank={c: r for r, c in enumerate(order)},
        therapy_count=sum(len(v) for v in reading.therapies.values()),
        done_cues={s: tuple(v) for s, v in done.items()},
        regulator_sentences=frozenset(i for i in range(n) if a.of_role(i, "regulator")),
        role_sentences={r: frozenset(i for i in range(n) if a.of_role(i, r)) for r in _ROLES},
        institutions=tuple(len(a.institutions_in(i)) for i in range(n)),
        patients=frozenset(i for i in range(n) if a.patient_count(i) is not None),
        modal=frozenset(modal),
        past=frozenset(past),
        rule_stages={k: frozenset(v) for k, v in rule_stages.items()},
        rule_links=links,
        parties=parties,
        names=names_by_sentence(reading),
        first_party=first_party,
        lead=frozenset(i for i in range(n) if reading.paragraph(i) == 0),
    )


def _log(n: float) -> float:
    return math.log1p(n)


def claim_features(reading: Reading, facts: ArticleFacts, c: Candidate) -> Features:
    """Is the candidate a claim of the article (at any stage)?"""
    a = reading.analysis
    f: Features = {"bias": 1.0}
    ms = c.mentions
    indications = [m for m in ms if m.indication]
    own = reading.therapies.get(c.family, ())
    either = own + reading.therapies.get("cgt", ())
    therapy_sentences = {t.sentence for t in either}
    f["mentions"] = _log(len(ms))
    f["indication_mentions"] = _log(len(indications))
    f["never_an_indication"] = float(not indications)
    f["sentences"] = _log(len(c.sentences))
    f["share_of_mentions"] = len(ms) / max(facts.mention_counts.values())
    f["most_named_condition"] = float(facts.rank[c.condition] == 0)
    f["mention_rank"] = min(facts.rank[c.condition], 5) / 5
    f["first_condition_named"] = float(
        facts.first_sentence[c.condition] == min(facts.first_sentence.values())
    )
    f["in_title"] = float(c.condition in reading.title_conditions)
    f["family_in_title"] = float(c.family in reading.title_families)
    f["in_title_with_family"] = f["in_title"] * f["family_in_title"]
    f["in_first_sentence"] = float(c.sentences[0] == 0)
    f["in_lead"] = float(reading.paragraph(c.sentences[0]) == 0)
    f["first_position"] = c.sentences[0] / max(reading.sentence_count, 1)
    for category in _CONTEXT:
        f["context:" + category] = sum(category in m.categories for m in ms) / len(ms)
    term = ms[0].match.term
    f["umbrella"] = float(term.scope == "umbrella")
    f["catchall"] = float(term.scope == "catchall")
    f["event_condition"] = float(term.event)
    f["unlisted"] = float(term.category == UNLISTED)
    others = [reading.conditions[o][0].match.term for o in reading.conditions if o != c.condition]
    f["narrower_named"] = float(any(a.narrower(o, term) for o in others))
    f["broader_named"] = float(any(a.narrower(term, o) for o in others))
    with_therapy = [i for i in c.sentences if i in therapy_sentences]
    f["with_therapy"] = _log(len(with_therapy))
    f["with_therapy_any"] = float(bool(with_therapy))
    f["indication_with_therapy"] = float(any(m.sentence in therapy_sentences for m in indications))
    f["with_therapy_in_lead"] = float(any(reading.paragraph(i) == 0 for i in with_therapy))
    f["therapy_distance"] = nearest(c.sentences, sorted(therapy_sentences), 10) / 10
    f["family_share"] = len(own) / max(facts.therapy_count, 1)
    f["family_mentions"] = _log(len(own))
    f["family_only_generic"] = float(not own)
    local = [family for i in c.sentences for family in reading.families[i]]
    f["family_share_near"] = sum(x in (c.family, "cgt") for x in local) / len(local) if local else 0.5
    f["family_most_near"] = float(bool(local) and Counter(local).most_common(1)[0][0] == c.family)
    f["family_most_named"] = float(
        len(own) == max(len(reading.therapies.get(x, ())) for x in ("cell", "gene"))
    )
    key = (c.family, c.condition)
    f["rule_links"] = _log(facts.rule_links[key])
    f["rule_claim"] = float(bool(facts.rule_stages.get(key)))
    f["rule_claim_other_family"] = float(
        not facts.rule_stages.get(key) and any(k[1] == c.condition for k in facts.rule_stages)
    )
    f["conditions_named"] = _log(len(reading.conditions))
    f["product_named"] = float(c.product is not None)
    product = a.vocab.products.get(c.product) if c.product else None
    f["product_for_condition"] = float(product is not None and c.condition in product.conditions)
    # Which class the products named for the condition are of ("Kymriah", a CAR-T product, in an
    # article that calls it "the first gene therapy"): the family a reader gives the claim.
    near = set(c.development_sentences)
    for t in (t for ts in reading.therapies.values() for t in ts):
        named = a.vocab.products.get(t.match.term.product) if t.match.term.product else None
        if named is not None and (t.sentence in near or c.condition in named.conditions):
            f["product_family:" + ("same" if t.family in (c.family, "cgt") else "other")] = 1.0
    f["patients_with_it"] = float(any(i in facts.patients for i in c.sentences))
    f["outcome_with_it"] = float(any(i in facts.role_sentences["outcome"] for i in c.sentences))
    f["only_abbreviated"] = float(all(looks_abbreviated(reading.words(m.match)) for m in ms))
    f["done_cues_in_article"] = _log(sum(len(v) for v in facts.done_cues.values()))
    f["institutions_in_article"] = _log(len(a.institutions))
    _mention_features(reading, facts, c, therapy_sentences, f)
    return f


def _mention_features(
    reading: Reading, facts: ArticleFacts, c: Candidate, therapy_sentences: set[int], f: Features
) -> None:
    """Per mention, what its sentence also says (therapy, a stage that holds, an indication
    marker, a party, patients, a list of conditions, modal or past tense), as the share of
    the candidate's mentions and whether any has it."""
    a = reading.analysis
    found: Counter[str] = Counter()
    other_families = {"cell": "gene", "gene": "cell"}
    for m in c.mentions[:MAX_MENTIONS]:
        i = m.sentence
        therapy = i in therapy_sentences
        other = other_families[c.family] in reading.families[i]
        cues = reading.cues[i]
        done = any(cue.done for cue in cues)
        marker = a.indication_marked(i, m.match)
        party = facts.institutions[i] > 0
        patients = i in facts.patients
        conditions = len({x.value for x in a.of_role(i, "condition")})
        flags = {
            "therapy": therapy,
            "other_family_only": other and not therapy,
            "therapy_done": therapy and done,
            "therapy_done_marker": therapy and done and marker,
            "therapy_marker": therapy and marker,
            "marker": marker,
            "done": done,
            "undone_only": bool(cues) and not done,
            "party": party,
            "therapy_party": therapy and party,
            "patients": patients,
            "therapy_patients": therapy and patients,
            "list3": conditions >= 3,
            "list5": conditions >= 5,
            "modal": i in facts.modal,
            "modal_not_past": i in facts.modal and i not in facts.past,
            "past": i in facts.past,
            "therapy_past_done": therapy and done and i in facts.past,
            "therapy_in_lead": therapy and reading.paragraph(i) == 0,
            "indication_therapy": m.indication and therapy,
        }
        for role in _ROLES:
            flags[role] = i in facts.role_sentences[role]
        for name, on in flags.items():
            if on:
                found[name] += 1
    for name, count in found.items():
        f["any:" + name] = 1.0
        f["share:" + name] = count / min(len(c.mentions), MAX_MENTIONS)


def stage_features(reading: Reading, facts: ArticleFacts, c: Candidate) -> Features:
    """At which stage is the candidate claimed? Per stage: cues that hold in the condition's
    own sentences, in its development's, in the article, in the title; their distance; the
    rules' vote."""
    f: Features = {"bias": 1.0}
    own, dev = set(c.sentences), set(c.development_sentences)
    therapy_sentences = {
        t.sentence for t in reading.therapies.get(c.family, ()) + reading.therapies.get("cgt", ())
    }
    rule = facts.rule_stages.get((c.family, c.condition), frozenset())
    for stage in STAGES:
        s = stage.value
        own_cues = [cue for i in own for cue in reading.cues[i] if cue.stage is stage]
        dev_cues = [cue for i in dev for cue in reading.cues[i] if cue.stage is stage]
        f[s + ":own_done"] = _log(sum(cue.done for cue in own_cues))
        f[s + ":own_undone"] = _log(sum(not cue.done for cue in own_cues))
        f[s + ":development_done"] = _log(sum(cue.done for cue in dev_cues))
        f[s + ":article"] = _log(len(facts.done_cues[stage]))
        f[s + ":article_any"] = float(bool(facts.done_cues[stage]))
        f[s + ":title"] = float(s in reading.title_stages)
        f[s + ":rules"] = float(s in rule)
        f[s + ":distance"] = nearest(c.sentences, facts.done_cues[stage], 10) / 10
        f[s + ":with_therapy"] = float(
            any(cue.done and cue.sentence in therapy_sentences for cue in own_cues)
        )
        f[s + ":in_lead"] = float(any(reading.paragraph(i) == 0 for i in facts.done_cues[stage]))
    f["study_denied"] = float(any(cue.denied for i in dev for cue in reading.cues[i]))
    f["regulator_in_development"] = float(bool(facts.regulator_sentences & dev))
    f["regulator_in_article"] = float(bool(facts.regulator_sentences))
    product = reading.analysis.vocab.products.get(c.product) if c.product else None
    f["product_approved_somewhere"] = float(product is not None and bool(product.approved_in))
    f["trial_approval_in_article"] = float(bool(facts.role_sentences["trial_approval"]))
    f["trial_approval_in_development"] = float(bool(facts.role_sentences["trial_approval"] & dev))
    f["commercial_in_development"] = float(bool(facts.role_sentences["commercial"] & dev))
    return f


_STAGE_FEATURE_TEXT = {
    "own_done": "{stage} cue with the condition",
    "own_undone": "{stage} cue with the condition, negated or planned",
    "development_done": "{stage} cue in its development's sentences",
    "article": "{stage} cues in the article",
    "article_any": "a {stage} cue in the article",
    "title": "{stage} cue in the title",
    "rules": "the rules' stage is {stage}",
    "distance": "sentences to the nearest {stage} cue",
    "with_therapy": "{stage} cue with the condition and the therapy",
    "in_lead": "{stage} cue in the lead",
}
_FEATURE_TEXT = {
    "rule_claim": "the rules' claim",
    "rule_links": "the rules link therapy and condition",
    "share_of_mentions": "share of condition mentions",
    "most_named_condition": "the condition named most",
    "in_title": "condition in the title",
    "in_lead": "condition in the lead",
    "in_first_sentence": "condition in the first sentence",
    "with_therapy_any": "named with the therapy",
    "umbrella": "an umbrella condition",
    "narrower_named": "a narrower condition is named",
    "broader_named": "a broader condition is named",
    "unlisted": "a condition the vocabulary does not list",
    "product_for_condition": "a product made for the condition",
    "first_named": "the first party named",
    "before:at": "'at' before it",
    "before:by": "'by' before it",
    "with_stage_cue": "named with a stage cue",
    "with_condition": "named with the condition",
    "rules_choice": "the rules' choice",
    "product_owner": "the product's owner",
}


def feature_text(name: str) -> str:
    """A feature's name as words, for ``why`` ("clinical_trial:own_done" -> "clinical_trial cue
    with the condition"); names without words of their own are shown as they are."""
    if name in _FEATURE_TEXT:
        return _FEATURE_TEXT[name]
    stage, _, rest = name.partition(":")
    if stage in {s.value for s in STAGES} and rest in _STAGE_FEATURE_TEXT:
        return _STAGE_FEATURE_TEXT[rest].format(stage=stage)
    return name
