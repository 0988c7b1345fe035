"""Linking therapies to conditions and grouping the links into developments (steps 2 and 3 of
``parsers.developments``)."""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .mentions import NOT_DONE, ArticleMentions
from .models import Therapy
from .vocab import Match, Term
from .wordlists import word_list

_GENERIC_CONDITION_WORDS = word_list("generic_condition_word")
_RECENT = 3  # sentences back in which a therapy counts as "the one just named"
EDITED_IMMUNE_CELLS = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:immune|t)\s+cells?\b")


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


class DevelopmentLinker(ArticleMentions):
    """An article's developments: the therapy-condition links and how they group."""

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
                before = self.therapy_before(i)
                if before is None:
                    continue
                how = "the sentence refers back to it" if refers else "the sentence reports on it"
                out.append(Link(i, condition, before, f"{self.words(before)!r} named before; {how}"))
            # "She received ... mesenchymal stem cell infusions": a therapy and a stage without a
            # condition continue the condition named just before (or the article's main one).
            alone = not self.named_conditions(i) and self.therapies(i) and not self.of_role(i, "other_topic")
            if alone and any(not cats & NOT_DONE for _, cats in self.stage_cues(i, weak=True)):
                continued = self.context_condition(i)
                if continued is not None:
                    for therapy in self._best_therapies(i, continued):
                        out.append(
                            Link(
                                i,
                                continued,
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
            narrower = [v for v, t in terms.items() if self.narrower(t, term)]
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
                if therapy == link.therapy.value or Therapy(link.therapy.value).narrower:
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
                    if (joins := Therapy(link.therapy.value).joins) is None or k in joins
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
        if therapy.value == "gene editing" and EDITED_IMMUNE_CELLS.match(
            self.norm[therapy.end : therapy.end + 40]
        ):
            return "immune"  # gene-edited immune cells
        return Therapy(therapy.value).kind

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
