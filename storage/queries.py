"""Read-only queries for the CLI, the flows' artifacts and tests: claims, development
histories, mentions, the claims a run added, monthly counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from parsers.models import claim_fields, stage_order

from .models import Article, Claim, Development, Failure, Mention, Source


@dataclass(frozen=True, slots=True)
class ClaimRow:
    id: int
    institution: str | None
    location: str | None
    therapy: str
    therapy_detail: str | None
    indication: str
    stage: str
    patients: int | None
    outcome: str | None
    first_seen: date
    last_seen: date
    mention_count: int
    source_count: int
    dated: bool = True  # False: only undated articles report it; the dates are days they were read

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            **claim_fields(self),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "dated": self.dated,
            "mentions": self.mention_count,
            "sources": self.source_count,
        }

    @property
    def reported(self) -> str:
        """First reported, as people should read it: a date, or "undated (read ...)"."""
        return self.first_seen.isoformat() if self.dated else f"undated (read {self.first_seen.isoformat()})"


def list_claims(
    engine: Engine,
    *,
    since: date | None = None,
    indication: str | None = None,
    therapy: str | None = None,
    stage: str | None = None,
) -> list[ClaimRow]:
    """Stored claims, newest first, optionally filtered (indication/therapy: case-insensitive
    substring; since: last_seen on or after)."""
    stmt = select(Claim)
    if since is not None:
        stmt = stmt.where(col(Claim.last_seen) >= since)
    if indication:
        stmt = stmt.where(func.lower(col(Claim.indication)).contains(indication.lower()))
    if therapy:
        stmt = stmt.where(func.lower(col(Claim.therapy)).contains(therapy.lower()))
    if stage:
        stmt = stmt.where(col(Claim.stage) == stage)
    stmt = stmt.order_by(col(Claim.first_seen).desc(), col(Claim.id))
    with Session(engine) as session:
        rows = session.execute(stmt).scalars().all()
        return [
            ClaimRow(
                r.id,
                r.institution,
                r.location,
                r.therapy,
                r.therapy_detail,
                r.indication,
                r.stage,
                r.patients,
                r.outcome,
                r.first_seen,
                r.last_seen,
                r.mention_count,
                r.source_count,
                r.dated,
            )
            for r in rows
        ]


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of the main tables."""
    with Session(engine) as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Source, Article, Development, Claim, Mention, Failure)
        }


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage of a development's history (a row of the development_stages view)."""

    development_id: int
    institution: str | None
    therapy: str
    indication: str
    stage: str
    first_reported: date
    last_reported: date
    mentions: int
    sources: int


@dataclass(frozen=True, slots=True)
class MentionRow:
    """One mention (a row of the claim_timeline view)."""

    reported_on: date
    development_id: int
    stage: str
    source: str
    url: str | None
    title: str | None
    evidence: str


def _like(column, text: str | None):
    return func.lower(column).contains(text.lower()) if text else None


def development_history(
    engine: Engine,
    *,
    institution: str | None = None,
    therapy: str | None = None,
    indication: str | None = None,
) -> list[StageRow]:
    """Stage histories of the developments matching the filters (case-insensitive substrings),
    each in date order."""
    stmt = select(
        col(Development.id),
        col(Development.institution),
        col(Development.therapy),
        col(Development.indication),
        col(Claim.stage),
        col(Claim.first_seen),
        col(Claim.last_seen),
        col(Claim.mention_count),
        col(Claim.source_count),
    ).join(Claim, col(Claim.development_id) == col(Development.id))
    for condition in (
        _like(col(Development.institution), institution),
        _like(col(Development.therapy), therapy),
        _like(col(Development.indication), indication),
    ):
        if condition is not None:
            stmt = stmt.where(condition)
    stmt = stmt.order_by(col(Development.id), col(Claim.first_seen), col(Claim.id))
    with Session(engine) as session:
        rows = [StageRow(*row) for row in session.execute(stmt).all()]
    # Same day: the earlier stage first (a trial reported with its approval precedes it).
    return sorted(rows, key=lambda r: (r.development_id, r.first_reported, stage_order(r.stage)))


def development_mentions(engine: Engine, development_ids: Iterable[int]) -> list[MentionRow]:
    """Every mention of the given developments' claims, in date order (from claim_timeline)."""
    ids = list(development_ids)
    if not ids:
        return []
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT reported_on, development_id, stage, source, url, title, evidence FROM claim_timeline "
                "WHERE development_id IN :ids ORDER BY reported_on, mention_id"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
    return [MentionRow(date.fromisoformat(str(r[0])[:10]), *r[1:]) for r in rows]


@dataclass(frozen=True, slots=True)
class NewClaimRow:
    """A claim first stored in this run, with the report that first stated it and how it
    relates to what was stored before the run:

    kind "new"      its development is new in this run
         "move"     its development reached a later stage than any stored before (``moved_from``)
         "earlier"  a report of a stage below the highest already stored: never a move backwards
    """

    id: int
    development_id: int
    first_seen: date
    institution: str | None
    therapy: str
    indication: str
    stage: str
    patients: int | None
    outcome: str | None
    source: str  # the configured source
    url: str | None
    earlier_stages: tuple[str, ...]  # the development's stages stored before this run
    dated: bool = True
    outlet: str | None = None
    title: str | None = None
    evidence: str = ""

    @property
    def reported(self) -> str:
        """First reported: a date, or "undated (read ...)" when no report states its date."""
        return self.first_seen.isoformat() if self.dated else f"undated (read {self.first_seen.isoformat()})"

    @property
    def kind(self) -> str:
        if not self.earlier_stages:
            return "new"
        highest = max(stage_order(s) for s in self.earlier_stages)
        return "move" if stage_order(self.stage) > highest else "earlier"

    @property
    def moved_from(self) -> str | None:
        """The highest stage stored before the run, for a move."""
        if self.kind != "move":
            return None
        return max(self.earlier_stages, key=lambda st: stage_order(st))


def describe_claims(engine: Engine, claim_ids: Sequence[int]) -> list[NewClaimRow]:
    """The given claims (those a run stored first) with the report that first stated each (a
    dated one if any: outlet, title, URL, evidence) and the stages their developments had
    before the run (the stages of claims not among ``claim_ids``). Dated rows first, newest
    first; then the undated ones."""
    ids = list(dict.fromkeys(claim_ids))
    new_ids = set(ids)
    out: list[NewClaimRow] = []
    with Session(engine) as session:
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            claims = session.execute(select(Claim).where(col(Claim.id).in_(part))).scalars().all()
            first: dict[int, tuple] = {}
            for claim_id, dated, seen_on, mention_id, source, outlet, title, url, evidence in session.execute(
                select(
                    col(Mention.claim_id),
                    col(Mention.dated),
                    col(Mention.seen_on),
                    col(Mention.id),
                    col(Source.name),
                    col(Article.outlet),
                    col(Article.title),
                    col(Article.url),
                    col(Mention.evidence),
                )
                .join(Article, col(Article.id) == col(Mention.article_id))
                .join(Source, col(Source.id) == col(Article.source_id))
                .where(col(Mention.claim_id).in_(part))
            ).all():
                rank = (not dated, seen_on, mention_id)
                if claim_id not in first or rank < first[claim_id][0]:
                    first[claim_id] = (rank, source, outlet, title, url, evidence)
            before: dict[int, set[str]] = defaultdict(set)
            for development_id, other_id, stage in session.execute(
                select(col(Claim.development_id), col(Claim.id), col(Claim.stage)).where(
                    col(Claim.development_id).in_({c.development_id for c in claims})
                )
            ).all():
                if other_id not in new_ids:
                    before[development_id].add(stage)
            for claim in claims:
                _rank, source, outlet, title, url, evidence = first.get(
                    claim.id, (None, "", None, None, None, "")
                )
                out.append(
                    NewClaimRow(
                        claim.id,
                        claim.development_id,
                        claim.first_seen,
                        claim.institution,
                        claim.therapy,
                        claim.indication,
                        claim.stage,
                        claim.patients,
                        claim.outcome,
                        source,
                        url,
                        tuple(sorted(before[claim.development_id], key=lambda st: stage_order(st))),
                        claim.dated,
                        outlet,
                        title,
                        evidence or "",
                    )
                )
    return sorted(out, key=lambda r: (r.dated, r.first_seen, r.id), reverse=True)


def monthly_claims_by_therapy(engine: Engine, since_month: str | None = None) -> list[tuple[str, str, int]]:
    """(month, therapy, claims) from the claims_by_month view, oldest month first."""
    sql = "SELECT month, therapy, claims FROM claims_by_month WHERE therapy IS NOT NULL"
    params: dict[str, str] = {}
    if since_month:
        sql += " AND month >= :since"
        params["since"] = since_month
    with Session(engine) as session:
        return [
            (r[0], r[1], int(r[2]))
            for r in session.execute(text(sql + " ORDER BY month, therapy"), params).all()
        ]
