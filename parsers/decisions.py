"""Per development: the stage decisions, then the fields (party, patients, outcome, place) and
the evidence sentences (steps 4 and 5 of ``parsers.developments``)."""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .institutions import NOT_PARTIES, Institution
from .linking import EDITED_IMMUNE_CELLS, Development, DevelopmentLinker
from .mentions import NOT_DONE
from .models import Stage, Therapy
from .vocab import Match

_DEATH_OF_THING = re.compile(
    r"\s+of\s+(?!(?:a|an|the|one|two|\d+)\s+(?:\w+\s+)?(?:patients?|boys?|girls?|man|woman|child|participants?)\b)"
)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_FOLLOWING = 4  # sentences after a development's own in which its patient count may stand
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BASED_PREFIX = re.compile(r"^(?:[A-Z][\w.'’-]*[ -])*?[A-Z][\w.'’]*-(?:based|headquartered|listed)\s+")


@dataclass
class Draft:
    """A claim being assembled: the fields, the sentences behind them and why."""

    development: Development
    stage: str
    therapy: str
    therapy_detail: str | None
    sentences: set[int]
    institution: str | None = None
    location: str | None = None
    patients: int | None = None
    outcomes: set[str] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)


class Analysis(DevelopmentLinker):
    """One article, read and linked: each development's claims as drafts."""

    # -- decisions ------------------------------------------------------------------------------
    def cues_by_stage(self, dev: Development) -> tuple[dict[str, list[tuple[int, Match]]], dict[str, str]]:
        """The stage cues that hold for the development, by stage, and notes on those that do
        not (negated, planned, denied)."""
        by_stage: dict[str, list[tuple[int, Match]]] = defaultdict(list)
        notes: dict[str, str] = {}
        denied = False
        links = dev.link_sentences
        for i in dev.ordered():
            roles = self.roles[i]
            if "stage" not in roles and "weak_stage" not in roles:
                continue
            clauses = self._own_clauses(dev, i)
            for cue, cats in self.stage_cues(i, weak=i in links):
                if clauses and not any(lo <= cue.start < hi for lo, hi in clauses):
                    continue
                if "DENIED_STUDY" in cats:
                    denied = True
                    if "denied" not in notes:
                        notes["denied"] = (
                            f"study denied: {self.modifiers(i).explain(cue.start, cue.end, 'stage')}"
                        )
                    if cue.value == Stage.CLINICAL_TRIAL:
                        continue
                if cats & NOT_DONE:
                    if cue.value not in notes:
                        reason = self.modifiers(i).explain(cue.start, cue.end, "stage")
                        notes[cue.value] = f"'{self.words(cue)}' not counted ({reason})"
                    continue
                by_stage[cue.value].append((i, cue))
        if denied:
            by_stage.pop(Stage.CLINICAL_TRIAL, None)
        return by_stage, notes

    def _own_clauses(self, dev: Development, i: int) -> list[tuple[int, int]]:
        """Where a link sentence shared with other developments speaks of this one: the clauses
        of its own condition mentions ([] when the whole sentence counts)."""
        conditions = self.conditions(i)
        if i not in dev.link_sentences or len({m.value for m in conditions}) < 2:
            return []
        mine = [link.condition for link in dev.links if link.sentence == i]
        return [self._clause(i, m.start) for m in mine if m.end > m.start]

    def _commercial(self, sentences: list[int]) -> bool:
        """Marketed use: a commercial cue in a sentence that names the therapy or refers to it."""
        return any(
            self.of_role(i, "commercial") and (self.therapies(i) or self.refers_to_therapy(i))
            for i in sentences
        )

    def drafts(self, dev: Development) -> list[Draft]:
        by_stage, notes = self.cues_by_stage(dev)
        if not by_stage:
            return []
        therapy_match = dev.therapy()
        therapy, detail = self._therapy_value(dev, therapy_match)
        stages: list[str] = []
        if Stage.APPROVED in by_stage:
            stages.append(Stage.APPROVED)
        if Stage.CLINICAL_TRIAL in by_stage:
            stages.append(Stage.CLINICAL_TRIAL)
        if Stage.CLINICAL_USE in by_stage:
            use_sentences = [i for i, _ in by_stage[Stage.CLINICAL_USE]]
            trial_sentences = {i for i, _ in by_stage.get(Stage.CLINICAL_TRIAL, [])}
            strong = [
                i for i, m in by_stage[Stage.CLINICAL_USE] if m.role == "stage" and i not in trial_sentences
            ]
            beside_trial = Stage.CLINICAL_TRIAL in by_stage and (
                self._commercial(use_sentences) or (Stage.APPROVED in by_stage and bool(strong))
            )
            if Stage.CLINICAL_TRIAL not in by_stage or beside_trial:
                stages.append(Stage.CLINICAL_USE)
        if not stages and Stage.PRECLINICAL in by_stage:
            stages.append(Stage.PRECLINICAL)
        if not stages and Stage.RESEARCH in by_stage:
            stages.append(Stage.RESEARCH)
        # The development's own sentences: its links that name the therapy chosen (not the generic
        # term a more specific one replaced), in order.
        own = [link for link in dev.links if link.therapy.value == therapy_match.value] or dev.links
        drafts = []
        for stage in stages:
            cues = by_stage[stage]
            own_sentences = {link.sentence for link in own}
            own_cues = [(i, m) for i, m in cues if i in own_sentences]
            cue_sentence, cue = (own_cues or cues)[0]
            evidence = {i for i, _ in own_cues[:3]} | {cue_sentence}
            if not own_cues:
                evidence.add(own[0].sentence)
            draft = Draft(dev, stage, therapy, detail, evidence)
            draft.why["stage"] = self._stage_why(dev, stage, cue_sentence, cue, notes)
            draft.why["therapy"] = f"'{self.words(therapy_match)}' ({own[0].how})"
            draft.why["indication"] = dev.notes.get(
                "indication",
                f"'{self.words(own[0].condition) or dev.condition}' in sentence {own[0].sentence + 1}",
            )
            self._fill(draft, by_stage)
            drafts.append(draft)
        return drafts

    def _stage_why(self, dev: Development, stage: str, i: int, cue: Match, notes: dict[str, str]) -> str:
        first = min(dev.link_sentences)
        where = (
            "the same sentence"
            if i == first
            else f"sentence {i + 1} (development named in sentence {first + 1})"
        )
        why = f"{stage} cue '{self.words(cue)}' in {where}"
        extra = [v for k, v in notes.items() if k != stage]
        return why + ("; " + "; ".join(extra) if extra else "")

    def _therapy_value(self, dev: Development, m: Match) -> tuple[str, str | None]:
        value = m.value
        if value == "gene editing" and EDITED_IMMUNE_CELLS.match(self.norm[m.end : m.end + 40]):
            # Gene-edited immune cells are an engineered cell therapy: CAR-T when the article's
            # development says so, else another immune cell therapy.
            named = {link.therapy.value for link in dev.links} | {
                t.value for i in dev.sentences for t in self.therapies(i)
            }
            value = "CAR-T cell therapy" if "CAR-T cell therapy" in named else "other immune cell therapy"
        if Therapy(value).narrower:
            # A generic term yields to a more specific kind of it in the development's sentences
            # ("stem cells" in one sentence, "reprogrammed stem cells" in another).
            kinds = Therapy(value).narrower
            about = sorted(i for i in dev.sentences if i in dev.link_sentences or self.refers_to_therapy(i))
            specific = [t for i in about for t in self.therapies(i) if t.value in kinds]
            if specific:
                best = max(specific, key=lambda t: t.term.rank)
                value, m = best.value, best
        detail = self.words(m)
        if m.term.product and m.term.product.lower() not in detail.lower():
            detail = f"{m.term.product} ({detail})"
        return value, detail

    # -- fields ---------------------------------------------------------------------------------
    def _fill(self, draft: Draft, by_stage: dict[str, list[tuple[int, Match]]]) -> None:
        dev, stage = draft.development, draft.stage
        if stage in (Stage.CLINICAL_TRIAL, Stage.CLINICAL_USE, Stage.PRECLINICAL):
            self._patients(draft, by_stage)
            for i in dev.ordered():
                found = self.outcomes_in(i)
                if found:
                    draft.outcomes |= found
                    draft.sentences.add(i)
            if draft.outcomes:
                draft.why["outcome"] = (
                    ", ".join(sorted(draft.outcomes)) + " (outcome cues in the development's sentences)"
                )
        self._party(draft, by_stage)
        self._place(draft, by_stage)

    def _patients(self, draft: Draft, by_stage: dict[str, list[tuple[int, Match]]]) -> None:
        """Patients: the count in the sentences stating the stage first ("The trial involved ten
        patients"), then in the development's own, then in the four sentences after those.
        Animals are not patients."""
        dev, stage = draft.development, draft.stage
        if stage == Stage.PRECLINICAL:
            return
        cue_sentences = sorted({i for i, _ in by_stage[stage]})
        if stage == Stage.CLINICAL_TRIAL:
            cue_sentences += sorted({i for i, _ in by_stage.get(Stage.CLINICAL_USE, [])} - set(cue_sentences))
        near = sorted(
            j
            for i in set(cue_sentences) | dev.link_sentences
            for j in range(i + 1, min(i + 1 + _FOLLOWING, len(self.sentences)))
            if j in dev.sentences
        )
        pool = list(dict.fromkeys(cue_sentences + sorted(dev.link_sentences) + near))
        for i in pool:
            count = self.patient_count(i)
            if count is not None:
                draft.patients = count.value
                draft.sentences.add(i)
                start = self.sentences[i].start
                draft.why["patients"] = (
                    f"'{self.text[start + count.start : start + count.end]}' in sentence {i + 1}"
                )
                return

    def outcomes_in(self, i: int) -> set[str]:
        if i not in self._outcome_cache:
            self._outcome_cache[i] = self._sentence_outcomes(i) if self.of_role(i, "outcome") else set()
        return self._outcome_cache[i]

    def _sentence_outcomes(self, i: int) -> set[str]:
        out = set()
        for m in self.of_role(i, "outcome"):
            cats = self.categories(i, m, "outcome")
            if m.value == "improved" and cats == {"NEGATED"}:
                out.add("no_effect")  # "without benefit", "did not see relief"
                continue
            if cats & NOT_DONE:
                continue
            if (
                m.value == "adverse"
                and self.norm[m.start : m.end].startswith("death")
                and _DEATH_OF_THING.match(self.norm, m.end)
            ):
                continue  # "the death of neurons" is biology, not a patient's death ("died of" is)
            out.add(m.value)
        return out

    def institutions_in(self, i: int) -> list[Institution]:
        """Institutions named in the sentence, but not those said not to be involved."""
        if i not in self._institution_cache:
            self._institution_cache[i] = self._find_institutions_in(i)
        return self._institution_cache[i]

    def _find_institutions_in(self, i: int) -> list[Institution]:
        s = self.sentences[i]
        here = self.institutions[
            bisect.bisect_left(self._inst_starts, s.start) : bisect.bisect_left(self._inst_starts, s.end)
        ]
        here = [inst for inst in here if inst.kind not in NOT_PARTIES]  # journals, societies ...
        if here and self.of_role(i, "context"):
            mods = self.modifiers(i)
            here = [inst for inst in here if "UNINVOLVED" not in mods.of(inst.start, inst.end, "institution")]
        return here

    def _party(self, draft: Draft, by_stage: dict[str, list[tuple[int, Match]]]) -> None:
        dev = draft.development
        product = self.vocab.products.get(dev.product) if dev.product else None
        if draft.stage == Stage.APPROVED:
            for i, _ in by_stage[Stage.APPROVED]:
                companies = [inst for inst in self.institutions_in(i) if inst.kind == "company"]
                if companies:
                    draft.institution = without_prefix(companies[0].name)
                    draft.why["institution"] = f"company named with the approval (sentence {i + 1})"
                    return
            named = [o for o in (product.owners if product else ()) if o.lower() in self.text.lower()]
            if named:
                draft.institution = "; ".join(named)
                draft.why["institution"] = f"owner of {dev.product} (products.csv), named in the article"
                return
            companies = [inst for inst in self.institutions if inst.kind == "company"]
            if companies:
                draft.institution = without_prefix(companies[0].name)
                draft.why["institution"] = "the company the article names first"
            return
        for i in sorted(dev.link_sentences | {i for i, _ in by_stage[draft.stage]}):
            here = self.institutions_in(i)
            if here:
                draft.institution = without_prefix(here[0].name)
                draft.why["institution"] = f"named in sentence {i + 1}"
                return
        for i in dev.ordered():
            ref = next((m for m in self.of_role(i, "institution_ref")), None)
            if ref is not None:
                earlier = [
                    inst
                    for inst in self.institutions
                    if inst.end <= ref.start and inst.kind not in NOT_PARTIES
                ]
                kind = ref.value or None
                match = next((inst for inst in reversed(earlier) if kind is None or inst.kind == kind), None)
                if match is not None:
                    draft.institution = without_prefix(match.name)
                    draft.why["institution"] = f"'{self.words(ref)}' in sentence {i + 1} refers to it"
                    return
            names = self.affiliations and _CAPITALISED.findall(
                self.text, self.sentences[i].start, self.sentences[i].end
            )
            for word in names or ():
                if word in self.affiliations:
                    draft.institution = without_prefix(self.affiliations[word].name)
                    draft.why["institution"] = f"affiliation of {word}, quoted in sentence {i + 1}"
                    return
        for i in dev.ordered():
            here = self.institutions_in(i)
            if here:
                draft.institution = without_prefix(here[0].name)
                draft.why["institution"] = f"named in sentence {i + 1} of the development"
                return
        named = [o for o in (product.owners if product else ()) if o.lower() in self.text.lower()]
        if named:
            draft.institution = "; ".join(named)
            draft.why["institution"] = f"developer of {dev.product} (products.csv), named in the article"
            return
        counted = Counter(
            merge_key(inst.name) for i in range(len(self.sentences)) for inst in self.institutions_in(i)
        )
        if counted:
            key, _ = max(counted.items(), key=lambda kv: kv[1])
            inst = next(inst for inst in self.institutions if merge_key(inst.name) == key)
            draft.institution = without_prefix(inst.name)
            draft.why["institution"] = "the institution the article names most"

    def _place(self, draft: Draft, by_stage: dict[str, list[tuple[int, Match]]]) -> None:
        sentences = sorted(draft.sentences | {i for i, _ in by_stage[draft.stage]})
        if draft.stage == Stage.APPROVED:
            for i in sentences:
                regulators = self.of_role(i, "regulator")
                if regulators:
                    draft.location = regulators[0].value
                    return
        for pool in (sentences, draft.development.ordered(), self._place_sentences()):
            for i in pool:
                places = self.places_in(i)
                if places:
                    name = self.words(places[0])
                    draft.location = name if name == places[0].value else f"{name}, {places[0].value}"
                    return

    def places_in(self, i: int) -> list[Match]:
        """Places the sentence names, outside institutions' names."""
        found = self.of_role(i, "place")
        if not found:
            return found
        if i not in self._place_cache:
            self._place_cache[i] = [m for m in found if not self.inside_institution(m)]
        return self._place_cache[i]

    def _place_sentences(self) -> list[int]:
        if self._with_places is None:
            self._with_places = self.with_role("place")
        return self._with_places

    # -- output ---------------------------------------------------------------------------------
    def evidence(self, indices: set[int]) -> str:
        parts: list[str] = []
        prev: int | None = None
        for i in sorted(indices):
            s = self.sentences[i]
            if prev is not None and i == prev + 1 and s.paragraph == self.sentences[prev].paragraph:
                parts[-1] = parts[-1] + self.text[self.sentences[prev].end : s.end]
            else:
                if parts:
                    parts.append(" [...] ")
                parts.append(self.text[s.start : s.end])
            prev = i
        return "".join(parts)


def without_prefix(name: str) -> str:
    """An institution's name without a descriptive prefix ("Boston-based Vertex" -> "Vertex")."""
    return _BASED_PREFIX.sub("", name) if "-" in name else name


@lru_cache(maxsize=4096)
def merge_key(name: str | None) -> str:
    first = (name or "").split(",")[0].split(";")[0]
    return _NON_ALNUM.sub(" ", first.lower().replace("’", "'").replace("'s ", " ")).strip()
