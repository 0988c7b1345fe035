"""Fetch bookkeeping across runs: validators and body hashes per URL (conditional GET), the
queue of links to fetch again, and which article URLs are stored already."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from . import statements as sql
from .models import Article, FetchState, RetryItem, utcnow


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
                select(FetchState).where(col(FetchState.url).in_(wanted[i : i + 500]))
            ).scalars()
            for r in rows:
                out[r.url] = UrlState(r.url, r.etag, r.last_modified, r.content_hash, r.status)
    return out


def save_url_states(engine: Engine, states: Iterable[UrlState]) -> None:
    """Insert or update URL states (one transaction, one upsert for them all)."""
    now = utcnow()
    rows = {
        state.url: {
            "url": state.url,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "content_hash": state.content_hash,
            "status": state.status,
            "checked_at": now,
        }
        for state in states  # the last state of a URL listed twice wins
    }
    if not rows:
        return
    with Session(engine) as session, session.begin():
        session.execute(sql.UPSERT_URL_STATE, list(rows.values()))


@dataclass(frozen=True, slots=True)
class RetryLink:
    """An article link to fetch again: it failed transiently ``attempts`` times."""

    url: str
    listed_by: str | None = None
    published: date | None = None
    attempts: int = 0
    reason: str = ""


def queued_retries(engine: Engine, source_name: str, limit: int) -> list[RetryLink]:
    """The source's queued links, oldest failure first, at most ``limit``."""
    with Session(engine) as session:
        rows = session.execute(
            select(RetryItem)
            .where(col(RetryItem.source_name) == source_name)
            .order_by(col(RetryItem.first_failed_at), col(RetryItem.url))
            .limit(limit)
        ).scalars()
        return [RetryLink(r.url, r.listed_by, r.published, r.attempts, r.last_reason) for r in rows]


def update_retry_queue(
    engine: Engine,
    source_name: str,
    failed: Sequence[RetryLink],
    done: Iterable[str],
    max_attempts: int,
) -> list[RetryLink]:
    """Queue links that failed transiently (one attempt more each) and drop those that are
    ``done`` (fetched, unchanged, or failed for good). A link that has failed ``max_attempts``
    times leaves the queue; those are returned, with their attempts, for the run to report."""
    done = set(done)
    given_up: list[RetryLink] = []
    now = utcnow()
    with Session(engine) as session, session.begin():
        for url in done:
            row = session.get(RetryItem, url)
            if row is not None:
                session.delete(row)
        for link in failed:
            row = session.get(RetryItem, link.url)
            attempts = (row.attempts if row is not None else 0) + 1
            if attempts >= max_attempts:
                given_up.append(dataclasses.replace(link, attempts=attempts))
                if row is not None:
                    session.delete(row)
                continue
            if row is None:
                row = RetryItem(
                    url=link.url,
                    source_name=source_name,
                    listed_by=link.listed_by,
                    published=link.published,
                    last_reason="",
                    first_failed_at=now,
                )
                session.add(row)
            row.attempts = attempts
            row.last_reason = link.reason[:500]
            row.last_failed_at = now
    return given_up


def known_article_urls(engine: Engine, urls: Iterable[str]) -> set[str]:
    """Which of ``urls`` are stored as article URLs already."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    with Session(engine) as session:
        for i in range(0, len(wanted), 500):
            found.update(
                session.execute(
                    select(col(Article.url)).where(col(Article.url).in_(wanted[i : i + 500]))
                ).scalars()
            )
    return found
