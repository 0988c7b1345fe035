"""Which development a claim reports (the keys of ``storage.identity`` looked up in the
database), creating it when none is known, with every key and party it is reported under."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from parsers.institution_keys import institution_base_key, institution_key
from parsers.linkage import LinkModel, Report, load_link_model, report
from parsers.models import Claim as ExtractedClaim
from parsers.models import stage_order

from . import statements as sql
from .identity import (
    child_patterns,
    condition_key,
    family,
    identity_keys,
    named_parents,
    parent_institution_keys,
    parent_key,
    parent_pattern,
    party_key,
    split_key,
)
from .linking import best_match
from .models import InstitutionAlias


class DevelopmentResolver:
    """Development lookups inside one storing transaction (institution aliases read once)."""

    def __init__(self, session: Session, aliases: dict[str, str], model: LinkModel | None = None) -> None:
        self.session = session
        self.aliases = aliases
        self._model = model

    @property
    def model(self) -> LinkModel:
        if self._model is None:
            self._model = load_link_model()
        return self._model

    def report_of(self, claim: ExtractedClaim, title: str | None, published: date | None) -> Report:
        """The report a claim makes, its parties by their keys (aliases resolved)."""
        return report(
            claim,
            parties=tuple(k for k, _ in self.parties(claim.institution)),
            title=title,
            published=published,
        )

    def learn_acronyms(self, acronyms: dict[str, str]) -> None:
        """Store the acronyms an article defines ("Children's Hospital of Philadelphia (CHOP)")
        as aliases of their names, so a later report that says only "CHOP" joins the same
        developments. An alias already known (built in, the user's file, an earlier
        definition) is kept."""
        for short, long_form in acronyms.items():
            alias = institution_key(short)
            canonical = self.institution_key(long_form)
            if not alias or not canonical or alias in self.aliases or alias == canonical:
                continue
            values = {
                "alias_key": alias,
                "canonical_key": canonical,
                "canonical_name": long_form,
                "origin": "acronym",
            }
            if sql.insert_ignore(self.session, InstitutionAlias, values, ["alias_key"]):
                self.aliases[alias] = canonical
            else:  # another transaction defined it first
                known = self.session.get(InstitutionAlias, alias)
                if known is not None:
                    self.aliases[alias] = known.canonical_key

    def institution_key(self, name: str | None) -> str:
        if not name:
            return ""
        full, base = institution_key(name), institution_base_key(name)
        return self.aliases.get(full) or self.aliases.get(base) or base

    def parties(self, institution: str | None) -> list[tuple[str, str]]:
        """(key, name) of every party a claim names ("A; B"), in order, without repeats."""
        out: dict[str, str] = {}
        for name in (institution or "").split(";"):
            name = name.strip()
            key = self.institution_key(name)
            if key:
                out.setdefault(key, name)
        return list(out.items())

    def development(
        self,
        claim: ExtractedClaim,
        article_id: int,
        original_id: int | None,
        linked: Report | None = None,
    ) -> tuple[int, str]:
        """The development a claim reports (see ``storage.identity``), and why: the one its
        strongest known key names; else, for a copy of an earlier article, the original's
        development of the same condition and therapy family; else a parent's or a single
        child's (university hospitals); else, given the claim's report (``linked``), the
        development of the stored report it matches best when the linkage model scores the pair
        at least its development threshold (``storage.linking``); else a new one. Its keys and
        parties are added to the development it joins."""
        session = self.session
        parties = self.parties(claim.institution)
        keys = identity_keys(claim, [k for k, _ in parties], article_id)
        why = ""
        # An analyst's split of this article's report comes before every other key.
        known = self._by_key([split_key(article_id, claim.indication), *(k for _, k in keys)])
        development_id = known[0] if known else None
        if known is not None:
            why = f"development: key {known[1]}"
        if development_id is None and original_id is not None:
            development_id = self._original_development(original_id, claim)
            why = "development: the original's (a copy)" if development_id is not None else why
        given = [p for _, name in parties for p in named_parents(name, self.institution_key)]
        if development_id is None and parties:
            parents = [
                party_key(p, claim.therapy, claim.indication)
                for p in [*(p for k, _ in parties for p in parent_institution_keys(k)), *given]
            ]
            development_id = self._by_keys(parents) if parents else None
            why = "development: a parent's key" if development_id is not None else why
        if development_id is None and parties:
            development_id = self._single_child(parties, claim)
            why = "development: its one child's" if development_id is not None else why
        if development_id is None and linked is not None:
            match = best_match(session, linked, article_id, self.model)
            threshold = self.model.development_threshold
            if match is not None and match.p >= threshold:
                development_id = match.development_id
                why = f"development: p={match.p:.2f} >= {threshold} against mention {match.mention_id} ({match.why})"
            else:
                best = f"best p={match.p:.2f}" if match else "nothing to compare"
                why = f"development: new ({best}, threshold {threshold})"
        if development_id is None:
            # An upsert that returns the row: on PostgreSQL the conflicting row stays locked
            # until the transaction ends, so concurrent runs agree on one development.
            development_id = session.execute(
                sql.UPSERT_DEVELOPMENT,
                {
                    "identity_key": keys[0][1],
                    "institution_key": parties[0][0] if parties else "",
                    "institution": claim.institution,
                    "therapy": claim.therapy,
                    "indication": claim.indication,
                    "product": claim.product,
                },
            ).scalar_one()
        elif claim.product:
            session.execute(sql.FILL_DEVELOPMENT_PRODUCT, {"id": development_id, "product": claim.product})
        keys += [("parent", parent_key(p, claim.therapy, claim.indication, development_id)) for p in given]
        session.execute(
            sql.INSERT_DEVELOPMENT_KEY,
            [{"key": key, "development_id": development_id, "kind": kind} for kind, key in keys],
        )
        if parties:
            session.execute(
                sql.INSERT_DEVELOPMENT_PARTY,
                [
                    {"development_id": development_id, "institution_key": k, "institution": n}
                    for k, n in parties
                ],
            )
        return development_id, why or "development: new"

    def copied_claim(self, claim: ExtractedClaim, original_id: int) -> tuple[int, str, str, str] | None:
        """For a claim of a copy (same text, near-duplicate, cut or extended wire copy): the claim
        of the original it reports, as (development id, stage, therapy, indication). A copy's
        words are the original's with a few changed, so its claims are the original's, however
        the extractor read them this time: the original's claim naming the same condition is
        taken (then the one of the same therapy family, stage and party), else the original's
        only development; None when the original has no claim at all to join (a copy never
        starts a development its original does not have)."""
        rows = self.session.execute(sql.CLAIMS_OF_ARTICLE, {"article_id": original_id}).all()
        if not rows:
            return None
        condition = condition_key(claim.indication)
        party = self.institution_key((claim.institution or "").split(";")[0].strip())
        order = stage_order(claim.stage)

        def fit(row: Any) -> tuple[int, ...]:
            _id, _dev, therapy, indication, stage, institution_key = row
            return (
                condition_key(indication) == condition,
                family(therapy) == family(claim.therapy),
                stage == claim.stage,
                bool(party) and institution_key == party,
                -abs(stage_order(stage) - order),
            )

        best = max(rows, key=fit)
        if not fit(best)[0] and len({row[1] for row in rows}) > 1:
            return None  # another condition, and no single development it could only be
        return best[1], best[4], best[2], best[3]

    def _by_keys(self, keys: list[str]) -> int | None:
        """The development of the first of ``keys`` that is known."""
        known = self._by_key(keys)
        return known[0] if known else None

    def _by_key(self, keys: list[str]) -> tuple[int, str] | None:
        """The development of the first of ``keys`` that is known, with that key."""
        found = dict(self.session.execute(sql.DEVELOPMENTS_BY_KEY, {"keys": keys}).all())
        return next(((found[k], k) for k in keys if k in found), None)

    def _single_child(self, parties: list[tuple[str, str]], claim: ExtractedClaim) -> int | None:
        for key, _name in parties:
            found: set[int] = set()
            for pattern in child_patterns(key, claim.therapy, claim.indication):
                found.update(self.session.execute(sql.DEVELOPMENTS_LIKE_KEY, {"pattern": pattern}).scalars())
            pattern = parent_pattern(key, claim.therapy, claim.indication)  # "Hospital, <key>"
            found.update(
                self.session.execute(sql.DEVELOPMENTS_LIKE_PARENT_KEY, {"pattern": pattern}).scalars()
            )
            if len(found) == 1:
                return found.pop()
        return None

    def _original_development(self, original_id: int, claim: ExtractedClaim) -> int | None:
        """The development of the original article that a copy's claim reports: the one with
        the same condition and therapy family, when there is exactly one."""
        wanted = (condition_key(claim.indication), family(claim.therapy))
        found = {
            development_id
            for development_id, therapy, indication in self.session.execute(
                sql.DEVELOPMENTS_OF_ARTICLE, {"article_id": original_id}
            )
            if (condition_key(indication), family(therapy)) == wanted
        }
        return found.pop() if len(found) == 1 else None
