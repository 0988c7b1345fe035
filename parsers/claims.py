"""Claim extraction: which party applied which cell or gene therapy to which condition, at
which stage, in how many patients, with what outcome, stated by which sentence.

    extractor = RuleBasedExtractor()
    claims = extractor.extract(article)        # ParsedArticle -> list[Claim]

Any object with ``extract(article) -> list[Claim]`` can stand in (see ``ClaimExtractor``).

The rules, in order:

1. Vocabulary terms (therapies, conditions, stage, outcome and blocking cues, places) are found
   in one Aho-Corasick pass; institutions by their head words (``parsers.institutions``).
2. A claim starts from a condition named in a sentence. Its therapy is the most specific
   therapy term in the same clause, else in the sentence, else (when the sentence refers back:
   "the therapy", "this treatment") the article's last therapy.
3. Its stage is the strongest unblocked stage cue in the clause, else in the sentence, else in
   the neighbouring sentences of the paragraph: approved > clinical_trial > preclinical >
   clinical_use > research. A cue shortly after a future, hedged or negated phrase ("plans
   to", "could", "no", "not yet") does not count, so plans and denials make no claim.
   Without a stage cue there is no claim (background statements state none).
4. Conditions named after a death or adverse-event phrase ("died from acute liver failure",
   "side effects including ...") are adverse events, not indications.
5. Institution: the first named in the clause or sentence, else one referred back to ("the
   hospital" -> the last hospital named), else the last one named earlier in the paragraph.
6. Patients and outcome come from the sentence and the sentences that continue it (same
   paragraph, no claim of their own); those sentences join the evidence.
7. Per article, claims with the same (institution, therapy, indication, stage) merge; a generic
   "cell and gene therapy" or "cell therapy" claim gives way to a specific therapy for the same
   (institution, indication, stage); clinical use gives way to a clinical trial of the same
   development (patients treated in a trial are trial patients).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .institutions import Institution, find_institutions, join_affiliations
from .models import Claim, ParsedArticle
from .text import Sentence, normalise_for_matching, split_sentences
from .vocab import THERAPY_RANK, Match, Vocabulary, default_vocabulary

STAGE_STRENGTH = {"approved": 5, "clinical_trial": 4, "preclinical": 3, "clinical_use": 2, "research": 1}
_BLOCK_WINDOW_WORDS = 5
_CLAUSE_BREAK = re.compile(
    r";|\bwhile\b|\bwhereas\b|\bbefore\b|,\s+but\b|\bsimultaneously\b|\bmeanwhile\b"
    r"|,\s+and\s+(?=(?:is|are|was|were|has|have|had|also|it|they)\b)"
)
_THERAPY_REFERENCE = re.compile(
    r"\b(?:the|this|that|its|their|these|such)\s+(?:new\s+|novel\s+|experimental\s+|same\s+)?"
    r"(?:therapy|therapies|treatment|treatments|procedure|technique|approach|drug|medicine|"
    r"product|cells|injection|infusion|method)\b"
)
_INSTITUTION_REFERENCE = re.compile(
    r"\b(?:the|this|that)\s+(hospital|clinic|institute|institution|university|college|school|"
    r"company|firm|biotech|drugmaker|center|centre|laboratory|lab|academy)(?:'s)?\b"
)
_REFERENCE_KIND = {
    "hospital": "hospital",
    "clinic": "hospital",
    "center": "hospital",
    "centre": "hospital",
    "institute": "institute",
    "institution": None,
    "laboratory": "institute",
    "lab": "institute",
    "academy": "institute",
    "university": "university",
    "college": "university",
    "school": "university",
    "company": "company",
    "firm": "company",
    "biotech": "company",
    "drugmaker": "company",
}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "both": 2,
    "dozen": 12,
    "single": 1,
}
_PATIENT_NOUN = (
    r"(?:patients?|participants?|cases?|children|child|adults?|people|persons?|subjects?|men|"
    r"women|man|woman|infants?|babies|baby|boys?|girls?|recipients?|volunteers?|individuals?|"
    r"kids?|toddlers?|newborns?|teenagers?|teens?)"
)
_NUMBER = r"(\d[\d,]*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_PATIENTS = re.compile(
    r"\b" + _NUMBER + r"\s+(?:(?:[a-z]+[-‐][a-z-]+|[\w’']+)\s+){0,3}?" + _PATIENT_NOUN + r"\b",
    re.I,
)
_OUT_OF = re.compile(r"\b\d+\s*%?\s*\(?\s*(\d+)\s+(?:out\s+)?of\s+(?:the\s+)?(\d[\d,]*)\b")
_POPULATION = re.compile(
    r"\b(?:million|millions|billion|thousand|thousands|percent|per\s*cent|worldwide|each year|"
    r"every year|per year|annually|in the world|nationwide|globally|affects?|affected|estimated|"
    r"born with|diagnosed each)\b",
    re.I,
)


class ClaimExtractor(Protocol):
    """Anything that turns an article into claims (rules today, perhaps a language model later)."""

    def extract(self, article: ParsedArticle) -> list[Claim]: ...


@dataclass
class _Candidate:
    institution: str | None
    institution_kind: str | None
    therapy: str
    therapy_detail: str | None
    indication: str
    stage: str
    sentences: list[int]
    patients: int | None
    outcome: str | None
    location: str | None
    outcomes: set[str] = field(default_factory=set)


class RuleBasedExtractor:
    """The vocabulary-and-rules extractor described in this module's docstring."""

    name = "rules-v1"

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()

    def extract(self, article: ParsedArticle) -> list[Claim]:
        return self.extract_text(article.text)

    def extract_text(self, text: str) -> list[Claim]:
        doc = _Document(text, self.vocab)
        candidates: list[_Candidate] = []
        context_therapy: tuple[str, str] | None = None
        for sentence in doc.sentences:
            candidates.extend(self._sentence_claims(doc, sentence, context_therapy))
            therapies = doc.of_role(sentence, "therapy")
            if therapies:
                best = max(therapies, key=lambda m: m.term.rank)
                context_therapy = (best.value, text[best.start : best.end])
        return [self._to_claim(doc, c) for c in _consolidate(candidates)]

    # -- one sentence -------------------------------------------------------------------
    def _sentence_claims(
        self, doc: _Document, sentence: Sentence, context_therapy: tuple[str, str] | None
    ) -> Iterable[_Candidate]:
        conditions = [m for m in doc.of_role(sentence, "condition") if not doc.is_adverse_event(sentence, m)]
        if not conditions:
            return []
        out = []
        for condition in conditions:
            clause = doc.clause_of(sentence, condition.start)
            therapy = self._therapy(doc, sentence, clause, condition, context_therapy)
            if therapy is None:
                continue
            stage = doc.stage(sentence, clause)
            if stage is None:
                continue
            follow = doc.continuation(sentence)
            patients, patient_sentence = doc.patients(sentence, follow)
            outcomes, outcome_sentences = doc.outcomes(sentence, follow)
            used = sorted(
                {
                    sentence.index,
                    *outcome_sentences,
                    *([patient_sentence] if patient_sentence is not None else []),
                }
            )
            inst = doc.institution(sentence, clause)
            out.append(
                _Candidate(
                    institution=inst.name if inst else None,
                    institution_kind=inst.kind if inst else None,
                    therapy=therapy[0],
                    therapy_detail=therapy[1],
                    indication=condition.value,
                    stage=stage,
                    sentences=used,
                    patients=patients,
                    outcome=_combine_outcomes(outcomes),
                    location=doc.location(sentence, stage),
                    outcomes=set(outcomes),
                )
            )
        return out

    def _therapy(
        self,
        doc: _Document,
        sentence: Sentence,
        clause: tuple[int, int],
        condition: Match,
        context: tuple[str, str] | None,
    ) -> tuple[str, str] | None:
        therapies = doc.of_role(sentence, "therapy")
        in_clause = [m for m in therapies if clause[0] <= m.start < clause[1]]
        pool = in_clause or therapies
        if pool:
            best = max(pool, key=lambda m: (m.term.rank, -abs(m.start - condition.start)))
            return best.value, doc.text[best.start : best.end]
        if context and _THERAPY_REFERENCE.search(doc.norm, sentence.start, sentence.end):
            return context
        return None

    def _to_claim(self, doc: _Document, c: _Candidate) -> Claim:
        return Claim(
            institution=c.institution,
            location=c.location,
            therapy=c.therapy,
            therapy_detail=c.therapy_detail,
            indication=c.indication,
            stage=c.stage,
            patients=c.patients,
            outcome=c.outcome,
            evidence=doc.evidence(c.sentences),
        )


def _combine_outcomes(outcomes: Iterable[str]) -> str | None:
    found = set(outcomes)
    if {"improved", "adverse"} <= found:
        return "mixed"
    for value in ("adverse", "no_effect", "improved"):
        if value in found:
            return value
    return None


class _Document:
    """An article's text with its sentences, vocabulary matches and institutions."""

    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.norm = normalise_for_matching(text)
        self.sentences = split_sentences(text)
        matches = vocab.scan(text, self.norm)
        self.by_sentence: list[list[Match]] = [[] for _ in self.sentences]
        self.institutions = join_affiliations(text, find_institutions(text, vocab))
        starts = [s.start for s in self.sentences]
        import bisect

        self._bisect = bisect.bisect_right
        self._starts = starts
        for m in matches:
            idx = self._sentence_at(m.start)
            if idx is not None:
                self.by_sentence[idx].append(m)
        self.first_places = [m for m in matches if m.role == "place" and not self._inside_institution(m)][:3]

    def _sentence_at(self, pos: int) -> int | None:
        i = self._bisect(self._starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return i
        return None

    def of_role(self, sentence: Sentence, role: str) -> list[Match]:
        return [m for m in self.by_sentence[sentence.index] if m.role == role]

    def clauses(self, sentence: Sentence) -> list[tuple[int, int]]:
        bounds = [sentence.start]
        for m in _CLAUSE_BREAK.finditer(self.norm, sentence.start, sentence.end):
            bounds.append(m.start())
        bounds.append(sentence.end)
        return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    def clause_of(self, sentence: Sentence, pos: int) -> tuple[int, int]:
        for clause in self.clauses(sentence):
            if clause[0] <= pos < clause[1]:
                return clause
        return (sentence.start, sentence.end)

    def is_adverse_event(self, sentence: Sentence, condition: Match) -> bool:
        return any(
            m.role == "adverse_context" and m.end <= condition.start for m in self.by_sentence[sentence.index]
        )

    # -- stage ----------------------------------------------------------------------------
    def _unblocked_stages(self, sentence: Sentence, lo: int, hi: int) -> list[str]:
        matches = self.by_sentence[sentence.index]
        blocks = [m for m in matches if m.role == "block"]
        out = []
        for m in matches:
            if m.role != "stage" or not lo <= m.start < hi:
                continue
            blocked = any(
                b.end <= m.start
                and b.start >= lo
                and len(self.norm[b.end : m.start].split()) <= _BLOCK_WINDOW_WORDS
                for b in blocks
            )
            if not blocked:
                out.append(m.value)
        return out

    def stage(self, sentence: Sentence, clause: tuple[int, int]) -> str | None:
        for lo, hi in (clause, (sentence.start, sentence.end)):
            stages = self._unblocked_stages(sentence, lo, hi)
            if stages:
                return max(stages, key=STAGE_STRENGTH.__getitem__)
        for neighbour in self.neighbours(sentence):
            stages = self._unblocked_stages(neighbour, neighbour.start, neighbour.end)
            if stages and not self.of_role(neighbour, "condition"):
                return max(stages, key=STAGE_STRENGTH.__getitem__)
        return None

    def neighbours(self, sentence: Sentence) -> list[Sentence]:
        out = []
        for i in (sentence.index - 1, sentence.index + 1):
            if 0 <= i < len(self.sentences) and self.sentences[i].paragraph == sentence.paragraph:
                out.append(self.sentences[i])
        return out

    # -- continuation, patients, outcome -------------------------------------------------
    def continuation(self, sentence: Sentence, limit: int = 2) -> list[Sentence]:
        """Following sentences of the paragraph that add detail without a claim of their own."""
        out = []
        for i in range(sentence.index + 1, min(len(self.sentences), sentence.index + 1 + limit)):
            nxt = self.sentences[i]
            if nxt.paragraph != sentence.paragraph or self.of_role(nxt, "condition"):
                break
            if self.of_role(nxt, "therapy") and not _THERAPY_REFERENCE.search(self.norm, nxt.start, nxt.end):
                break
            out.append(nxt)
        return out

    def patients(self, sentence: Sentence, follow: list[Sentence]) -> tuple[int | None, int | None]:
        for s in [sentence, *follow]:
            count = _count_patients(self.text[s.start : s.end])
            if count is not None:
                return count, s.index
        return None, None

    def outcomes(self, sentence: Sentence, follow: list[Sentence]) -> tuple[list[str], list[int]]:
        values: list[str] = []
        used: list[int] = []
        for s in [sentence, *follow]:
            found = [m.value for m in self.of_role(s, "outcome")]
            if found:
                values.extend(found)
                if s.index != sentence.index:
                    used.append(s.index)
        return values, used

    # -- institution and location -----------------------------------------------------------
    def institution(self, sentence: Sentence, clause: tuple[int, int]) -> Institution | None:
        here = [i for i in self.institutions if sentence.start <= i.start < sentence.end]
        in_clause = [i for i in here if clause[0] <= i.start < clause[1]]
        if in_clause or here:
            return (in_clause or here)[0]
        ref = _INSTITUTION_REFERENCE.search(self.norm, sentence.start, sentence.end)
        earlier = [i for i in self.institutions if i.end <= sentence.start]
        if ref:
            kind = _REFERENCE_KIND.get(ref.group(1))
            for inst in reversed(earlier):
                if kind is None or inst.kind == kind:
                    return inst
        paragraph_start = min(s.start for s in self.sentences if s.paragraph == sentence.paragraph)
        same_paragraph = [i for i in earlier if i.start >= paragraph_start]
        return same_paragraph[-1] if same_paragraph else None

    def location(self, sentence: Sentence, stage: str) -> str | None:
        matches = self.by_sentence[sentence.index]
        if stage == "approved":
            regulators = [m for m in matches if m.role == "regulator"]
            if regulators:
                return regulators[0].value
        places = [m for m in matches if m.role == "place" and not self._inside_institution(m)]
        places = places or self.first_places
        if not places:
            return None
        first = places[0]
        name = self.text[first.start : first.end]
        return name if name == first.value else f"{name}, {first.value}"

    def _inside_institution(self, m: Match) -> bool:
        return any(i.start <= m.start and m.end <= i.end for i in self.institutions)

    # -- evidence -------------------------------------------------------------------------
    def evidence(self, indices: list[int]) -> str:
        parts: list[str] = []
        prev: int | None = None
        for i in sorted(set(indices)):
            s = self.sentences[i]
            if prev is not None and i == prev + 1 and parts:
                start = self.sentences[prev].end
                parts[-1] = (
                    parts[-1] + self.text[start : s.end]
                    if "\n" not in self.text[start : s.start]
                    else parts[-1] + " " + self.text[s.start : s.end]
                )
            else:
                if parts:
                    parts.append(" [...] ")
                parts.append(self.text[s.start : s.end])
            prev = i
        return "".join(parts)


def _count_patients(sentence: str) -> int | None:
    m = _OUT_OF.search(sentence)
    if m:
        return int(m.group(2).replace(",", ""))
    for m in _PATIENTS.finditer(sentence):
        raw = m.group(1).lower()
        tail = sentence[m.end() : m.end() + 40]
        head = sentence[max(0, m.start() - 25) : m.start()]
        if _POPULATION.search(tail) or _POPULATION.search(head) or _POPULATION.search(m.group(0)):
            continue
        if raw in ("a", "an", "single"):
            noun = m.group(0).split()[-1].lower()
            if noun.endswith("s") and noun not in ("boys", "girls"):
                continue
        if raw.replace(",", "").isdigit():
            value = int(raw.replace(",", ""))
            if value > 100000:
                continue
            return value
        return _NUMBER_WORDS[raw]
    return None


def _institution_key(name: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (name or "").lower()).strip()


def _consolidate(candidates: list[_Candidate]) -> list[_Candidate]:
    merged: dict[tuple[str, str, str, str], _Candidate] = {}
    for c in candidates:
        key = (_institution_key(c.institution), c.therapy, c.indication, c.stage)
        old = merged.get(key)
        if old is None:
            merged[key] = c
            continue
        old.sentences = sorted(set(old.sentences) | set(c.sentences))
        old.patients = old.patients if old.patients is not None else c.patients
        old.outcomes |= c.outcomes
        old.outcome = _combine_outcomes(old.outcomes)
        old.location = old.location or c.location
    claims = list(merged.values())
    generic = {"cell and gene therapy": 0, "cell therapy": 1}
    kept = []
    for c in claims:
        inst = _institution_key(c.institution)
        if c.therapy in generic and any(
            o is not c
            and o.indication == c.indication
            and o.stage == c.stage
            and _institution_key(o.institution) == inst
            and THERAPY_RANK[o.therapy] > THERAPY_RANK[c.therapy]
            for o in claims
        ):
            continue
        if c.stage == "clinical_use" and any(
            o.stage == "clinical_trial"
            and o.indication == c.indication
            and o.therapy == c.therapy
            and _institution_key(o.institution) in (inst, "")
            for o in claims
        ):
            continue
        kept.append(c)
    return kept


def extract_claims(text: str, vocabulary: Vocabulary | None = None) -> list[Claim]:
    """Claims stated in ``text`` by the default rule-based extractor."""
    return RuleBasedExtractor(vocabulary).extract_text(text)
