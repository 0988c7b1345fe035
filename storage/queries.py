"""Read-only queries for the CLI, the flows' artifacts and tests: claims, development
histories, mentions, the claims a run added, monthly counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from parsers.models import claim_fields, stage_order

from .models import Article, ClaimRecord, DevelopmentRecord, Failure, Mention, Source


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
    stmt = select(ClaimRecord)
    if since is not None:
        stmt = stmt.where(col(ClaimRecord.last_seen) >= since)
    if indication:
        stmt = stmt.where(func.lower(col(ClaimRecord.indication)).contains(indication.lower()))
    if therapy:
        stmt = stmt.where(func.lower(col(ClaimRecord.therapy)).contains(therapy.lower()))
    if stage:
        stmt = stmt.where(col(ClaimRecord.stage) == stage)
    stmt = stmt.order_by(col(ClaimRecord.first_seen).desc(), col(ClaimRecord.id))
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
            for model in (Source, Article, DevelopmentRecord, ClaimRecord, Mention, Failure)
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
    dated: bool = True  # False: no report of this stage states a date (the dates are read days)

    @property
    def reported(self) -> str:
        if not self.dated:
            return f"undated (read {self.first_reported})"
        return f"{self.first_reported} .. {self.last_reported}"


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
    link_why: str | None = None  # why it joined its development and event (mentions.link_why)
    mention_id: int | None = None  # for `cgt-monitor developments split`


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
        col(DevelopmentRecord.id),
        col(DevelopmentRecord.institution),
        col(DevelopmentRecord.therapy),
        col(DevelopmentRecord.indication),
        col(ClaimRecord.stage),
        col(ClaimRecord.first_seen),
        col(ClaimRecord.last_seen),
        col(ClaimRecord.mention_count),
        col(ClaimRecord.source_count),
        col(ClaimRecord.dated),
    ).join(ClaimRecord, col(ClaimRecord.development_id) == col(DevelopmentRecord.id))
    for condition in (
        _like(col(DevelopmentRecord.institution), institution),
        _like(col(DevelopmentRecord.therapy), therapy),
        _like(col(DevelopmentRecord.indication), indication),
    ):
        if condition is not None:
            stmt = stmt.where(condition)
    stmt = stmt.order_by(col(DevelopmentRecord.id), col(ClaimRecord.first_seen), col(ClaimRecord.id))
    with Session(engine) as session:
        rows = [StageRow(*row) for row in session.execute(stmt).all()]
    # Same day: the earlier stage first (a trial reported with its approval precedes it).
    return sorted(rows, key=lambda r: (r.development_id, r.first_reported, stage_order(r.stage)))


def development_mentions(engine: Engine, development_ids: Iterable[int]) -> list[MentionRow]:
    """Every mention of the given developments' claims, in date order (from claim_timeline)."""
    rows = _of_developments(
        engine,
        "SELECT t.reported_on, t.development_id, t.stage, t.source, t.url, t.title, t.evidence, m.link_why, "
        "t.mention_id FROM claim_timeline t JOIN mentions m ON m.id = t.mention_id "
        "WHERE t.development_id IN :ids ORDER BY t.reported_on, t.mention_id",
        development_ids,
    )
    return [MentionRow(date.fromisoformat(str(r[0])[:10]), *r[1:]) for r in rows]


def _of_developments(engine: Engine, sql: str, development_ids: Iterable[int]) -> list[Any]:
    """The rows of ``sql`` (a query of a view with ``IN :ids``) for the given developments."""
    ids = list(development_ids)
    if not ids:
        return []
    with Session(engine) as session:
        return list(
            session.execute(text(sql).bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all()
        )


@dataclass(frozen=True, slots=True)
class EventRow:
    """One news event of a development's stage (a row of the development_events view)."""

    development_id: int
    stage: str
    occurrence: int
    first_reported: date | None  # None when no report of it is dated
    last_reported: date | None
    mentions: int
    outlets: int
    first_read: date

    @property
    def reported(self) -> str:
        if self.first_reported is None or self.last_reported is None:
            return f"undated (read {self.first_read})"
        return f"{self.first_reported} .. {self.last_reported}"


def development_events(engine: Engine, development_ids: Iterable[int]) -> list[EventRow]:
    """The news events of the given developments, oldest first within each stage."""
    rows = _of_developments(
        engine,
        "SELECT development_id, stage, occurrence, first_reported, last_reported, mentions, outlets, "
        "first_read_or_reported FROM development_events WHERE development_id IN :ids",
        development_ids,
    )
    events = [
        EventRow(r[0], r[1], r[2], _day(r[3]), _day(r[4]), r[5], r[6], _day(r[7]) or date.min) for r in rows
    ]
    return sorted(
        events, key=lambda e: (e.development_id, e.stage, e.first_reported or e.first_read, e.occurrence)
    )


def _day(value: object) -> date | None:
    """A view's date column as a date (SQLite returns text)."""
    return None if value is None else date.fromisoformat(str(value)[:10])


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
            claims = session.execute(select(ClaimRecord).where(col(ClaimRecord.id).in_(part))).scalars().all()
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
                select(col(ClaimRecord.development_id), col(ClaimRecord.id), col(ClaimRecord.stage)).where(
                    col(ClaimRecord.development_id).in_({c.development_id for c in claims})
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


@dataclass(frozen=True, slots=True)
class NewEventRow:
    """A new happening of a claim stored before it (a later approval, a second death): an event
    a run started that is not its claim's first, with its first report and the claim's
    previous event."""

    event_id: int
    development_id: int
    institution: str | None
    therapy: str
    indication: str
    stage: str
    occurrence: int
    reported_on: date  # the first report's date, or the day it was read (dated False)
    dated: bool
    patients: int | None
    outcome: str | None
    source: str
    outlet: str | None
    title: str | None
    url: str | None
    evidence: str
    previous: str  # when the claim's previous event was first reported ("2017-08-31", "undated")

    @property
    def reported(self) -> str:
        return (
            self.reported_on.isoformat() if self.dated else f"undated (read {self.reported_on.isoformat()})"
        )


def describe_events(engine: Engine, event_ids: Sequence[int]) -> list[NewEventRow]:
    """The given events (those a run started) that are not their claim's first event, each
    with its first report (a dated one if any); dated first, newest first."""
    ids = list(dict.fromkeys(event_ids))
    out: list[NewEventRow] = []
    with Session(engine) as session:
        for i in range(0, len(ids), 500):
            rows = session.execute(
                text(
                    "SELECT e.id, e.claim_id, e.occurrence, t.development_id, t.institution, t.therapy, "
                    "t.indication, t.stage, t.reported_on, t.dated, t.patients, t.outcome, t.source, t.outlet, "
                    "t.title, t.url, t.evidence, t.mention_id "
                    "FROM events e JOIN claim_timeline t ON t.event_id = e.id WHERE e.id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids[i : i + 500]},
            ).all()
            first: dict[int, Any] = {}
            for r in rows:  # the event's first report: dated before undated, then the earliest
                rank = (not r.dated, str(r.reported_on), r.mention_id)
                if r.id not in first or rank < first[r.id][0]:
                    first[r.id] = (rank, r)
            claims = {r.claim_id for _, r in first.values()}
            earlier: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for event_id, claim_id, first_reported in session.execute(
                text("SELECT id, claim_id, first_reported FROM events WHERE claim_id IN :claims").bindparams(
                    bindparam("claims", expanding=True)
                ),
                {"claims": sorted(claims)},
            ).all():
                earlier[claim_id].append(
                    (event_id, str(first_reported)[:10] if first_reported else "undated")
                )
            for _, r in first.values():
                before = [(e, day) for e, day in sorted(earlier[r.claim_id]) if e < r.id]
                if not before:  # the claim's first event: the claim itself is new
                    continue
                out.append(
                    NewEventRow(
                        r.id, r.development_id, r.institution, r.therapy, r.indication, r.stage, r.occurrence,
                        _day(r.reported_on) or date.min, bool(r.dated), r.patients, r.outcome, r.source,
                        r.outlet, r.title, r.url, r.evidence or "", before[-1][1],
                    )
                )  # fmt: skip
    return sorted(out, key=lambda r: (r.dated, r.reported_on, r.event_id), reverse=True)
