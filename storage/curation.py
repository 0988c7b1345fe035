"""An analyst's corrections of development identity, kept across re-runs and logged.

    merge_developments(engine, 12, into=7)     # development 12's reports are development 7's
    split_mention(engine, 431)                 # mention 431's report is a development of its own

A merge moves every claim, mention, event, key and party of one development into the other and
removes the first: its keys now name the other, so later reports that would have joined the
first join the other. A split moves one report (a mention) into a new development with the
same therapy and condition, and gives that development a key of the report's article and
condition ("split:<article id>|<condition>"), looked up before any other key, so the article
read again (a changed page) keeps its report apart. Each correction is a row of
``development_overrides``; claim counters and the monthly counts are recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from . import statements as sql
from .identity import split_key
from .models import utcnow


class CurationError(ValueError):
    """A correction that cannot be made (an unknown development or mention, a development
    merged into itself)."""


@dataclass(frozen=True, slots=True)
class Corrected:
    action: str
    development_id: int  # the development that remains (merge) or was made (split)
    claims: int  # claims touched
    mentions: int  # mentions moved


def merge_developments(engine: Engine, development_id: int, into: int, note: str = "") -> Corrected:
    """Fold development ``development_id`` into ``into`` (see the module docstring)."""
    if development_id == into:
        raise CurationError("a development cannot be merged into itself")
    with Session(engine) as session, session.begin():
        _exists(session, development_id)
        _exists(session, into)
        target = {
            stage: claim_id
            for claim_id, stage in session.execute(
                text("SELECT id, stage FROM claims WHERE development_id = :d"), {"d": into}
            )
        }
        touched: set[int] = set(target.values())
        moved = 0
        for claim_id, stage in session.execute(
            text("SELECT id, stage FROM claims WHERE development_id = :d"), {"d": development_id}
        ).all():
            if stage not in target:
                moved += session.execute(
                    text("SELECT COUNT(*) FROM mentions WHERE claim_id = :c"), {"c": claim_id}
                ).scalar_one()
                session.execute(
                    text("UPDATE claims SET development_id = :t WHERE id = :c"), {"t": into, "c": claim_id}
                )
                touched.add(claim_id)
                continue
            keep = target[stage]
            # A report of one article already under the kept claim is not moved twice.
            session.execute(
                text(
                    "DELETE FROM mentions WHERE claim_id = :c AND article_id IN "
                    "(SELECT article_id FROM mentions WHERE claim_id = :k)"
                ),
                {"c": claim_id, "k": keep},
            )
            moved += session.execute(
                text("SELECT COUNT(*) FROM mentions WHERE claim_id = :c"), {"c": claim_id}
            ).scalar_one()
            session.execute(
                text("UPDATE mentions SET claim_id = :k WHERE claim_id = :c"), {"k": keep, "c": claim_id}
            )
            session.execute(
                text("UPDATE events SET claim_id = :k WHERE claim_id = :c"), {"k": keep, "c": claim_id}
            )
            session.execute(text("DELETE FROM claim_months WHERE claim_id = :c"), {"c": claim_id})
            session.execute(text("DELETE FROM claims WHERE id = :c"), {"c": claim_id})
        session.execute(
            text("UPDATE development_keys SET development_id = :t WHERE development_id = :d"),
            {"t": into, "d": development_id},
        )
        session.execute(
            text(
                "INSERT INTO development_parties (development_id, institution_key, institution) "
                "SELECT :t, institution_key, institution FROM development_parties p WHERE p.development_id = :d "
                "AND NOT EXISTS (SELECT 1 FROM development_parties q WHERE q.development_id = :t "
                "AND q.institution_key = p.institution_key)"
            ),
            {"t": into, "d": development_id},
        )
        session.execute(
            text("DELETE FROM development_parties WHERE development_id = :d"), {"d": development_id}
        )
        _log(session, "merge", into, development_id, None, note)
        session.execute(text("DELETE FROM developments WHERE id = :d"), {"d": development_id})
        _refresh(session, touched)
        return Corrected("merge", into, len(touched), moved)


def split_mention(engine: Engine, mention_id: int, note: str = "") -> Corrected:
    """Move one report into a development of its own (see the module docstring)."""
    with Session(engine) as session, session.begin():
        row = session.execute(
            text(
                "SELECT m.claim_id, m.article_id, c.development_id, c.stage, c.therapy, c.indication, "
                "c.institution, c.institution_key, d.product FROM mentions m JOIN claims c ON c.id = m.claim_id "
                "JOIN developments d ON d.id = c.development_id WHERE m.id = :m"
            ),
            {"m": mention_id},
        ).first()
        if row is None:
            raise CurationError(f"no mention {mention_id}")
        old_claim, article_id, old_development, stage, therapy, indication, institution, key, product = row
        now = utcnow()
        new_key = split_key(article_id, indication)
        development_id = session.execute(
            sql.UPSERT_DEVELOPMENT,
            {
                "identity_key": new_key,
                "institution_key": key or "",
                "institution": institution,
                "therapy": therapy,
                "indication": indication,
                "product": product,
            },
        ).scalar_one()
        session.execute(
            sql.INSERT_DEVELOPMENT_KEY, [{"key": new_key, "development_id": development_id, "kind": "split"}]
        )
        claim_id = session.execute(
            text(
                "INSERT INTO claims (development_id, institution_key, institution, location, therapy, therapy_detail, "
                "indication, stage, patients, outcome, first_seen, last_seen, dated, mention_count, source_count, "
                "outlet_count, created_at, updated_at) SELECT :d, institution_key, institution, location, therapy, "
                "therapy_detail, indication, stage, patients, outcome, first_seen, last_seen, dated, 0, 0, 0, :now, :now "
                "FROM claims WHERE id = :c RETURNING id"
            ),
            {"d": development_id, "c": old_claim, "now": now},
        ).scalar_one()
        event_id = session.execute(
            text(
                "INSERT INTO events (claim_id, occurrence, first_reported, last_reported, created_at) "
                "SELECT :c, 1, CASE WHEN dated THEN seen_on END, CASE WHEN dated THEN seen_on END, :now "
                "FROM mentions WHERE id = :m RETURNING id"
            ),
            {"c": claim_id, "m": mention_id, "now": now},
        ).scalar_one()
        session.execute(
            text("UPDATE mentions SET claim_id = :c, event_id = :e, link_why = :why WHERE id = :m"),
            {
                "c": claim_id,
                "e": event_id,
                "m": mention_id,
                "why": f"development: split from {old_development} by hand",
            },
        )
        _log(session, "split", development_id, old_development, mention_id, note)
        _refresh(session, {old_claim, claim_id})
        return Corrected("split", development_id, 2, 1)


def _exists(session: Session, development_id: int) -> None:
    if (
        session.execute(text("SELECT 1 FROM developments WHERE id = :d"), {"d": development_id}).first()
        is None
    ):
        raise CurationError(f"no development {development_id}")


def _log(
    session: Session, action: str, development_id: int, other_id: int, mention_id: int | None, note: str
) -> None:
    session.execute(
        text(
            "INSERT INTO development_overrides (action, development_id, other_id, mention_id, note, created_at) "
            "VALUES (:a, :d, :o, :m, :n, :now)"
        ),
        {"a": action, "d": development_id, "o": other_id, "m": mention_id, "n": note, "now": utcnow()},
    )


def _refresh(session: Session, claims: set[int]) -> None:
    """Counters of the touched claims, then claims that lost every mention removed, then the
    monthly counts rebuilt from the mentions (a correction is rare: the rebuild is simple)."""
    if claims:
        session.execute(sql.REFRESH_CLAIMS, {"ids": sorted(claims), "now": utcnow()})
    empty = [
        c
        for (c,) in session.execute(
            text(
                "SELECT id FROM claims c WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.claim_id = c.id)"
            )
        )
    ]
    session.execute(  # events whose every report went elsewhere (a merge dropping a doubled report)
        text(
            "DELETE FROM events WHERE claim_id IN :ids AND NOT EXISTS "
            "(SELECT 1 FROM mentions m WHERE m.event_id = events.id)"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": sorted(claims) or [-1]},
    )
    for claim_id in empty:
        session.execute(text("DELETE FROM events WHERE claim_id = :c"), {"c": claim_id})
        session.execute(text("DELETE FROM claim_months WHERE claim_id = :c"), {"c": claim_id})
        session.execute(text("DELETE FROM claims WHERE id = :c"), {"c": claim_id})
    session.execute(text("DELETE FROM claim_months"))
    session.execute(
        text(
            "INSERT INTO claim_months (claim_id, month) SELECT DISTINCT claim_id, seen_month FROM mentions WHERE dated"
        )
    )
    session.execute(text("DELETE FROM monthly_counts"))
    columns = ("therapy", "indication", "stage")
    for column in columns:  # one row per month and value of each column, the others ""
        values = ", ".join(f"c.{c}" if c == column else "''" for c in columns)
        session.execute(
            text(
                f"INSERT INTO monthly_counts (month, {', '.join(columns)}, claims, mentions) "
                f"SELECT m.seen_month, {values}, COUNT(DISTINCT m.claim_id), COUNT(*) FROM mentions m "
                f"JOIN claims c ON c.id = m.claim_id WHERE m.dated GROUP BY m.seen_month, c.{column}"
            )
        )
