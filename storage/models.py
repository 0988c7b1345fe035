"""Tables (the schema itself is created and changed by the Alembic migrations in
``storage/migrations``; these models must match them, which a test checks).

    sources              one row per configured source (name unique)
    articles             one row per article (article_key unique: its canonical URL, else its
                         text hash); copies point to the first through duplicate_of_id
    article_bands        LSH band keys of each article's MinHash, for near-duplicate lookup
    institution_aliases  alias key -> canonical institution (built-in and user-supplied)
    developments         one row per development (a party, product or registered trial applying a
                         therapy to a condition); identity_key unique
    development_keys     every key that resolves to a development (registry ids, products,
                         parties, or the article for an unnamed party)
    development_parties  every named party of a development
    claims               one row per (development, stage): the development's stage history;
                         first_seen / last_seen = first / last reported (article dates)
    events               the news events of a claim: reports of one development at one stage
                         that are about one happening (dated within EVENT_WINDOW_DAYS of each
                         other, or copies of one article, and numbering the same occurrence:
                         "a second death" is another event than the first)
    mentions             which article states which claim, with the evidence ((claim_id,
                         article_id) unique) and the event it reports
    claim_months         (claim, month) pairs with at least one mention
    monthly_counts       mentions and claims per month by therapy, by indication and by stage,
                         kept up to date in the same transaction as the mentions (claims_by_month)
    failures             every input that could not be read, fetched, parsed or stored
    fetch_state          per-URL validators for conditional requests and the last body hash
    conditions           the condition vocabulary with ICD-10 codes, parents and groups
    retry_queue          article links whose fetch failed transiently, fetched again by later
                         runs even while their feed answers 304 (attempts capped)
    development_overrides an analyst's merges and splits of developments (storage.curation)

therapy, stage and outcome columns hold values of ``parsers.models`` Therapy, Stage and
Outcome only (CHECK constraints ck_<table>_<column>).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from parsers.models import Outcome, Stage, Therapy


def one_of(column: str, values: type[StrEnum], name: str) -> CheckConstraint:
    """A CHECK that ``column`` holds one of the vocabulary's values (or NULL)."""
    listed = ", ".join("'" + v.value.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs: Any) -> Any:
    """A UTC timestamp column (typed Any: the model attribute is a datetime, the Field is not)."""
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class Source(SQLModel, table=True):
    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    kind: str
    address: str  # a file or folder, or a URL
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("article_key", name="uq_articles_article_key"),
        Index("ix_articles_url", "url"),
        Index("ix_articles_published", "published"),
        Index("ix_articles_content_hash", "content_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_key: str  # "url:<canonical URL>" or "text:<content hash>"
    source_id: int = Field(foreign_key="sources.id", index=True)
    url: str | None = None
    address: str | None = None  # the file path or URL it was read from
    external_id: str | None = None
    title: str | None = None
    published: date | None = None
    fetched_at: datetime = _ts(nullable=False)
    content_hash: str
    language: str | None = None
    source_name: str | None = None  # the outlet named by the article itself
    # How ``published`` was obtained: "page" (the page or file states it), "feed" (its feed or
    # sitemap did), "fetched" (no date found: published is NULL, and its mentions are undated)
    date_source: str = "fetched"
    outlet: str | None = None  # who published it: the URL's site, else the name it gives, else the source
    text: str = Field(sa_column=Column(Text, nullable=False))
    duplicate_of_id: int | None = Field(default=None, foreign_key="articles.id")
    duplicate_kind: str | None = None  # "exact", "near" or "contained"
    similarity: float | None = None  # Jaccard resemblance (near) or containment (contained)
    claim_count: int = 0


class ArticleBand(SQLModel, table=True):
    __tablename__ = "article_bands"
    __table_args__ = (Index("ix_article_bands_article_id", "article_id"),)

    # The bucket key already includes the band number (see parsers.pages.fingerprint), so a lookup
    # needs only "bucket IN (...)" on the primary key.
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("articles.id"), primary_key=True, autoincrement=False)
    )
    band: int = Field(sa_column=Column(Integer, nullable=False))


class InstitutionAlias(SQLModel, table=True):
    __tablename__ = "institution_aliases"

    alias_key: str = Field(primary_key=True)
    canonical_key: str
    canonical_name: str
    origin: str = "builtin"  # builtin, the aliases file it came from, or "acronym" (an article defined it)


class DevelopmentRecord(SQLModel, table=True):
    """One development: a party (or a product, or a registered trial) applying a therapy to a
    condition; its stages over time are its claims. ``identity_key`` is the strongest key it
    was created under; every key that resolves to it is in ``development_keys``. The other
    columns describe it as first reported."""

    __tablename__ = "developments"
    __table_args__ = (
        UniqueConstraint("identity_key", name="uq_developments_identity_key"),
        one_of("therapy", Therapy, "ck_developments_therapy"),
        Index("ix_developments_indication", "indication"),
    )

    id: int | None = Field(default=None, primary_key=True)
    identity_key: str
    institution_key: str
    institution: str | None = None
    therapy: str
    indication: str
    product: str | None = None


class DevelopmentKey(SQLModel, table=True):
    """A key that identifies a development: "registry:<id>|<condition>",
    "product:<product>|<condition>", "party:<institution key>|<therapy family>|<condition>",
    or "article:<article id>|<therapy>|<condition>" (an unnamed party: never shared)."""

    __tablename__ = "development_keys"

    key: str = Field(primary_key=True)
    development_id: int = Field(foreign_key="developments.id", index=True)
    kind: str  # registry, product, party, article


class DevelopmentParty(SQLModel, table=True):
    """Every named party of a development (institutions, companies), not just the first."""

    __tablename__ = "development_parties"

    development_id: int = Field(foreign_key="developments.id", primary_key=True)
    institution_key: str = Field(primary_key=True)
    institution: str


class ClaimRecord(SQLModel, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("development_id", "stage", name="uq_claims_development_stage"),
        one_of("therapy", Therapy, "ck_claims_therapy"),
        one_of("stage", Stage, "ck_claims_stage"),
        one_of("outcome", Outcome, "ck_claims_outcome"),
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
    # First / last reported: the earliest / latest publication date among the dated mentions.
    # A claim only undated articles report has the days they were read instead, and dated False.
    first_seen: date
    last_seen: date
    dated: bool = True
    mention_count: int = 0
    source_count: int = 0  # configured sources that reported it
    outlet_count: int = 0  # distinct outlets (articles.outlet) that reported it
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class Event(SQLModel, table=True):
    """One news event of a claim (see ``storage.events``): its reports share development, stage
    and stated occurrence, and their dates lie within the event window."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    occurrence: int = 1  # the ordinal its reports give it ("a second death" -> 2), else 1
    first_reported: date | None = None  # from dated reports only; None when none is dated
    last_reported: date | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Mention(SQLModel, table=True):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("claim_id", "article_id", name="uq_mentions_key"),
        one_of("outcome", Outcome, "ck_mentions_outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    seen_on: date  # the article's publication date, else the day it was read
    dated: bool = True  # False when the article states no date (seen_on is the day it was read)
    seen_month: str = Field(sa_column=Column(String(7), nullable=False))  # YYYY-MM of seen_on
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    patients: int | None = None
    outcome: str | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)
    # Why the report joined its development and its event (keys, or the linkage score and its
    # strongest signals; storage.linking), for an analyst auditing a merge.
    link_why: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What this report said of its development's identity (JSON: parties' keys, place, product,
    # registry ids), so that later reports are compared with it, not with its development's
    # accumulated names.
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ClaimMonth(SQLModel, table=True):
    __tablename__ = "claim_months"

    claim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("claims.id"), primary_key=True, autoincrement=False)
    )
    month: str = Field(sa_column=Column(String(7), primary_key=True))


class MonthlyCount(SQLModel, table=True):
    """Claims and mentions per month, by therapy, by indication and by stage: in each row one
    of therapy / indication / stage is set and the other two are "" (grouping sets)."""

    __tablename__ = "monthly_counts"

    month: str = Field(sa_column=Column(String(7), primary_key=True))
    therapy: str = Field(primary_key=True)
    indication: str = Field(primary_key=True)
    stage: str = Field(primary_key=True)
    claims: int = 0
    mentions: int = 0


class Failure(SQLModel, table=True):
    __tablename__ = "failures"

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(index=True)
    address: str  # the file path or URL
    stage: str  # sources, read, url, fetch, robots, retry, parse, extract, store
    reason: str
    occurred_at: datetime = _ts(nullable=False, default=utcnow)


class FetchState(SQLModel, table=True):
    __tablename__ = "fetch_state"

    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    status: int | None = None
    checked_at: datetime = _ts(nullable=False, default=utcnow)


class LlmAnswer(SQLModel, table=True):
    """A language model's answer for one article text, kept so that a re-run or a copy of the
    article costs no request: keyed by the text's content hash, the model and the prompt
    version (``parsers.claims.llm.PROMPT_VERSION``). The answer's content is kept as the model
    gave it and checked again each time it is used."""

    __tablename__ = "llm_answers"

    content_hash: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    prompt_version: str = Field(primary_key=True)
    content: str
    tokens: int = 0
    created_at: datetime = _ts(nullable=False, default=utcnow)


class DevelopmentOverride(SQLModel, table=True):
    """An analyst's correction of development identity (``storage.curation``): "merge" (
    ``other_id`` folded into ``development_id``) or "split" (mention ``mention_id`` moved from
    ``other_id`` into the new ``development_id``)."""

    __tablename__ = "development_overrides"

    id: int | None = Field(default=None, primary_key=True)
    action: str  # merge, split
    development_id: int
    other_id: int
    mention_id: int | None = None
    note: str = ""
    created_at: datetime = _ts(nullable=False, default=utcnow)


class RetryItem(SQLModel, table=True):
    __tablename__ = "retry_queue"

    url: str = Field(primary_key=True)
    source_name: str = Field(index=True)
    listed_by: str | None = None
    published: date | None = None
    attempts: int = 1
    last_reason: str
    first_failed_at: datetime = _ts(nullable=False, default=utcnow)
    last_failed_at: datetime = _ts(nullable=False, default=utcnow)


class Condition(SQLModel, table=True):
    """The condition vocabulary (parsers/data/conditions.csv), loaded at every run, so that SQL
    can ask for a group: indication_group = 'diabetes' finds type 1 and type 2 diabetes."""

    __tablename__ = "conditions"

    name: str = Field(primary_key=True)
    category: str  # oncology, oncology-heme, neuro, metabolic, ...
    icd10: str | None = None
    parent: str | None = None  # the narrowest group naming it ("B-cell lymphoma")
    group_name: str  # the widest ("lymphoma"); its own name when in no group
