"""Claim extraction: which party applied which cell or gene therapy to which condition, at
which stage, in how many patients, with what outcome, stated by which sentence.

    extractor = RuleBasedExtractor()
    claims = extractor.extract(article)        # ParsedArticle -> list[Claim]

Any object with ``extract(article) -> list[Claim]`` can stand in (see ``ClaimExtractor``).

The rules, in order:

1. Vocabulary terms (therapies, conditions, stage, outcome, blocking and adverse-event cues,
   places, regulators) are found in one Aho-Corasick pass; institutions by their head words
   and roles (``parsers.institutions``).
2. A claim starts from a condition named in a sentence. Not indications: conditions named
   after a death ("died from acute liver failure") or in a list of side effects; conditions
   after "other" ("other autoimmune diseases"); an umbrella term ("an inherited bleeding
   disorder") next to a specific condition of the same field in the same sentence.
   A catch-all term ("a rare genetic disease") stands for the article's main specific
   condition when it has one.
3. Therapy: the most specific therapy term in the clause, else in the sentence, else the last
   therapy named in the three sentences before, else — when the sentence refers back ("the
   therapy", "this treatment") — the article's last therapy.
4. A sentence that names a therapy (or refers to one) and states its own stage but names no
   condition continues the topic: its condition is the recent condition it shares a word with
   ("affected knee joints" -> knee osteoarthritis), else the one condition of the sentences
   just before, else the article's main condition.
5. Stage: the strongest unblocked stage cue in the clause, else in the sentence, else in the
   neighbouring sentences of the paragraph: approved > clinical_trial > preclinical >
   clinical_use > research. A cue shortly after a future, hedged or negated phrase ("plans
   to", "could", "no", "not yet") does not count, so plans and denials make no claim; trials
   being approved are trial cues, not approvals. Without a stage cue there is no claim
   (background statements such as "CAR-T has advantages in blood cancers" state none).
6. Institution: the first named in the clause or sentence, else one referred back to ("the
   hospital" -> the last hospital named), else the affiliation of a person named in the
   sentence ("Pan, a researcher at X, ..." then "Pan said ..."), else the last one named
   earlier in the paragraph. Approvals without one go to the company the article names.
   Regulators are never the institution; they give an approval's location.
7. Patients and outcome come from the sentence and up to four following sentences of the
   paragraph that continue it (no new condition, no other therapy); those join the evidence.
   Improved and adverse together give mixed.
8. Per article: claims with the same (institution, therapy, indication, stage) merge; a claim
   without institution merges into its named twin; a generic "cell and gene therapy" or "cell
   therapy" claim gives way to a specific therapy for the same indication and stage; clinical
   use gives way to a clinical trial of the same therapy and indication (patients treated in a
   trial are trial patients) and hands over its institution, patients, outcome and evidence.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .institutions import Institution, find_affiliations, find_institutions, join_affiliations
from .models import Claim, ParsedArticle
from .text import Sentence, normalise_for_matching, split_sentences
from .vocab import THERAPY_RANK, Match, Term, Vocabulary, default_vocabulary

STAGE_STRENGTH = {"approved": 5, "clinical_trial": 4, "preclinical": 3, "clinical_use": 2, "research": 1}
_BLOCK_WINDOW_WORDS = 5
_RECENT_SENTENCES = 3
_CONTINUATION_SENTENCES = 4
_THERAPY_REFERENCE = re.compile(
    r"\b(?:the|this|that|its|their|these|such|novel|new|innovative|experimental)\s+"
    r"(?:new\s+|novel\s+|experimental\s+|same\s+|innovative\s+|one[ -]time\s+|custom\s+|gene\s+)?"
    r"(?:therapy|therapies|treatment|treatments|procedure|technique|approach|drug|medicine|"
    r"medication|product|cells|injection|infusion|method|therapeutic applications?)\b"
)
_CONDITION_REFERENCE = re.compile(
    r"\b(?:the|this|that|their|his|her|its)\s+(?:\w+\s+)?(?:disease|condition|disorder|illness)\b"
)
_INDICATION_MARKER = re.compile(r"\b(?:for|with|to treat|against|treating)\s+(?:\S+\s+){0,2}$")
_DEFINITE_BEFORE = re.compile(r"\b(?:the|this|that|their|his|her|its)\s+$")
_OTHER_BEFORE = re.compile(r"\b(?:other|different|various|many|several|such)\s+(?:\w+\s+)?$")
_INSTITUTION_REFERENCE = re.compile(
    r"\b(?:the|this|that)\s+(hospital|clinic|institute|institution|university|college|school|"
    r"company|firm|biotech|drugmaker|center|centre|laboratory|lab|academy)(?:'s)?\b"
)
_REFERENCE_KIND = {
    "hospital": "hospital", "clinic": "hospital", "center": "hospital", "centre": "hospital",
    "institute": "institute", "institution": None, "laboratory": "institute", "lab": "institute",
    "academy": "institute", "university": "university", "college": "university",
    "school": "university", "company": "company", "firm": "company", "biotech": "company",
    "drugmaker": "company",
}  # fmt: skip
_NUMBER_WORDS = {
    "a": 1, "an": 1, "the": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "both": 2, "dozen": 12,
}  # fmt: skip
_SINGULAR_ONLY = {"a", "an", "the", "single"}
_PATIENT_NOUN = (
    r"(?:patients?|participants?|cases?|children|child|adults?|people|persons?|subjects?|men|"
    r"women|man|woman|infants?|babies|baby|boys?|girls?|recipients?|volunteers?|individuals?|"
    r"kids?|toddlers?|newborns?|teenagers?|teens?|deaths?)"
)
_NUMBER = r"(\d[\d,]*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_PATIENTS = re.compile(
    r"\b" + _NUMBER + r"\s+(?:[\w’'‐-]+\s+){0,3}?" + _PATIENT_NOUN + r"\b",
    re.I,
)
_TOKEN = re.compile(r"[\w,]+")
# "\d(?<!\w\d)\d*" is "\b\d+" written to start with a character class, so that the regex
# engine skips to the next digit instead of trying every position.
_OUT_OF = re.compile(r"\d(?<!\w\d)\d*\s*%?\s*\(?\s*(\d+)\s+(?:out\s+)?of\s+(?:the\s+)?(\d[\d,]*)\b")
_POPULATION = re.compile(
    r"\b(?:million|millions|billion|thousand|thousands|percent|per\s*cent|worldwide|each year|"
    r"every year|per year|annually|in the world|nationwide|globally|affects?|estimated|"
    r"diagnosed each|more than|over|up to|at least)\b",
    re.I,
)
# "the death of ... neurons" is biology, not a patient's death.
_DEATH_OF_THING = re.compile(
    r"\s+of\s+(?!(?:a|an|the|one|two|\d+)\s+(?:\w+\s+)?(?:patients?|boys?|girls?|man|woman|child|participants?)\b)"
)
_GENERIC_THERAPIES = ("cell and gene therapy", "cell therapy")
_TREATMENT_WORD = re.compile(r"\b\w+\s+(?:therapy|therapies|drug|drugs|medication|medications|prophylaxis)\b")
_EDITED_IMMUNE_CELLS = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:immune|t)\s+cells?\b")


class ClaimExtractor(Protocol):
    """Anything that turns an article into claims (rules today, perhaps a language model later)."""

    def extract(self, article: ParsedArticle) -> list[Claim]: ...


@dataclass
class _Candidate:
    institution: Institution | None
    therapy: str
    therapy_detail: str | None
    indication: str
    stage: str
    sentences: list[int]
    patients: int | None
    outcomes: set[str]
    location: str | None
    order: int
    commercial: bool = False
    also_institutions: list[Institution] = field(default_factory=list)

    @property
    def institution_key(self) -> str:
        return _institution_key(self.institution.name if self.institution else None)


class RuleBasedExtractor:
    """The vocabulary-and-rules extractor described in this module's docstring."""

    name = "rules-v2"

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()

    def extract(self, article: ParsedArticle) -> list[Claim]:
        return self.extract_text(article.text)

    def extract_text(self, text: str) -> list[Claim]:
        doc = _Document(text, self.vocab)
        candidates: list[_Candidate] = []
        for sentence in doc.sentences:
            candidates.extend(self._sentence_claims(doc, sentence))
        claims = _consolidate(candidates)
        doc.attach_orphan_details(claims)
        company = doc.first_company()
        for c in claims:
            if c.stage == "approved" and c.institution is None and company is not None:
                c.institution = company
        claims.sort(key=lambda c: c.order)
        return [doc.to_claim(c) for c in claims]

    def _sentence_claims(self, doc: _Document, sentence: Sentence) -> list[_Candidate]:
        roles = doc.roles[sentence.index]
        conditions = doc.indications(sentence)
        if not conditions and "stage" not in roles:
            return []
        explicit_therapy = "therapy" in roles
        own_stage = doc.stage_in(sentence, sentence.start, sentence.end, weak=bool(conditions))
        if (
            not conditions
            and own_stage is not None
            and "block" not in roles
            and "condition" not in roles
            and (explicit_therapy or doc.refers_to_therapy(sentence))
        ):
            context = doc.context_condition(sentence)
            if context is not None:
                conditions = [context]
        out = []
        for condition in conditions:
            clause = doc.clause_of(sentence, condition.start)
            therapy = doc.therapy_for(sentence, clause, condition)
            if therapy is None:
                continue
            if not explicit_therapy and (own_stage is None or doc.names_other_treatment(sentence)):
                continue
            stage = doc.stage(sentence, clause)
            if stage is None:
                continue
            follow = doc.continuation(sentence, therapy[0])
            patients, patient_sentence = doc.patients(sentence, follow)
            outcomes, outcome_sentences = doc.outcomes(sentence, follow)
            used = {sentence.index, *outcome_sentences}
            if patient_sentence is not None:
                used.add(patient_sentence)
            out.append(
                _Candidate(
                    institution=doc.institution(sentence, clause),
                    therapy=therapy[0],
                    therapy_detail=therapy[1],
                    indication=doc.resolve_catchall(condition),
                    stage=stage,
                    sentences=sorted(used),
                    patients=patients,
                    outcomes=set(outcomes),
                    location=doc.location(sentence, stage),
                    order=sentence.start,
                    commercial=any(doc.of_role(doc.sentences[i], "commercial") for i in used),
                )
            )
        return out


def _combine_outcomes(outcomes: Iterable[str]) -> str | None:
    found = set(outcomes)
    if {"improved", "adverse"} <= found:
        return "mixed"
    for value in ("adverse", "no_effect", "improved"):
        if value in found:
            return value
    return None


class _Document:
    """An article's text with its sentences, vocabulary matches, institutions and context."""

    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab
        self.norm = normalise_for_matching(text)
        self.sentences = split_sentences(text)
        self._starts = [s.start for s in self.sentences]
        self.by_sentence: list[list[Match]] = [[] for _ in self.sentences]
        self.roles: list[dict[str, list[Match]]] = [{} for _ in self.sentences]
        for m in vocab.scan(text, self.norm):
            idx = self._sentence_at(m.start)
            if idx is not None:
                self.by_sentence[idx].append(m)
                self.roles[idx].setdefault(m.role, []).append(m)
        triggers = [m for ms in self.by_sentence for m in ms if m.role.startswith("org_")]
        self.institutions = join_affiliations(text, find_institutions(text, vocab, triggers))
        self.affiliations = find_affiliations(text, self.institutions)
        self._patient_counts: dict[int, int | None] = {}
        self._indications: list[list[Match]] = []
        for s in self.sentences:  # in order: a sentence may refer back to earlier ones
            self._indications.append(self._explicit_indications(s))
        counts: Counter[str] = Counter()
        scope = self.vocab.condition_scope
        for found in self._indications:
            for m in found:
                if scope.get(m.value) != "catchall":
                    counts[m.value] += 1
        specific = [(n, v) for v, n in counts.items() if not self.vocab.condition_scope.get(v)]
        self.main_specific_condition = max(specific)[1] if specific else None
        first_seen = {}
        for found in self._indications:
            for m in found:
                first_seen.setdefault(m.value, m.start)
        # The article's main condition: named at least twice; ties go to the specific, then
        # to the first named.
        ranked = sorted(
            counts, key=lambda v: (-counts[v], bool(self.vocab.condition_scope.get(v)), first_seen[v])
        )
        self.main_condition = ranked[0] if ranked and counts[ranked[0]] >= 2 else None
        places = [m for ms in self.by_sentence for m in ms if m.role == "place"]
        self.first_places = [m for m in places if not self._inside_institution(m)][:3]

    def _sentence_at(self, pos: int) -> int | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return i
        return None

    def of_role(self, sentence: Sentence, role: str) -> list[Match]:
        return self.roles[sentence.index].get(role, [])

    def clauses(self, sentence: Sentence) -> list[tuple[int, int]]:
        """The sentence cut at semicolons and clause words ("while", ", but", ", and is" ...)."""
        bounds = [sentence.start]
        for m in self.of_role(sentence, "clause_break"):
            if m.value != "comma" or self.norm[m.start - 2 : m.start] == ", ":
                bounds.append(m.start)
        semicolon = self.norm.find(";", sentence.start, sentence.end)
        while semicolon != -1:
            bounds.append(semicolon)
            semicolon = self.norm.find(";", semicolon + 1, sentence.end)
        bounds.sort()
        bounds.append(sentence.end)
        return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]

    def clause_of(self, sentence: Sentence, pos: int) -> tuple[int, int]:
        for clause in self.clauses(sentence):
            if clause[0] <= pos < clause[1]:
                return clause
        return (sentence.start, sentence.end)

    # -- conditions -------------------------------------------------------------------------
    def _explicit_indications(self, sentence: Sentence) -> list[Match]:
        if "condition" not in self.roles[sentence.index]:
            return []
        matches = self.by_sentence[sentence.index]
        adverse_list = any(m.role == "not_indication" for m in matches)
        after = [m.end for m in matches if m.role == "adverse_after"]
        conditions = []
        for m in matches:
            if m.role != "condition" or adverse_list:
                continue
            # "died from acute liver failure" is an adverse event; "died in the trial for X" is not.
            if any(e <= m.start for e in after) and not _INDICATION_MARKER.search(
                self.norm, max(sentence.start, m.start - 25), m.start
            ):
                continue
            if _OTHER_BEFORE.search(self.norm, max(sentence.start, m.start - 30), m.start):
                continue
            conditions.append(m)
        field_of = self.vocab.condition_category

        def field_(m: Match) -> str:
            return field_of.get(m.value, "").split("-")[0]

        specific_fields = {field_(m) for m in conditions if not m.term.scope}
        out = []
        for m in conditions:
            if m.term.scope and field_(m) in specific_fields:
                continue
            if m.term.scope and _DEFINITE_BEFORE.search(
                self.norm, max(sentence.start, m.start - 12), m.start
            ):
                # "the autoimmune condition": the specific condition named just before.
                earlier = [
                    e
                    for i in range(
                        sentence.index - 1, max(-1, sentence.index - 1 - 2 * _RECENT_SENTENCES), -1
                    )
                    for e in reversed(self._indications[i])
                    if not e.term.scope and field_(e) == field_(m)
                ]
                if earlier:
                    m = Match(m.start, m.end, earlier[0].term)
            out.append(m)
        return out

    def indications(self, sentence: Sentence) -> list[Match]:
        return self._indications[sentence.index]

    def resolve_catchall(self, condition: Match) -> str:
        if condition.term.scope == "catchall" and self.main_specific_condition:
            return self.main_specific_condition
        return condition.value

    def context_condition(self, sentence: Sentence) -> Match | None:
        """The condition a sentence without one continues (rule 4)."""
        words = set(re.findall(r"[a-z]{4,}", self.norm[sentence.start : sentence.end]))
        recent: list[Match] = []
        for i in range(sentence.index - 1, max(-1, sentence.index - 1 - 2 * _RECENT_SENTENCES), -1):
            recent.extend(reversed(self._indications[i]))
        if recent and _CONDITION_REFERENCE.search(self.norm, sentence.start, sentence.end):
            return self._pseudo(sentence, recent[0].value)
        for m in recent:
            if words & (set(re.findall(r"[a-z]{4,}", m.value.lower())) - {"disease", "syndrome"}):
                return self._pseudo(sentence, m.value)
        near: list[Match] = []
        for i in range(sentence.index - 1, max(-1, sentence.index - 1 - _RECENT_SENTENCES), -1):
            near.extend(self._indications[i])
        values = {m.value for m in near}
        specific = {m.value for m in near if not m.term.scope}
        if len(values) == 1 or len(specific) == 1:
            return self._pseudo(sentence, (specific or values).pop())
        if not near and self.main_condition:
            return self._pseudo(sentence, self.main_condition)
        return None

    def _pseudo(self, sentence: Sentence, value: str) -> Match:
        return Match(sentence.start, sentence.start, Term("condition", value))

    # -- therapy ----------------------------------------------------------------------------
    def names_other_treatment(self, sentence: Sentence) -> bool:
        """True when the sentence names a treatment outside the vocabulary ("Factor IX
        prophylaxis therapy"), so an earlier therapy does not carry over to it."""
        covered = [(m.start, m.end) for m in self.of_role(sentence, "therapy")]
        refs = [
            (m.start(), m.end()) for m in _THERAPY_REFERENCE.finditer(self.norm, sentence.start, sentence.end)
        ]
        for m in _TREATMENT_WORD.finditer(self.norm, sentence.start, sentence.end):
            if not any(a <= m.start() < b for a, b in covered + refs):
                return True
        return False

    def refers_to_therapy(self, sentence: Sentence) -> bool:
        return bool(_THERAPY_REFERENCE.search(self.norm, sentence.start, sentence.end))

    def _best_therapy(self, matches: list[Match], near: int) -> tuple[str, str]:
        best = max(matches, key=lambda m: (m.term.rank, -abs(m.start - near)))
        value = best.value
        if value == "gene editing" and _EDITED_IMMUNE_CELLS.match(self.norm[best.end : best.end + 40]):
            # Gene-edited immune cells are an engineered cell therapy: CAR-T when the paragraph
            # says so, else another immune cell therapy.
            paragraph = self.sentences[self._sentence_at(best.start) or 0].paragraph
            in_paragraph = [
                m.value
                for s in self.sentences
                if s.paragraph == paragraph
                for m in self.by_sentence[s.index]
                if m.role == "therapy"
            ]
            value = (
                "CAR-T cell therapy" if "CAR-T cell therapy" in in_paragraph else "other immune cell therapy"
            )
        return value, self.text[best.start : best.end]

    def therapy_for(
        self, sentence: Sentence, clause: tuple[int, int], condition: Match
    ) -> tuple[str, str] | None:
        therapies = self.of_role(sentence, "therapy")
        in_clause = [m for m in therapies if clause[0] <= m.start < clause[1]]
        if in_clause or therapies:
            return self._best_therapy(in_clause or therapies, condition.start)
        for i in range(sentence.index - 1, max(-1, sentence.index - 1 - _RECENT_SENTENCES), -1):
            previous = self.of_role(self.sentences[i], "therapy")
            if previous:
                return self._best_therapy(previous, previous[-1].start)
        if self.refers_to_therapy(sentence) or _CONDITION_REFERENCE.search(
            self.norm, sentence.start, sentence.end
        ):
            for i in range(sentence.index - 1, -1, -1):
                previous = self.of_role(self.sentences[i], "therapy")
                if previous:
                    return self._best_therapy(previous, previous[-1].start)
        return None

    # -- stage ------------------------------------------------------------------------------
    def stage_in(self, sentence: Sentence, lo: int, hi: int, weak: bool = True) -> str | None:
        """The strongest unblocked stage cue between ``lo`` and ``hi`` (weak cues only if
        ``weak``)."""
        matches = self.by_sentence[sentence.index]
        blocks = [m for m in matches if m.role == "block"]
        roles = ("stage", "weak_stage") if weak else ("stage",)
        stages = []
        for m in matches:
            if m.role not in roles or m.value == "description" or not lo <= m.start < hi:
                continue
            blocked = any(
                b.end <= m.start
                and b.start >= lo
                and len(self.norm[b.end : m.start].split()) <= _BLOCK_WINDOW_WORDS
                for b in blocks
            )
            if not blocked:
                stages.append(m.value)
        return max(stages, key=STAGE_STRENGTH.__getitem__) if stages else None

    def stage(self, sentence: Sentence, clause: tuple[int, int]) -> str | None:
        for lo, hi in (clause, (sentence.start, sentence.end)):
            found = self.stage_in(sentence, lo, hi)
            if found:
                return found
        for neighbour in self.neighbours(sentence):
            if self.indications(neighbour):
                continue
            found = self.stage_in(neighbour, neighbour.start, neighbour.end)
            if found:
                return found
        return None

    def neighbours(self, sentence: Sentence) -> list[Sentence]:
        out = []
        for i in (sentence.index - 1, sentence.index + 1):
            if 0 <= i < len(self.sentences) and self.sentences[i].paragraph == sentence.paragraph:
                out.append(self.sentences[i])
        return out

    # -- continuation, patients, outcome ----------------------------------------------------
    def continuation(self, sentence: Sentence, therapy: str) -> list[Sentence]:
        """Following sentences of the paragraph that add detail without a claim of their own."""
        out = []
        stop = min(len(self.sentences), sentence.index + 1 + _CONTINUATION_SENTENCES)
        for i in range(sentence.index + 1, stop):
            nxt = self.sentences[i]
            if nxt.paragraph != sentence.paragraph or self.indications(nxt):
                break
            if any(m.value != therapy for m in self.of_role(nxt, "therapy")):
                break
            out.append(nxt)
        return out

    def patients(self, sentence: Sentence, follow: list[Sentence]) -> tuple[int | None, int | None]:
        for s in [sentence, *follow]:
            count = self.patient_count(s)
            if count is not None:
                return count, s.index
        return None, None

    def patient_count(self, sentence: Sentence) -> int | None:
        """The number of patients a sentence states (computed once per sentence)."""
        if sentence.index not in self._patient_counts:
            count = None
            if "patient_noun" in self.roles[sentence.index]:
                count = _count_patients(self.text[sentence.start : sentence.end])
            self._patient_counts[sentence.index] = count
        return self._patient_counts[sentence.index]

    def outcomes(self, sentence: Sentence, follow: list[Sentence]) -> tuple[list[str], list[int]]:
        values: list[str] = []
        used: list[int] = []
        for s in [sentence, *follow]:
            found = [
                m.value
                for m in self.of_role(s, "outcome")
                if not (m.value == "adverse" and _DEATH_OF_THING.match(self.norm, m.end))
            ]
            if found:
                values.extend(found)
                if s.index != sentence.index:
                    used.append(s.index)
        return values, used

    def attach_orphan_details(self, claims: list[_Candidate]) -> None:
        """A sentence that reports on patients of a trial or treatment ("Ten patients ...
        participated.", "Mao said all 20 patients' symptoms had subsided following treatment")
        but names neither therapy nor condition adds its patient count, outcome and speaker's
        institution to the latest claim of that stage before it, where those are missing."""
        for sentence in self.sentences:
            if self.of_role(sentence, "therapy") or self.of_role(sentence, "condition"):
                continue
            stage = self.stage_in(sentence, sentence.start, sentence.end, weak=False)
            if stage not in ("clinical_trial", "clinical_use"):
                continue
            count = self.patient_count(sentence)
            outcomes = self.outcomes(sentence, [])[0]
            if count is None and not outcomes:
                continue
            stages = ("clinical_trial",) if stage == "clinical_trial" else ("clinical_trial", "clinical_use")
            before = [c for c in claims if c.order < sentence.start and c.stage in stages]
            if not before:
                continue
            latest = max(before, key=lambda c: max(c.sentences))
            added = False
            if count is not None and latest.patients is None:
                latest.patients, added = count, True
            if outcomes and not latest.outcomes:
                latest.outcomes, added = set(outcomes), True
            if added:
                latest.sentences = sorted({*latest.sentences, sentence.index})
                if latest.institution is None:
                    latest.institution = self.institution(sentence, (sentence.start, sentence.end))

    # -- institution and location -----------------------------------------------------------
    def institution(self, sentence: Sentence, clause: tuple[int, int]) -> Institution | None:
        here = [i for i in self.institutions if sentence.start <= i.start < sentence.end]
        in_clause = [i for i in here if clause[0] <= i.start < clause[1]]
        if in_clause or here:
            return (in_clause or here)[0]
        earlier = [i for i in self.institutions if i.end <= sentence.start]
        ref = _INSTITUTION_REFERENCE.search(self.norm, sentence.start, sentence.end)
        if ref:
            kind = _REFERENCE_KIND.get(ref.group(1))
            for inst in reversed(earlier):
                if kind is None or inst.kind == kind:
                    return inst
        for word in re.findall(r"\b[A-Z][a-z]+\b", self.text[sentence.start : sentence.end]):
            if word in self.affiliations:
                return self.affiliations[word]
        paragraph_start = min(s.start for s in self.sentences if s.paragraph == sentence.paragraph)
        same_paragraph = [i for i in earlier if i.start >= paragraph_start]
        return same_paragraph[-1] if same_paragraph else None

    def first_company(self) -> Institution | None:
        return next((i for i in self.institutions if i.kind == "company"), None)

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

    # -- output -----------------------------------------------------------------------------
    def evidence(self, indices: list[int]) -> str:
        parts: list[str] = []
        prev: int | None = None
        for i in sorted(set(indices)):
            s = self.sentences[i]
            if prev is not None and i == prev + 1 and s.paragraph == self.sentences[prev].paragraph:
                parts[-1] = parts[-1] + self.text[self.sentences[prev].end : s.end]
            else:
                if parts:
                    parts.append(" [...] ")
                parts.append(self.text[s.start : s.end])
            prev = i
        return "".join(parts)

    def to_claim(self, c: _Candidate) -> Claim:
        names = [i.name for i in [c.institution, *c.also_institutions] if i is not None]
        institution = "; ".join(dict.fromkeys(names)) or None
        return Claim(
            institution=institution,
            location=c.location,
            therapy=c.therapy,
            therapy_detail=c.therapy_detail,
            indication=c.indication,
            stage=c.stage,
            patients=c.patients,
            outcome=_combine_outcomes(c.outcomes),
            evidence=self.evidence(c.sentences),
        )


def _count_patients(sentence: str) -> int | None:
    m = _OUT_OF.search(sentence)
    if m:
        return int(m.group(2).replace(",", ""))
    for token in _TOKEN.finditer(sentence):
        word = token.group()
        if not (word[0].isdigit() or word.lower() in _NUMBER_WORDS):
            continue
        m = _PATIENTS.match(sentence, token.start())
        if m is None:
            continue
        raw = m.group(1).lower()
        noun = m.group(0).split()[-1].lower()
        tail = sentence[m.end() : m.end() + 40]
        # 25 characters before, the match and 40 after, searched at once (no population phrase
        # can straddle the match's edges: it starts with a number and ends with a noun).
        if _POPULATION.search(sentence, max(0, m.start() - 25), m.end() + 40):
            continue
        singular = not noun.endswith(("s", "children", "people", "men", "women")) or noun in ("boys", "girls")
        if raw in _SINGULAR_ONLY and (not singular or noun in ("boys", "girls")):
            continue
        if (raw == "the" and noun != "patient") or (
            noun.startswith("death") and raw in _SINGULAR_ONLY - {"a"}
        ):
            continue
        if raw == "both" and re.match(r"\s*and\b", tail):
            continue
        if raw.replace(",", "").isdigit():
            value = int(raw.replace(",", ""))
            if value > 100000 or re.match(r"\s*(?:years?|months?|weeks?|days?)\b", tail):
                continue
            return value
        return _NUMBER_WORDS[raw]
    return None


def _institution_key(name: str | None) -> str:
    """Comparable key of an institution within one article: its first part ("Guangzhou Institute
    of Biomedicine and Health, Chinese Academy of Sciences" -> the institute)."""
    first = (name or "").split(",")[0].split(";")[0]
    return re.sub(r"[^a-z0-9]+", " ", first.lower().replace("’", "'").replace("'s ", " ")).strip()


def _absorb(into: _Candidate, other: _Candidate, evidence: bool = True) -> None:
    """Fill ``into``'s missing details from ``other`` (the same development)."""
    if evidence:
        into.sentences = sorted(set(into.sentences) | set(other.sentences))
        into.order = min(into.order, other.order)
    if into.patients is None:
        into.patients = other.patients
    into.outcomes |= other.outcomes
    into.location = into.location or other.location
    into.commercial = into.commercial or other.commercial
    if into.institution is None:
        into.institution = other.institution


def _consolidate(candidates: list[_Candidate]) -> list[_Candidate]:
    merged: dict[tuple[str, str, str, str], _Candidate] = {}
    for c in candidates:
        key = (c.institution_key, c.therapy, c.indication, c.stage)
        if key in merged:
            _absorb(merged[key], c)
        else:
            merged[key] = c
    claims = list(merged.values())

    # A claim without institution joins its named twin.
    for c in [c for c in claims if c.institution is None]:
        twin = next(
            (
                o
                for o in claims
                if o.institution is not None
                and (o.therapy, o.indication, o.stage) == (c.therapy, c.indication, c.stage)
            ),
            None,
        )
        if twin is not None:
            _absorb(twin, c)
            claims.remove(c)

    # Generic therapy claims give way to specific ones for the same indication and stage.
    for c in [c for c in claims if c.therapy in _GENERIC_THERAPIES]:
        specific = next(
            (
                o
                for o in claims
                if o is not c
                and o.indication == c.indication
                and o.stage == c.stage
                and THERAPY_RANK[o.therapy] > THERAPY_RANK[c.therapy]
                and c.institution_key in (o.institution_key, "")
            ),
            None,
        )
        if specific is not None:
            _absorb(specific, c, evidence=False)
            claims.remove(c)

    # Clinical use of a therapy in a trial is part of the trial (unless it is marketed use).
    for c in [c for c in claims if c.stage == "clinical_use" and not c.commercial]:
        trial = next(
            (
                o
                for o in claims
                if o.stage == "clinical_trial" and o.indication == c.indication and o.therapy == c.therapy
            ),
            None,
        )
        if trial is not None:
            _absorb(trial, c)
            claims.remove(c)
    return claims


def extract_claims(text: str, vocabulary: Vocabulary | None = None) -> list[Claim]:
    """Claims stated in ``text`` by the default rule-based extractor."""
    return RuleBasedExtractor(vocabulary).extract_text(text)
