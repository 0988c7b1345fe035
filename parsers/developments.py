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

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .context import Modifiers, sentence_modifiers
from .institutions import Institution, find_affiliations, find_institutions, join_affiliations
from .models import Claim, Stage
from .patients import PatientCount, count_patients
from .registries import registry_ids
from .text import Sentence, normalise_for_matching, split_sentences
from .vocab import Match, Term, Vocabulary
from .wordlists import word_list

_NOT_DONE = frozenset({"NEGATED", "PLANNED", "HYPOTHETICAL", "OTHER"})
_NOT_INDICATION = frozenset({"OTHER", "SIDE_EFFECT", "BACKGROUND"})
_SCOPE_ORDER = {None: 0, "umbrella": 1, "catchall": 2}
_DEATH_OF_THING = re.compile(
    r"\s+of\s+(?!(?:a|an|the|one|two|\d+)\s+(?:\w+\s+)?(?:patients?|boys?|girls?|man|woman|child|participants?)\b)"
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_NONE: list[Match] = []  # shared empty result (never modified)
_GENERIC_CONDITION_WORDS = word_list("generic_condition_word")
_FOLLOWING = 4  # sentences after a development's own in which its patient count may stand
_RECENT = 3  # sentences back in which a therapy counts as "the one just named"
_CELL_KINDS = frozenset(
    {
        "stem cell therapy",
        "mesenchymal stem cell therapy",
        "CAR-T cell therapy",
        "other immune cell therapy",
        "iPSC-derived cell therapy",
    }
)
# Kinds of therapy that make different developments for one condition ("mesenchymal stem cell
# infusions" years before "CAR-T cells"); generic terms join the one kind named with them.
_KIND = {
    "CAR-T cell therapy": "immune",
    "other immune cell therapy": "immune",
    "iPSC-derived cell therapy": "ipsc",
    "mesenchymal stem cell therapy": "msc",
    "gene therapy": "gene",
    "gene editing": "gene",
}
_JOINS = {"stem cell therapy": {"ipsc", "msc"}, "cell therapy": {"immune", "ipsc", "msc"}}
_MORE_SPECIFIC = {
    "cell and gene therapy": _CELL_KINDS | {"cell therapy", "gene therapy", "gene editing"},
    "cell therapy": _CELL_KINDS,
    "stem cell therapy": frozenset({"mesenchymal stem cell therapy", "iPSC-derived cell therapy"}),
}
_EDITED_IMMUNE_CELLS = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:immune|t)\s+cells?\b")
_INDICATION_BEFORE = re.compile(
    r"\b(?:for|with|to treat|treating|treats|treated|against|targeting|involving|diagnosed with|"
    r"suffering from|living with|survivors? of)\s+(?:\S+\s+){0,4}$"
)
_PATIENTS_AFTER = re.compile(r"\s+(?:patients?|survivors?|sufferers)\b")
_BASED_PREFIX = re.compile(r"^(?:[A-Z][\w.'’-]*[ -])*?[A-Z][\w.'’]*-(?:based|headquartered|listed)\s+")


@dataclass(slots=True)
class Link:
    """A sentence that ties a condition to a therapy."""

    sentence: int
    condition: Match
    therapy: Match
    how: str  # why the therapy belongs to the condition here


@dataclass
class Development:
    condition: str
    product: str | None
    links: list[Link] = field(default_factory=list)
    sentences: set[int] = field(default_factory=set)  # the links' and the ones continuing them
    notes: dict[str, str] = field(default_factory=dict)  # how the condition was resolved
    _link_sentences: set[int] | None = field(default=None, repr=False)
    _links_counted: int = field(default=0, repr=False)
    _ordered: list[int] | None = field(default=None, repr=False)

    @property
    def link_sentences(self) -> set[int]:
        if self._link_sentences is None or self._links_counted != len(self.links):
            self._link_sentences = {link.sentence for link in self.links}
            self._links_counted = len(self.links)
        return self._link_sentences

    def ordered(self) -> list[int]:
        """The development's sentences in order (sorted once they are all attached)."""
        if self._ordered is None or len(self._ordered) != len(self.sentences):
            self._ordered = sorted(self.sentences)
        return self._ordered

    def therapy(self) -> Match:
        return max(self.links, key=lambda link: link.therapy.term.rank).therapy


@dataclass
class _Draft:
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


class Analysis:
    """One article: its sentences, mentions, institutions, modifiers and developments."""

    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab
        self.norm = normalise_for_matching(text)
        self.sentences: list[Sentence] = split_sentences(text)
        self._starts = [s.start for s in self.sentences]
        self.roles: list[dict[str, list[Match]]] = [{} for _ in self.sentences]
        sentences, k, n = self.sentences, 0, len(self.sentences)
        triggers = []  # what starts an institution's name, for find_institutions
        for m in vocab.scan(text, self.norm):  # in order of their start: walk the sentences along
            while k < n and sentences[k].end <= m.start:
                k += 1
            if k < n and sentences[k].start <= m.start:
                self.roles[k].setdefault(m.role, []).append(m)
                if m.role.startswith("org_"):
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

    def _inside_institution(self, m: Match) -> bool:
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
            if cats & _NOT_INDICATION or self._inside_institution(m) or self._starts_a_name(m):
                continue
            if m.term.event and not self._indication_marked(i, m):
                continue
            named.append((m, cats))
        if len(named) > 1:
            heads = [m for m, _ in named]
            members = [m for m, cats in named if "MEMBER" in cats]
            named = [
                (m, cats)
                for m, cats in named
                if not any(self._narrower(o.term, m.term) for o in heads)
                # "large B-cell lymphoma, including DLBCL": the example belongs to the head ...
                and not ("MEMBER" in cats and any(h.end <= m.start and h.term.scope is None for h in heads))
                # ... "blood diseases such as leukemia": the umbrella head gives way to its example
                and not (m.term.scope and any(e.start >= m.end for e in members))
            ]
        found = [m for m, _ in named]
        return found, [m for m, cats in named if not cats & _NOT_DONE]

    def _starts_a_name(self, m: Match) -> bool:
        surface = self.text[m.start : m.end]
        if not (surface.isupper() and len(surface) <= 6):
            return False
        following = self.text[m.end : m.end + 2]
        return len(following) == 2 and following[0] == " " and following[1].isupper()

    def _indication_marked(self, i: int, m: Match) -> bool:
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

    def _narrower(self, a: Term, b: Term) -> bool:
        """True when condition ``a`` is a narrower condition of ``b``'s field."""
        if a.value == b.value or self._field(a) != self._field(b):
            return False
        scope_a, scope_b = _SCOPE_ORDER[a.scope], _SCOPE_ORDER[b.scope]
        if scope_a != scope_b:
            return scope_a < scope_b
        return scope_a == 1 and (a.category or "").count("-") > (b.category or "").count("-")

    def therapies(self, i: int) -> list[Match]:
        return self._therapies[i]

    def patient_count(self, i: int) -> PatientCount | None:
        if i not in self._counts:
            count = None
            nouns = self.of_role(i, "patient_noun")
            if nouns:
                s = self.sentences[i]
                count = count_patients(
                    self.text[s.start : s.end], [(m.start - s.start, m.end - s.start) for m in nouns]
                )
                if count is not None:
                    span = Match(s.start + count.start, s.start + count.end, Term("patients", ""))
                    if self.categories(i, span, "stage") & _NOT_DONE:
                        count = None  # "aims to recruit 272 patients"
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
        cues = [m for m in cues if not self._inside_institution(m)]
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
        if any(not cats & _NOT_DONE for _, cats in self.stage_cues(i, weak=False)):
            return True
        return bool(self.of_role(i, "patient_noun") or self.of_role(i, "outcome"))

    def refers_to_therapy(self, i: int) -> bool:
        return bool(self.of_role(i, "therapy_ref"))

    # -- links and developments -----------------------------------------------------------------
    def _clause(self, i: int, pos: int) -> tuple[int, int]:
        s = self.sentences[i]
        bounds = [s.start, s.end]
        for m in self.of_role(i, "clause_break"):
            if m.value != "comma" or self.norm[m.start - 2 : m.start] == ", ":
                bounds.append(m.start)
        semicolon = self.norm.find(";", s.start, s.end)
        while semicolon != -1:
            bounds.append(semicolon)
            semicolon = self.norm.find(";", semicolon + 1, s.end)
        bounds.sort()
        k = bisect.bisect_right(bounds, pos) - 1
        return bounds[max(k, 0)], bounds[min(k + 1, len(bounds) - 1)]

    def _best_therapies(self, i: int, condition: Match) -> list[Match]:
        """The therapies the sentence ties to ``condition``: every product named in its clause
        (or sentence), else the most specific therapy term there."""
        therapies = self.therapies(i)
        lo, hi = self._clause(i, condition.start)
        near = [m for m in therapies if lo <= m.start < hi] or therapies
        products: dict[str, Match] = {}
        for m in near:
            if m.term.product:
                products.setdefault(m.term.product, m)
        if len(products) > 1:
            return list(products.values())
        return [max(near, key=lambda m: (m.term.rank, -abs(m.start - condition.start)))]

    def therapy_before(self, i: int) -> Match | None:
        """The therapy the sentence refers back to: the last one named in it or before it."""
        for j in range(i, -1, -1):
            found = self.therapies(j)
            if found:
                best = max(found, key=lambda m: m.term.rank)
                return best
        for j in range(i + 1, len(self.sentences)):  # a therapy named only later in the paragraph
            if self.sentences[j].paragraph != self.sentences[i].paragraph:
                break
            if self.therapies(j):
                return max(self.therapies(j), key=lambda m: m.term.rank)
        for j in range(i + 1, len(self.sentences)):  # the therapy the article goes on to name
            if self.therapies(j):
                return max(self.therapies(j), key=lambda m: m.term.rank)
        return None

    def links(self) -> list[Link]:
        out = []
        for i, roles in enumerate(self.roles):
            if "condition" not in roles and "therapy" not in roles:
                continue
            for condition in self.conditions(i):
                if self.therapies(i):
                    for therapy in self._best_therapies(i, condition):
                        out.append(Link(i, condition, therapy, "named in the sentence"))
                    continue
                refers, reports = self.refers_to_therapy(i), self.reports(i)
                if not (refers or reports):
                    continue
                therapy = self.therapy_before(i)
                if therapy is None:
                    continue
                how = "the sentence refers back to it" if refers else "the sentence reports on it"
                out.append(Link(i, condition, therapy, f"{self.words(therapy)!r} named before; {how}"))
            # "She received ... mesenchymal stem cell infusions": a therapy and a stage without a
            # condition continue the condition named just before (or the article's main one).
            alone = not self.named_conditions(i) and self.therapies(i) and not self.of_role(i, "other_topic")
            if alone and any(not cats & _NOT_DONE for _, cats in self.stage_cues(i, weak=True)):
                condition = self.context_condition(i)
                for therapy in self._best_therapies(i, condition) if condition is not None else []:
                    out.append(
                        Link(
                            i,
                            condition,
                            therapy,
                            "named in the sentence, which continues a condition",
                        )
                    )
        return out

    def context_condition(self, i: int) -> Match | None:
        """The condition a sentence without one continues: a recent one it names in part ("the
        affected knee joints" -> knee osteoarthritis), else the last named in the three sentences
        before, else the one the article names most (at least twice)."""
        words = set(re.findall(r"[a-z]{4,}", self.norm[self.sentences[i].start : self.sentences[i].end]))
        for j in range(i - 1, max(-1, i - 1 - 2 * _RECENT), -1):
            for m in reversed(self.named_conditions(j)):
                if words & (set(re.findall(r"[a-z]{4,}", m.value.lower())) - _GENERIC_CONDITION_WORDS):
                    return Match(self.sentences[i].start, self.sentences[i].start, m.term)
        for j in range(i - 1, max(-1, i - 1 - _RECENT), -1):
            if self.named_conditions(j):
                m = self.named_conditions(j)[-1]
                return Match(self.sentences[i].start, self.sentences[i].start, m.term)
        counts = Counter(m.value for j in range(len(self.sentences)) for m in self.named_conditions(j))
        if counts:
            value, n = counts.most_common(1)[0]
            if n >= 2:
                term = next(
                    m.term
                    for j in range(len(self.sentences))
                    for m in self.named_conditions(j)
                    if m.value == value
                )
                return Match(self.sentences[i].start, self.sentences[i].start, term)
        return None

    def _resolution(self, links: list[Link]) -> dict[str, tuple[list[str], str]]:
        """Where each linked umbrella or catch-all condition goes: to the narrower conditions of
        its field that the article links (all of them: "diabetes" in an article on type 1 and
        type 2 diabetes speaks of both), else to the one it names most; a catch-all ("a rare
        genetic disease") without such to the specific condition the article names most."""
        named: Counter[str] = Counter()
        terms: dict[str, Term] = {}
        first: dict[str, int] = {}
        for i in range(len(self.sentences)):
            for m in self.named_conditions(i):
                named[m.value] += 1
                terms.setdefault(m.value, m.term)
                first.setdefault(m.value, i)
        linked = {link.condition.value for link in links}
        for link in links:
            terms.setdefault(link.condition.value, link.condition.term)
            first.setdefault(link.condition.value, link.sentence)
        out: dict[str, tuple[list[str], str]] = {}
        for value in terms:
            term = terms[value]
            if term.scope is None:
                continue
            narrower = [v for v, t in terms.items() if self._narrower(t, term)]
            if term.scope == "catchall" and not narrower:
                narrower = [v for v, t in terms.items() if t.scope is None]
            if not narrower:
                continue
            targets = [v for v in narrower if v in linked] or [
                max(narrower, key=lambda v: (named[v], -first[v]))
            ]
            out[value] = (targets, "")
        for value, (targets, _) in list(out.items()):  # the narrowest: "tumors" -> "lymphoma" -> "DLBCL"
            final: list[str] = []
            todo = list(targets)
            while todo:
                target = todo.pop(0)
                if target in out and target != value and len(final) < 20:
                    todo.extend(t for t in out[target][0] if t not in final and t != target)
                elif target not in final:
                    final.append(target)
            final = [t for t in final if t not in out] or final
            out[value] = (
                final,
                f"'{value}' stands for {', '.join(final)}: the narrower condition the article names",
            )
        return out

    def developments(self) -> list[Development]:
        links = self.links()
        if not links:
            return []
        resolution = self._resolution(links)
        self._resolved = {value: targets for value, (targets, _) in resolution.items()}
        resolved_links: list[tuple[Link, str, str]] = []
        for link in links:
            targets, note = resolution.get(link.condition.value, ([link.condition.value], ""))
            resolved_links.extend((link, target, note) for target in targets)
        products_of: dict[str, set[str]] = defaultdict(set)
        for link, condition, _ in resolved_links:
            if link.therapy.term.product:
                products_of[condition].add(link.therapy.term.product)
        named_products = {
            m.term.product: m.value
            for i in self.with_role("therapy")
            for m in self.therapies(i)
            if m.term.product
        }
        kinds_of: dict[str, set[str]] = defaultdict(set)
        for link, condition, _ in resolved_links:
            kind = self._kind(link.therapy)
            if kind:
                kinds_of[condition].add(kind)
        developments: dict[tuple[str, str | None, str | None], Development] = {}
        for link, condition, note in resolved_links:
            product = link.therapy.term.product
            if product is None and not products_of[condition] and len(named_products) == 1:
                # The one product the article names is the therapy it speaks of.
                only, therapy = next(iter(named_products.items()))
                if therapy == link.therapy.value or link.therapy.value in _MORE_SPECIFIC:
                    product = only
            if product is None and len(products_of[condition]) == 1:
                product = next(iter(products_of[condition]))
            elif product is None and products_of[condition]:
                product = self._nearest_product(link, products_of[condition])
            kind = self._kind(link.therapy)
            if kind is None:  # a generic term joins the one kind of cell therapy named for it
                compatible = {
                    k
                    for k in kinds_of[condition]
                    if link.therapy.value not in _JOINS or k in _JOINS[link.therapy.value]
                }
                kind = next(iter(compatible)) if len(compatible) == 1 else None
            if product is not None:
                kind = None
            dev = developments.setdefault((condition, product, kind), Development(condition, product))
            dev.links.append(link)
            if note and link.condition.value != condition:
                dev.notes.setdefault("indication", note)
        devs = sorted(developments.values(), key=lambda d: min(k.sentence for k in d.links))
        self._attach(devs)
        return devs

    def _kind(self, therapy: Match) -> str | None:
        if therapy.value == "gene editing" and _EDITED_IMMUNE_CELLS.match(
            self.norm[therapy.end : therapy.end + 40]
        ):
            return "immune"  # gene-edited immune cells
        return _KIND.get(therapy.value)

    def _nearest_product(self, link: Link, products: set[str]) -> str | None:
        """The product named last before the link, else first after it."""
        for j in list(range(link.sentence, -1, -1)) + list(range(link.sentence + 1, len(self.sentences))):
            found = [m for m in self.therapies(j) if m.term.product in products]
            if found:
                return (found[-1] if j <= link.sentence else found[0]).term.product
        return None

    def _attach(self, devs: list[Development]) -> None:
        """Give each sentence to the developments it speaks of: a link's to its developments;
        one naming conditions, to their developments; one naming none, to those of the last
        sentence before it that links or names one (or of the first after it in its
        paragraph; in an article about one development, to that one)."""
        by_link: dict[int, list[Development]] = defaultdict(list)
        by_condition: dict[str, list[Development]] = defaultdict(list)
        for dev in devs:
            by_condition[dev.condition].append(dev)
            for i in dev.link_sentences:
                if dev not in by_link[i]:
                    by_link[i].append(dev)
        owners_of: list[list[Development] | None] = []
        for i in range(len(self.sentences)):
            if i in by_link:
                owners_of.append(by_link[i])
            elif self.of_role(i, "other_topic"):
                owners_of.append([])  # "Treatments for other diseases are still under trial."
            elif self.named_conditions(i):
                values = [v for m in self.named_conditions(i) for v in self._resolved.get(m.value, [m.value])]
                owners_of.append([d for v in dict.fromkeys(values) for d in by_condition.get(v, [])])
            else:
                owners_of.append(None)
        last: list[Development] | None = None
        pending: list[int] = []
        for i, owners in enumerate(owners_of):
            if owners is None or (not owners and not self.of_role(i, "other_topic") and last is not None):
                # A sentence naming no condition, or only conditions of no development (an
                # aside: "high LDL cholesterol"), continues the development before it.
                if last is not None:
                    owners = last
                else:
                    pending.append(i)
                    continue
            else:
                for j in pending:  # sentences before the first naming one: same paragraph only
                    if self.sentences[j].paragraph == self.sentences[i].paragraph or len(devs) == 1:
                        for dev in owners:
                            dev.sentences.add(j)
                pending = []
                last = owners
            for dev in owners:
                dev.sentences.add(i)
        for dev in devs:
            dev.sentences |= dev.link_sentences

    # -- decisions ------------------------------------------------------------------------------
    def events(self, dev: Development) -> tuple[dict[str, list[tuple[int, Match]]], dict[str, str]]:
        """The stage cues that hold for the development, by stage, and notes on those that do
        not (negated, planned, denied)."""
        events: dict[str, list[tuple[int, Match]]] = defaultdict(list)
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
                    if cue.value == "clinical_trial":
                        continue
                if cats & _NOT_DONE:
                    if cue.value not in notes:
                        reason = self.modifiers(i).explain(cue.start, cue.end, "stage")
                        notes[cue.value] = f"'{self.words(cue)}' not counted ({reason})"
                    continue
                events[cue.value].append((i, cue))
        if denied:
            events.pop("clinical_trial", None)
        return events, notes

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

    def drafts(self, dev: Development) -> list[_Draft]:
        events, notes = self.events(dev)
        if not events:
            return []
        therapy_match = dev.therapy()
        therapy, detail = self._therapy_value(dev, therapy_match)
        stages: list[str] = []
        if Stage.APPROVED in events:
            stages.append(Stage.APPROVED)
        if Stage.CLINICAL_TRIAL in events:
            stages.append(Stage.CLINICAL_TRIAL)
        if Stage.CLINICAL_USE in events:
            use_sentences = [i for i, _ in events[Stage.CLINICAL_USE]]
            trial_sentences = {i for i, _ in events.get(Stage.CLINICAL_TRIAL, [])}
            strong = [
                i for i, m in events[Stage.CLINICAL_USE] if m.role == "stage" and i not in trial_sentences
            ]
            beside_trial = Stage.CLINICAL_TRIAL in events and (
                self._commercial(use_sentences) or (Stage.APPROVED in events and bool(strong))
            )
            if Stage.CLINICAL_TRIAL not in events or beside_trial:
                stages.append(Stage.CLINICAL_USE)
        if not stages and Stage.PRECLINICAL in events:
            stages.append(Stage.PRECLINICAL)
        if not stages and Stage.RESEARCH in events:
            stages.append(Stage.RESEARCH)
        # The development's own sentences: its links that name the therapy chosen (not the generic
        # term a more specific one replaced), in order.
        own = [link for link in dev.links if link.therapy.value == therapy_match.value] or dev.links
        drafts = []
        for stage in stages:
            cues = events[stage]
            own_sentences = {link.sentence for link in own}
            own_cues = [(i, m) for i, m in cues if i in own_sentences]
            cue_sentence, cue = (own_cues or cues)[0]
            evidence = {i for i, _ in own_cues[:3]} | {cue_sentence}
            if not own_cues:
                evidence.add(own[0].sentence)
            draft = _Draft(dev, stage, therapy, detail, evidence)
            draft.why["stage"] = self._stage_why(dev, stage, cue_sentence, cue, notes)
            draft.why["therapy"] = f"'{self.words(therapy_match)}' ({own[0].how})"
            draft.why["indication"] = dev.notes.get(
                "indication",
                f"'{self.words(own[0].condition) or dev.condition}' in sentence {own[0].sentence + 1}",
            )
            self._fill(draft, events)
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
        if value == "gene editing" and _EDITED_IMMUNE_CELLS.match(self.norm[m.end : m.end + 40]):
            # Gene-edited immune cells are an engineered cell therapy: CAR-T when the article's
            # development says so, else another immune cell therapy.
            named = {link.therapy.value for link in dev.links} | {
                t.value for i in dev.sentences for t in self.therapies(i)
            }
            value = "CAR-T cell therapy" if "CAR-T cell therapy" in named else "other immune cell therapy"
        if value in _MORE_SPECIFIC:
            # A generic term yields to a more specific kind of it in the development's sentences
            # ("stem cells" in one sentence, "reprogrammed stem cells" in another).
            kinds = _MORE_SPECIFIC[value]
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
    def _fill(self, draft: _Draft, events: dict[str, list[tuple[int, Match]]]) -> None:
        dev, stage = draft.development, draft.stage
        if stage in (Stage.CLINICAL_TRIAL, Stage.CLINICAL_USE, Stage.PRECLINICAL):
            self._patients(draft, events)
            for i in dev.ordered():
                found = self._outcomes(i)
                if found:
                    draft.outcomes |= found
                    draft.sentences.add(i)
            if draft.outcomes:
                draft.why["outcome"] = (
                    ", ".join(sorted(draft.outcomes)) + " (outcome cues in the development's sentences)"
                )
        self._party(draft, events)
        self._place(draft, events)

    def _patients(self, draft: _Draft, events: dict[str, list[tuple[int, Match]]]) -> None:
        """Patients: the count in the sentences stating the stage first ("The trial involved ten
        patients"), then in the development's own, then in the four sentences after those.
        Animals are not patients."""
        dev, stage = draft.development, draft.stage
        if stage == Stage.PRECLINICAL:
            return
        cue_sentences = sorted({i for i, _ in events[stage]})
        if stage == Stage.CLINICAL_TRIAL:
            cue_sentences += sorted({i for i, _ in events.get(Stage.CLINICAL_USE, [])} - set(cue_sentences))
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

    def _outcomes(self, i: int) -> set[str]:
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
            if cats & _NOT_DONE:
                continue
            if (
                m.value == "adverse"
                and self.norm[m.start : m.end].startswith("death")
                and _DEATH_OF_THING.match(self.norm, m.end)
            ):
                continue  # "the death of neurons" is biology, not a patient's death ("died of" is)
            out.add(m.value)
        return out

    def _institutions_in(self, i: int) -> list[Institution]:
        """Institutions named in the sentence, but not those said not to be involved."""
        if i not in self._institution_cache:
            self._institution_cache[i] = self._find_institutions_in(i)
        return self._institution_cache[i]

    def _find_institutions_in(self, i: int) -> list[Institution]:
        s = self.sentences[i]
        here = self.institutions[
            bisect.bisect_left(self._inst_starts, s.start) : bisect.bisect_left(self._inst_starts, s.end)
        ]
        here = [inst for inst in here if inst.kind != "publication"]  # journals and newspapers
        if here and self.of_role(i, "context"):
            mods = self.modifiers(i)
            here = [inst for inst in here if "UNINVOLVED" not in mods.of(inst.start, inst.end, "institution")]
        return here

    def _party(self, draft: _Draft, events: dict[str, list[tuple[int, Match]]]) -> None:
        dev = draft.development
        product = self.vocab.products.get(dev.product) if dev.product else None
        if draft.stage == Stage.APPROVED:
            for i, _ in events[Stage.APPROVED]:
                companies = [inst for inst in self._institutions_in(i) if inst.kind == "company"]
                if companies:
                    draft.institution = _clean(companies[0].name)
                    draft.why["institution"] = f"company named with the approval (sentence {i + 1})"
                    return
            named = [o for o in (product.owners if product else ()) if o.lower() in self.text.lower()]
            if named:
                draft.institution = "; ".join(named)
                draft.why["institution"] = f"owner of {dev.product} (products.csv), named in the article"
                return
            companies = [inst for inst in self.institutions if inst.kind == "company"]
            if companies:
                draft.institution = _clean(companies[0].name)
                draft.why["institution"] = "the company the article names first"
            return
        for i in sorted(dev.link_sentences | {i for i, _ in events[draft.stage]}):
            here = self._institutions_in(i)
            if here:
                draft.institution = _clean(here[0].name)
                draft.why["institution"] = f"named in sentence {i + 1}"
                return
        for i in dev.ordered():
            ref = next((m for m in self.of_role(i, "institution_ref")), None)
            if ref is not None:
                earlier = [
                    inst for inst in self.institutions if inst.end <= ref.start and inst.kind != "publication"
                ]
                kind = ref.value or None
                match = next((inst for inst in reversed(earlier) if kind is None or inst.kind == kind), None)
                if match is not None:
                    draft.institution = _clean(match.name)
                    draft.why["institution"] = f"'{self.words(ref)}' in sentence {i + 1} refers to it"
                    return
            names = self.affiliations and _CAPITALISED.findall(
                self.text, self.sentences[i].start, self.sentences[i].end
            )
            for word in names or ():
                if word in self.affiliations:
                    draft.institution = _clean(self.affiliations[word].name)
                    draft.why["institution"] = f"affiliation of {word}, quoted in sentence {i + 1}"
                    return
        for i in dev.ordered():
            here = self._institutions_in(i)
            if here:
                draft.institution = _clean(here[0].name)
                draft.why["institution"] = f"named in sentence {i + 1} of the development"
                return
        named = [o for o in (product.owners if product else ()) if o.lower() in self.text.lower()]
        if named:
            draft.institution = "; ".join(named)
            draft.why["institution"] = f"developer of {dev.product} (products.csv), named in the article"
            return
        counted = Counter(
            _key(inst.name) for i in range(len(self.sentences)) for inst in self._institutions_in(i)
        )
        if counted:
            key, _ = max(counted.items(), key=lambda kv: kv[1])
            inst = next(inst for inst in self.institutions if _key(inst.name) == key)
            draft.institution = _clean(inst.name)
            draft.why["institution"] = "the institution the article names most"

    def _place(self, draft: _Draft, events: dict[str, list[tuple[int, Match]]]) -> None:
        sentences = sorted(draft.sentences | {i for i, _ in events[draft.stage]})
        if draft.stage == Stage.APPROVED:
            for i in sentences:
                regulators = self.of_role(i, "regulator")
                if regulators:
                    draft.location = regulators[0].value
                    return
        for pool in (sentences, draft.development.ordered(), self._place_sentences()):
            for i in pool:
                places = self._places(i)
                if places:
                    name = self.words(places[0])
                    draft.location = name if name == places[0].value else f"{name}, {places[0].value}"
                    return

    def _places(self, i: int) -> list[Match]:
        """Places the sentence names, outside institutions' names."""
        found = self.of_role(i, "place")
        if not found:
            return found
        if i not in self._place_cache:
            self._place_cache[i] = [m for m in found if not self._inside_institution(m)]
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


def _clean(name: str) -> str:
    """An institution's name without a descriptive prefix ("Boston-based Vertex" -> "Vertex")."""
    return _BASED_PREFIX.sub("", name) if "-" in name else name


def _outcome(values: set[str]) -> str | None:
    if {"improved", "adverse"} <= values:
        return "mixed"
    for value in ("adverse", "no_effect", "improved"):
        if value in values:
            return value
    return None


@lru_cache(maxsize=4096)
def _key(name: str | None) -> str:
    first = (name or "").split(",")[0].split(";")[0]
    return _NON_ALNUM.sub(" ", first.lower().replace("’", "'").replace("'s ", " ")).strip()


def extract(text: str, vocab: Vocabulary) -> list[tuple[Claim, dict[str, str]]]:
    """The claims of ``text`` with, for each, why its fields are what they are."""
    analysis = Analysis(text, vocab)
    drafts = [d for dev in analysis.developments() for d in analysis.drafts(dev)]
    merged: dict[tuple[str, str, str, str], _Draft] = {}
    for d in drafts:
        key = (_key(d.institution), d.therapy, d.development.condition, d.stage)
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
            article_ids if len(article_ids) == 1 and d.stage == "clinical_trial" else ()
        )
        claim = Claim(
            institution=d.institution,
            location=d.location,
            therapy=d.therapy,
            therapy_detail=d.therapy_detail,
            indication=d.development.condition,
            stage=str(d.stage),
            patients=d.patients,
            outcome=_outcome(d.outcomes),
            evidence=evidence,
            product=d.development.product,
            registry_ids=ids,
            why=tuple(d.why.items()),
        )
        out.append((claim, dict(d.why)))
    return out
