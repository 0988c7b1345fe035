"""Repeat-safe writes and the queries the CLI and flows need.

``store_article`` writes one article with its claims and mentions in one transaction, using
inserts that ignore rows already present on their unique keys, so running the same input
twice adds nothing and an interrupted run leaves no half-written article.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from parsers.fingerprint import content_hash, institution_key
from parsers.models import Claim as ExtractedClaim
from parsers.models import ParsedArticle

from .models import Article, Claim, Development, Failure, FetchState, Mention, Source, utcnow


@dataclass(frozen=True, slots=True)
class StoreResult:
    article_id: int
    article_new: bool
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    new_claim_ids: tuple[int, ...] = ()


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

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "institution": self.institution,
            "location": self.location,
            "therapy": self.therapy,
            "therapy_detail": self.therapy_detail,
            "indication": self.indication,
            "stage": self.stage,
            "patients": self.patients,
            "outcome": self.outcome,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "mentions": self.mention_count,
            "sources": self.source_count,
        }


def _insert_ignore(session: Session, model: type, values: dict, keys: Sequence[str]) -> bool:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    table = model.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - other backends: check first, then insert
        where = [getattr(model, k) == values[k] for k in keys]
        if session.exec(select(model).where(*where)).first() is not None:  # type: ignore[call-overload]
            return False
        session.add(model(**values))
        session.flush()
        return True
    result = session.execute(stmt)
    return bool(result.rowcount)


def ensure_source(session: Session, name: str, kind: str, location: str) -> int:
    """The id of the named source, created if needed."""
    _insert_ignore(
        session, Source, {"name": name, "kind": kind, "location": location, "created_at": utcnow()}, ["name"]
    )
    return session.execute(select(Source.id).where(Source.name == name)).scalar_one()


def store_article(
    engine: Engine,
    source_name: str,
    source_kind: str,
    source_location: str,
    article: ParsedArticle,
    claims: Iterable[ExtractedClaim],
    location: str | None = None,
) -> StoreResult:
    """Store one article and its claims; safe to repeat. Returns what was new."""
    digest = content_hash(article.text)
    claims = list(claims)
    with Session(engine) as session, session.begin():
        source_id = ensure_source(session, source_name, source_kind, source_location)
        inserted = _insert_ignore(
            session,
            Article,
            {
                "source_id": source_id,
                "url": article.url,
                "location": location,
                "external_id": article.external_id,
                "title": article.title,
                "published": article.published,
                "fetched_at": article.fetched_at,
                "content_hash": digest,
                "language": article.language,
                "source_name": article.source_name,
                "text": article.text,
                "claim_count": len(claims),
            },
            ["content_hash"],
        )
        article_id = session.execute(select(Article.id).where(Article.content_hash == digest)).scalar_one()
        if not inserted:
            return StoreResult(article_id=article_id, article_new=False)
        seen_on = article.published or article.fetched_at.date()
        updated = mentions = 0
        new_ids: list[int] = []
        for claim in claims:
            claim_id, claim_new, mention_new = _store_claim(session, claim, article_id, seen_on)
            if claim_new:
                new_ids.append(claim_id)
            updated += (not claim_new) and mention_new
            mentions += mention_new
        return StoreResult(article_id, True, len(new_ids), updated, mentions, tuple(new_ids))


def _store_claim(
    session: Session, claim: ExtractedClaim, article_id: int, seen_on: date
) -> tuple[int, bool, bool]:
    key = institution_key(claim.institution)
    _insert_ignore(
        session,
        Development,
        {
            "institution_key": key,
            "institution": claim.institution,
            "therapy": claim.therapy,
            "indication": claim.indication,
        },
        ["institution_key", "therapy", "indication"],
    )
    development_id = session.execute(
        select(Development.id).where(
            Development.institution_key == key,
            Development.therapy == claim.therapy,
            Development.indication == claim.indication,
        )
    ).scalar_one()
    now = utcnow()
    claim_new = _insert_ignore(
        session,
        Claim,
        {
            "development_id": development_id,
            "institution_key": key,
            "institution": claim.institution,
            "location": claim.location,
            "therapy": claim.therapy,
            "therapy_detail": claim.therapy_detail,
            "indication": claim.indication,
            "stage": claim.stage,
            "patients": claim.patients,
            "outcome": claim.outcome,
            "first_seen": seen_on,
            "last_seen": seen_on,
            "mention_count": 0,
            "source_count": 0,
            "created_at": now,
            "updated_at": now,
        },
        ["institution_key", "therapy", "indication", "stage"],
    )
    row = session.execute(
        select(Claim).where(
            Claim.institution_key == key,
            Claim.therapy == claim.therapy,
            Claim.indication == claim.indication,
            Claim.stage == claim.stage,
        )
    ).scalar_one()
    mention_new = _insert_ignore(
        session,
        Mention,
        {
            "claim_id": row.id,
            "article_id": article_id,
            "seen_on": seen_on,
            "evidence": claim.evidence,
            "patients": claim.patients,
            "outcome": claim.outcome,
            "created_at": now,
        },
        ["claim_id", "article_id"],
    )
    if mention_new:
        _refresh_claim(session, row.id, claim)
    return row.id, claim_new, mention_new


def _refresh_claim(session: Session, claim_id: int, claim: ExtractedClaim) -> None:
    """Recompute a claim's dates and counts from its mentions (exact after any interruption)."""
    stats = session.execute(
        select(
            func.min(Mention.seen_on),
            func.max(Mention.seen_on),
            func.count(Mention.id),
            func.count(func.distinct(Article.source_id)),
        )
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.claim_id == claim_id)
    ).one()
    values: dict[str, object] = {
        "first_seen": stats[0],
        "last_seen": stats[1],
        "mention_count": stats[2],
        "source_count": stats[3],
        "updated_at": utcnow(),
    }
    current = session.get(Claim, claim_id)
    if current is not None:
        if current.patients is None and claim.patients is not None:
            values["patients"] = claim.patients
        if current.outcome is None and claim.outcome is not None:
            values["outcome"] = claim.outcome
        if current.location is None and claim.location is not None:
            values["location"] = claim.location
    session.execute(update(Claim).where(Claim.id == claim_id).values(**values))


def record_failure(
    engine: Engine,
    source_name: str,
    location: str,
    stage: str,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    """Record one input that could not be processed."""
    with Session(engine) as session, session.begin():
        session.add(
            Failure(
                source_name=source_name,
                location=location,
                stage=stage,
                reason=reason[:2000],
                occurred_at=occurred_at or utcnow(),
            )
        )


def article_exists(engine: Engine, text: str) -> bool:
    digest = content_hash(text)
    with Session(engine) as session:
        return session.execute(select(Article.id).where(Article.content_hash == digest)).first() is not None


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
        stmt = stmt.where(Claim.last_seen >= since)
    if indication:
        stmt = stmt.where(func.lower(Claim.indication).contains(indication.lower()))
    if therapy:
        stmt = stmt.where(func.lower(Claim.therapy).contains(therapy.lower()))
    if stage:
        stmt = stmt.where(Claim.stage == stage)
    stmt = stmt.order_by(Claim.first_seen.desc(), Claim.id)  # type: ignore[attr-defined]
    with Session(engine) as session:
        rows = session.execute(stmt).scalars().all()
        return [
            ClaimRow(
                r.id,
                r.institution,
                r.location,
                r.therapy,
                r.therapy_detail,  # type: ignore[arg-type]
                r.indication,
                r.stage,
                r.patients,
                r.outcome,
                r.first_seen,
                r.last_seen,
                r.mention_count,
                r.source_count,
            )
            for r in rows
        ]


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of the main tables."""
    with Session(engine) as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()  # type: ignore[attr-defined]
            for model in (Source, Article, Development, Claim, Mention, Failure)
        }


@dataclass(frozen=True, slots=True)
class UrlState:
    """What the last run learnt about a URL: validators for a conditional request and the
    hash of the body it parsed."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    status: int | None = None


def get_url_states(engine: Engine, urls: Iterable[str]) -> dict[str, UrlState]:
    """Stored states of ``urls`` (those never seen are absent)."""
    wanted = list(dict.fromkeys(urls))
    out: dict[str, UrlState] = {}
    with Session(engine) as session:
        for i in range(0, len(wanted), 500):
            rows = session.execute(
                select(FetchState).where(FetchState.url.in_(wanted[i : i + 500]))
            ).scalars()  # type: ignore[attr-defined]
            for r in rows:
                out[r.url] = UrlState(r.url, r.etag, r.last_modified, r.content_hash, r.status)
    return out


def save_url_states(engine: Engine, states: Iterable[UrlState]) -> None:
    """Insert or update URL states (one transaction)."""
    now = utcnow()
    states = list(states)
    if not states:
        return
    with Session(engine) as session, session.begin():
        for state in states:
            values = {
                "etag": state.etag,
                "last_modified": state.last_modified,
                "content_hash": state.content_hash,
                "status": state.status,
                "checked_at": now,
            }
            if not _insert_ignore(session, FetchState, {"url": state.url, **values}, ["url"]):
                session.execute(update(FetchState).where(FetchState.url == state.url).values(**values))


def known_article_urls(engine: Engine, urls: Iterable[str]) -> set[str]:
    """Which of ``urls`` are stored as article URLs already."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    with Session(engine) as session:
        for i in range(0, len(wanted), 500):
            found.update(
                session.execute(
                    select(Article.url).where(Article.url.in_(wanted[i : i + 500]))  # type: ignore[union-attr]
                ).scalars()
            )
    return found
