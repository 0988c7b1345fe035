"""Which news event a new mention reports. A development's claim at one stage can be reported
for several happenings (a first and a second death; a 2017 primate study and a 2025 trial of
one team's cells); analysts count and date those apart, so each mention joins one event:

- a copy of an earlier article joins the event of the original's report of the same claim;
- else an event of the same claim that numbers the same occurrence ("a second patient has
  died" -> 2, else 1; ``parsers.occurrence``) and, for a dated report, whose dated reports and
  this one lie within ``EVENT_WINDOW_DAYS`` (an event none of whose reports is dated fits any
  date); the nearest one, dated events before undated ones;
- an undated report joins the latest such event (undated events count as the latest), and so
  does a *background* report: one whose article reports a later stage of the same development
  (an approval story recalls the trial that led to it; that is no new trial news);
- else a new event.

Claims are locked by their upsert until the transaction ends (PostgreSQL) or writes are
serialised (SQLite), so two runs never make two events for one happening at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Date, Integer, bindparam, text
from sqlmodel import Session

from parsers.linkage import LinkModel, Report
from parsers.models import stage_order
from parsers.occurrence import stated_occurrence

from .linking import best_event_match
from .models import UTCDateTime, utcnow

EVENT_WINDOW_DAYS = 30
"""Reports of one happening fall within this many days of each other: outlets report news
within days, follow-ups within weeks; a report months later at the same stage is news of its own."""

_EVENTS_OF_CLAIM = text(
    "SELECT id, first_reported, last_reported FROM events WHERE claim_id = :claim_id AND occurrence = :occurrence"
).columns(id=Integer, first_reported=Date, last_reported=Date)
_EVENT_OF_ORIGINAL = text(
    "SELECT event_id FROM mentions WHERE claim_id = :claim_id AND article_id = :article_id"
).columns(event_id=Integer)
_INSERT_EVENT = (
    text(
        "INSERT INTO events (claim_id, occurrence, first_reported, last_reported, created_at) "
        "VALUES (:claim_id, :occurrence, :published, :published, :now) RETURNING id"
    )
    .bindparams(bindparam("published", type_=Date()), bindparam("now", type_=UTCDateTime()))
    .columns(id=Integer)
)
_WIDEN_EVENT = text(
    "UPDATE events SET "
    "first_reported = CASE WHEN first_reported IS NULL OR first_reported > :published THEN :published "
    "ELSE first_reported END, "
    "last_reported = CASE WHEN last_reported IS NULL OR last_reported < :published THEN :published "
    "ELSE last_reported END WHERE id = :id"
).bindparams(bindparam("published", type_=Date()))
_SET_EVENT = text("UPDATE mentions SET event_id = :event_id WHERE id = :mention_id")
_MENTIONS_WITHOUT_EVENT = text(
    "SELECT m.id, m.claim_id, m.article_id, m.seen_on, m.dated, m.evidence, a.duplicate_of_id, "
    "c.development_id, c.stage FROM mentions m JOIN articles a ON a.id = m.article_id "
    "JOIN claims c ON c.id = m.claim_id WHERE m.event_id IS NULL ORDER BY m.id"
).columns(seen_on=Date)


@dataclass(frozen=True, slots=True)
class EventChoice:
    """Where a report goes: an existing event (``event_id``; ``widen`` when its date lies
    outside the event's dates), or a new one of ``occurrence`` (``event_id`` None); and why."""

    event_id: int | None
    occurrence: int
    widen: bool = False
    why: str = ""
    none: bool = False  # a background report (a later stage's story recalling this one): no event


def choose_event(
    session: Session | Connection,
    *,
    claim_id: int,
    published: date | None,
    evidence: str,
    original_id: int | None,
    background: bool = False,
    linked: Report | None = None,
    model: LinkModel | None = None,
    article_id: int | None = None,
) -> EventChoice:
    """The event a report of a claim joins (see the module docstring), read only: nothing is
    written until the report's mention is known to be new (``settle_event``). Given the
    report (``linked``) and a linkage model, an event of the claim (of the same occurrence)
    is joined when one of its reports matches this one at least the model's event threshold,
    instead of by dates alone."""
    occurrence = stated_occurrence(evidence) or 1
    if original_id is not None:
        event_id = session.execute(
            _EVENT_OF_ORIGINAL, {"claim_id": claim_id, "article_id": original_id}
        ).scalar_one_or_none()
        if event_id is not None:
            return EventChoice(
                event_id, occurrence, widen=published is not None, why="event: the original's (a copy)"
            )
    events = session.execute(_EVENTS_OF_CLAIM, {"claim_id": claim_id, "occurrence": occurrence}).all()
    found = [(e.id, e.first_reported, e.last_reported) for e in events]
    if linked is not None and model is not None and isinstance(session, Session):
        if background:
            # An approval story recalling the trial reports no trial happening: the mention
            # stays with its claim, in no event (joining "the latest" merged other happenings).
            return EventChoice(
                None, occurrence, why="event: none (a later stage's story recalls it)", none=True
            )
        match = best_event_match(session, linked, article_id or -1, [e.id for e in events], model)
        if match is None or match.p < model.event_threshold or match.event_id is None:
            best = f"best p={match.p:.2f}" if match else "none to compare"
            return EventChoice(
                None, occurrence, why=f"event: new happening ({best}, threshold {model.event_threshold})"
            )
        event_id = match.event_id
        why = f"event: p={match.p:.2f} >= {model.event_threshold} against mention {match.mention_id} ({match.why})"
    else:
        event_id = matching_event(found, None if background else published)
        why = "event: a report of a later stage joins the latest" if background else "event: by its dates"
    if event_id is None:
        return EventChoice(None, occurrence, why="event: new happening")
    first, last = next((f, la) for i, f, la in found if i == event_id)
    widen = published is not None and (first is None or last is None or not first <= published <= last)
    return EventChoice(event_id, occurrence, widen, why)


def settle_event(
    session: Session | Connection,
    choice: EventChoice,
    *,
    mention_id: int,
    claim_id: int,
    published: date | None,
    mention_has_event: bool,
) -> tuple[int | None, bool]:
    """Write a new mention's choice: start the new event, or widen the chosen one's dates; set
    the mention's event_id unless it was inserted with it. Returns (event id, started)."""
    if choice.none:
        return None, False
    event_id, created = choice.event_id, False
    if event_id is None:
        event_id, created = start_event(session, claim_id, published, choice.occurrence), True
    elif choice.widen:
        session.execute(_WIDEN_EVENT, {"id": event_id, "published": published})
    if created or not mention_has_event:
        session.execute(_SET_EVENT, {"event_id": event_id, "mention_id": mention_id})
    return event_id, created


def assign_event(
    session: Session | Connection,
    *,
    mention_id: int,
    claim_id: int,
    published: date | None,
    evidence: str,
    original_id: int | None,
    background: bool = False,
) -> tuple[int | None, bool]:
    """Put a stored mention without an event into its event; returns the event's id and
    whether this mention started it."""
    choice = choose_event(
        session,
        claim_id=claim_id,
        published=published,
        evidence=evidence,
        original_id=original_id,
        background=background,
    )
    return settle_event(
        session,
        choice,
        mention_id=mention_id,
        claim_id=claim_id,
        published=published,
        mention_has_event=False,
    )


def start_event(session: Session | Connection, claim_id: int, published: date | None, occurrence: int) -> int:
    """A new event of a claim (its first report dated ``published``, or undated); its id."""
    return session.execute(
        _INSERT_EVENT,
        {"claim_id": claim_id, "occurrence": occurrence, "published": published, "now": utcnow()},
    ).scalar_one()


def matching_event(events: list[tuple[int, date | None, date | None]], published: date | None) -> int | None:
    """The event (id, first reported, last reported) a report dated ``published`` joins, if any."""
    undated = [e for e in events if e[1] is None or e[2] is None]
    if published is None:
        if undated:
            return max(e[0] for e in undated)
        return max(events, key=lambda e: (e[2], e[0]))[0] if events else None
    window = timedelta(days=EVENT_WINDOW_DAYS)
    fitting = [
        (_distance(published, first, last), event_id)
        for event_id, first, last in events
        if first is not None and last is not None and max(last, published) - min(first, published) <= window
    ]
    if fitting:
        return min(fitting)[1]
    return max(e[0] for e in undated) if undated else None


def _distance(day: date, first: date, last: date) -> timedelta:
    if first <= day <= last:
        return timedelta(0)
    return min(abs(day - first), abs(day - last))


def assign_missing_events(connection: Connection | Session) -> int:
    """Give every mention without an event its event, in the order the mentions were stored
    (used by the migration that added events); returns how many were assigned."""
    rows: list[Any] = list(connection.execute(_MENTIONS_WITHOUT_EVENT).all())
    highest: dict[tuple[int, int], int] = {}  # (article, development) -> its highest stage's order
    for row in rows:
        key = (row.article_id, row.development_id)
        highest[key] = max(highest.get(key, -1), stage_order(row.stage))
    for row in rows:
        assign_event(
            connection,
            mention_id=row.id,
            claim_id=row.claim_id,
            published=row.seen_on if row.dated else None,
            evidence=row.evidence,
            original_id=row.duplicate_of_id,
            background=stage_order(row.stage) < highest[(row.article_id, row.development_id)],
        )
    return len(rows)
