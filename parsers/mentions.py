"""Reading one article for claim extraction: its sentences, the vocabulary's mentions in
each (one Aho-Corasick pass), institutions, ConText modifiers, and per-sentence questions
(which conditions are indications, which therapies, stage cues, patient counts). Step 1 of
``parsers.developments``."""

from __future__ import annotations

import bisect
import re

from .context import Modifiers, sentence_modifiers
from .institutions import Institution, find_affiliations, find_institutions, join_affiliations
from .models import Stage
from .patients import PatientCount, patient_counts
from .text import Sentence, normalise_for_matching, split_sentences
from .vocab import Match, Term, Vocabulary

NOT_DONE = frozenset({"NEGATED", "PLANNED", "HYPOTHETICAL", "OTHER"})
_NOT_INDICATION = frozenset({"OTHER", "SIDE_EFFECT", "BACKGROUND"})
_SCOPE_ORDER = {None: 0, "umbrella": 1, "catchall": 2}
_NONE: list[Match] = []  # shared empty result (never modified)
_INDICATION_BEFORE = re.compile(
    r"\b(?:for|with|to treat|treating|treats|treated|against|targeting|involving|diagnosed with|"
    r"suffering from|living with|survivors? of)\s+(?:\S+\s+){0,4}$"
)
_PATIENTS_AFTER = re.compile(r"\s+(?:patients?|survivors?|sufferers)\b")


class ArticleMentions:
    """One article: its sentences, mentions, institutions and modifiers."""

    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab
        self.norm = normalise_for_matching(text)
        self.sentences: list[Sentence] = split_sentences(text)
        self._starts = [s.start for s in self.sentences]
        self.roles: list[dict[str, list[Match]]] = [{} for _ in self.sentences]
        sentences, k, n = self.sentences, 0, len(self.sentences)
        triggers = []  # what starts an institution's name, and places, for find_institutions
        for m in vocab.scan(text, self.norm):  # in order of their start: walk the sentences along
            while k < n and sentences[k].end <= m.start:
                k += 1
            if k < n and sentences[k].start <= m.start:
                self.roles[k].setdefault(m.role, []).append(m)
                if m.role.startswith("org_") or m.role == "place":
                    triggers.append(m)
        self._therapies = [roles.get("therapy", _NONE) for roles in self.roles]
        self.institutions = join_affiliations(text, find_institutions(text, vocab, triggers))
        self._modifiers: dict[int, Modifiers] = {}
        self._cues: dict[tuple[int, bool], list[tuple[Match, set[str]]]] = {}
        self._outcome_cache: dict[int, set[str]] = {}
        self._with_places: list[int] | None = None
        self._place_cache: dict[int, list[Match]] = {}
        self._institution_cache: dict[int, list[Institution]] = {}
        self._inst_starts = [inst.start for inst in self.institutions]
        self.affiliations = {
            name: inst
            for name, inst in find_affiliations(text, self.institutions).items()
            if self._involved(inst)
        }
        self._resolved: dict[str, list[str]] = {}
        self._counts: dict[int, PatientCount | None] = {}
        self._all_counts: dict[int, list[PatientCount]] = {}
        self._conditions = {i: self._eligible_conditions(i) for i in self.with_role("condition")}

    # -- mentions --------------------------------------------------------------------------------
    def _involved(self, inst: Institution) -> bool:
        """False for an institution said not to be involved ("who was not involved in the study")."""
        i = self.sentence_at(inst.start)
        if i is None or not self.of_role(i, "context"):
            return True
        return "UNINVOLVED" not in self.modifiers(i).of(inst.start, inst.end, "institution")

    def sentence_at(self, pos: int) -> int | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return i
        return None

    def of_role(self, i: int, role: str) -> list[Match]:
        return self.roles[i].get(role, _NONE)

    def with_role(self, role: str) -> list[int]:
        """The sentences with a match of ``role``, in order."""
        return [i for i, roles in enumerate(self.roles) if role in roles]

    def modifiers(self, i: int) -> Modifiers:
        if i not in self._modifiers:
            s = self.sentences[i]
            self._modifiers[i] = sentence_modifiers(self.of_role(i, "context"), self.norm, s.start, s.end)
        return self._modifiers[i]

    def categories(self, i: int, m: Match, field_: str) -> set[str]:
        if not self.of_role(i, "context"):
            return set()
        return self.modifiers(i).of(m.start, m.end, field_)

    def words(self, m: Match) -> str:
        return self.text[m.start : m.end]

    def inside_institution(self, m: Match) -> bool:
        k = bisect.bisect_right(self._inst_starts, m.start) - 1
        return k >= 0 and m.end <= self.institutions[k].end

    def _eligible_conditions(self, i: int) -> tuple[list[Match], list[Match]]:
        """The conditions the sentence names as indications, and those of them it names as done
        rather than planned or possible (ConText). Not indications: "other" conditions, side
        effects, an example listed after a specific condition ("large B-cell lymphoma,
        including DLBCL"), an umbrella term beside a narrower condition of its field, an
        abbreviation that starts a name ("PKU Shenzhen Hospital") and an event-like condition
        (a heart attack) without an indication marker."""
        if "condition" not in self.roles[i]:
            return _NONE, _NONE
        named: list[tuple[Match, set[str]]] = []
        for m in self.roles[i]["condition"]:
            cats = self.categories(i, m, "condition")
            if cats & _NOT_INDICATION or self.inside_institution(m) or self._starts_a_name(m):
                continue
            if m.term.event and not self.indication_marked(i, m):
                continue
            named.append((m, cats))
        if len(named) > 1:
            heads = [m for m, _ in named]
            members = [m for m, cats in named if "MEMBER" in cats]
            named = [
                (m, cats)
                for m, cats in named
                if not any(self.narrower(o.term, m.term) for o in heads)
                # "large B-cell lymphoma, including DLBCL": the example belongs to the head ...
                and not ("MEMBER" in cats and any(h.end <= m.start and h.term.scope is None for h in heads))
                # ... "blood diseases such as leukemia": the umbrella head gives way to its example
                and not (m.term.scope and any(e.start >= m.end for e in members))
            ]
        found = [m for m, _ in named]
        return found, [m for m, cats in named if not cats & NOT_DONE]

    def _starts_a_name(self, m: Match) -> bool:
        surface = self.text[m.start : m.end]
        if not (surface.isupper() and len(surface) <= 6):
            return False
        following = self.text[m.end : m.end + 2]
        return len(following) == 2 and following[0] == " " and following[1].isupper()

    def indication_marked(self, i: int, m: Match) -> bool:
        lo = max(self.sentences[i].start, m.start - 40)
        return bool(
            _INDICATION_BEFORE.search(self.norm, lo, m.start) or _PATIENTS_AFTER.match(self.norm, m.end)
        )

    def conditions(self, i: int) -> list[Match]:
        """Conditions the sentence reports something done about (they can found a link)."""
        found = self._conditions.get(i)
        return found[1] if found else _NONE

    def named_conditions(self, i: int) -> list[Match]:
        """Every condition the sentence names as an indication, planned or possible ones too."""
        found = self._conditions.get(i)
        return found[0] if found else _NONE

    def _field(self, term: Term) -> str:
        return (term.category or "").split("-")[0]

    def narrower(self, a: Term, b: Term) -> bool:
        """True when condition ``a`` is a narrower condition of ``b``'s field."""
        if a.value == b.value or self._field(a) != self._field(b):
            return False
        scope_a, scope_b = _SCOPE_ORDER[a.scope], _SCOPE_ORDER[b.scope]
        if scope_a != scope_b:
            return scope_a < scope_b
        return scope_a == 1 and (a.category or "").count("-") > (b.category or "").count("-")

    def therapies(self, i: int) -> list[Match]:
        return self._therapies[i]

    def patient_counts(self, i: int) -> list[PatientCount]:
        """Every patient count sentence ``i`` states (offsets in the sentence), read once."""
        found = self._all_counts.get(i)
        if found is None:
            nouns = self.of_role(i, "patient_noun")
            found = []
            if nouns:
                s = self.sentences[i]
                found = patient_counts(
                    self.text[s.start : s.end], [(m.start - s.start, m.end - s.start) for m in nouns]
                )
            self._all_counts[i] = found
        return found

    def patient_count(self, i: int) -> PatientCount | None:
        """The first patient count sentence ``i`` states, unless a stage modifier says it is
        not done ("aims to recruit 272 patients")."""
        if i not in self._counts:
            counts = self.patient_counts(i)
            count = counts[0] if counts else None
            if count is not None:
                s = self.sentences[i]
                span = Match(s.start + count.start, s.start + count.end, Term("patients", ""))
                if self.categories(i, span, "stage") & NOT_DONE:
                    count = None
            self._counts[i] = count
        return self._counts[i]

    def stage_cues(self, i: int, weak: bool) -> list[tuple[Match, set[str]]]:
        """Stage cues of the sentence with the ConText categories that reach them. Not cues: words
        inside an institution's name ("Clinical Research Center"); treatment words in a sentence
        about animals (the monkeys were treated) or about a treatment outside cell and gene
        therapy ("normally treated with prophylaxis") when the sentence names no CGT therapy."""
        key = (i, weak)
        if key in self._cues:
            return self._cues[key]
        self._cues[key] = found = self._stage_cues(i, weak)
        return found

    def _stage_cues(self, i: int, weak: bool) -> list[tuple[Match, set[str]]]:
        roles = ("stage", "weak_stage") if weak else ("stage",)
        cues = [m for role in roles for m in self.of_role(i, role) if m.value != "description"]
        if not cues:
            return []
        cues = [m for m in cues if not self.inside_institution(m)]
        cleared = self.of_role(i, "trial_approval")  # "before human trials were approved"
        if cleared:
            cues = [m for m in cues if not any(c.start <= m.start and m.end <= c.end for c in cleared)]
        if any(m.value == Stage.PRECLINICAL for m in cues):
            cues = [m for m in cues if m.value != Stage.CLINICAL_USE]
        if self.of_role(i, "other_treatment") and not self.therapies(i):
            cues = [m for m in cues if m.value not in (Stage.CLINICAL_USE, Stage.CLINICAL_TRIAL)]
        return [(m, self.categories(i, m, "stage")) for m in cues]

    def reports(self, i: int) -> bool:
        """True when the sentence reports something done: a stage, a patient count, an outcome."""
        if any(not cats & NOT_DONE for _, cats in self.stage_cues(i, weak=False)):
            return True
        return bool(self.of_role(i, "patient_noun") or self.of_role(i, "outcome"))

    def refers_to_therapy(self, i: int) -> bool:
        return bool(self.of_role(i, "therapy_ref"))
