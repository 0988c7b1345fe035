"""Tables.

sources      one row per configured source (name unique)
articles     one row per distinct article text (content_hash unique); duplicates point to
             the first copy through duplicate_of_id
developments one row per (institution_key, therapy, indication)
claims       one row per (institution_key, therapy, indication, stage), linked to its
             development; first_seen / last_seen are article dates
mentions     which article states which claim, with the evidence (claim_id, article_id unique)
failures     every input that could not be read, parsed or stored, with the reason
fetch_state  per-URL validators for conditional requests (ETag, Last-Modified)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs: object) -> object:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))  # type: ignore[arg-type]


class Source(SQLModel, table=True):
    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str
    location: str
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_url", "url"), Index("ix_articles_published", "published"))

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    url: str | None = None
    location: str | None = None  # the file path or URL it was read from
    external_id: str | None = None
    title: str | None = None
    published: date | None = None
    fetched_at: datetime = _ts(nullable=False)  # type: ignore[assignment]
    content_hash: str = Field(unique=True)
    language: str | None = None
    source_name: str | None = None  # the outlet named by the article itself
    text: str = Field(sa_column=Column(Text, nullable=False))
    duplicate_of_id: int | None = Field(default=None, foreign_key="articles.id")
    claim_count: int = 0


class Development(SQLModel, table=True):
    __tablename__ = "developments"
    __table_args__ = (UniqueConstraint("institution_key", "therapy", "indication"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_key: str
    institution: str | None = None
    therapy: str
    indication: str


class Claim(SQLModel, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("institution_key", "therapy", "indication", "stage"),
        Index("ix_claims_indication", "indication"),
        Index("ix_claims_first_seen", "first_seen"),
    )

    id: int | None = Field(default=None, primary_key=True)
    development_id: int = Field(foreign_key="developments.id", index=True)
    institution_key: str
    institution: str | None = None
    location: str | None = None
    therapy: str
    therapy_detail: str | None = None
    indication: str
    stage: str
    patients: int | None = None
    outcome: str | None = None
    first_seen: date
    last_seen: date
    mention_count: int = 0
    source_count: int = 0
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
    updated_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class Mention(SQLModel, table=True):
    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("claim_id", "article_id"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    seen_on: date  # the article's publication date, else the day it was read
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    patients: int | None = None
    outcome: str | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class Failure(SQLModel, table=True):
    __tablename__ = "failures"

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(index=True)
    location: str
    stage: str  # read, fetch, parse, extract, store
    reason: str
    occurred_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]


class FetchState(SQLModel, table=True):
    __tablename__ = "fetch_state"

    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    status: int | None = None
    checked_at: datetime = _ts(nullable=False, default=utcnow)  # type: ignore[assignment]
