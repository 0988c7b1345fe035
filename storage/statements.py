"""The write statements of the storing transaction, compiled once.

SQLite (>= 3.35) and PostgreSQL share ``INSERT ... ON CONFLICT ... DO UPDATE/NOTHING
... RETURNING``, so one text serves both; typed bind parameters convert dates and times.
Building these with the ORM per row cost ~0.3 ms of Python each, ten times the database's time.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Date, Integer, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from .models import UTCDateTime

_TS = UTCDateTime()

INSERT_ARTICLE = (
    text(
        "INSERT INTO articles (article_key, source_id, url, address, external_id, title, published, fetched_at, "
        "content_hash, language, source_name, outlet, date_source, text, claim_count) VALUES (:article_key, "
        ":source_id, :url, :address, :external_id, :title, :published, :fetched_at, :content_hash, :language, "
        ":source_name, :outlet, :date_source, :text, :claim_count) "
        "ON CONFLICT (article_key) DO NOTHING RETURNING id"
    )
    .bindparams(bindparam("published", type_=Date()), bindparam("fetched_at", type_=_TS))
    .columns(id=Integer)
)

UPDATE_ARTICLE = text(
    "UPDATE articles SET url = :url, address = :address, external_id = :external_id, title = :title, "
    "published = :published, fetched_at = :fetched_at, content_hash = :content_hash, language = :language, "
    "source_name = :source_name, outlet = :outlet, date_source = :date_source, text = :text, claim_count = :claim_count, duplicate_of_id = NULL, "
    "duplicate_kind = NULL, similarity = NULL WHERE id = :id"
).bindparams(bindparam("published", type_=Date()), bindparam("fetched_at", type_=_TS))

ARTICLE_BY_KEY = text("SELECT id, content_hash FROM articles WHERE article_key = :article_key")

SAME_TEXT = text(
    "SELECT id, duplicate_of_id FROM articles WHERE content_hash = :content_hash AND id <> :id ORDER BY id LIMIT 1"
)

BAND_MATCHES = text("SELECT article_id FROM article_bands WHERE bucket IN :buckets").bindparams(
    bindparam("buckets", expanding=True)
)

ARTICLE_TEXT = text("SELECT text, duplicate_of_id FROM articles WHERE id = :id")

MARK_DUPLICATE = text(
    "UPDATE articles SET duplicate_of_id = :original, duplicate_kind = :kind, similarity = :score WHERE id = :id"
)

DELETE_BANDS = text("DELETE FROM article_bands WHERE article_id = :id")

INSERT_BAND = text(
    "INSERT INTO article_bands (bucket, article_id, band) VALUES (:bucket, :article_id, :band)"
)

UPSERT_DEVELOPMENT = text(
    "INSERT INTO developments (identity_key, institution_key, institution, therapy, indication, product) "
    "VALUES (:identity_key, :institution_key, :institution, :therapy, :indication, :product) "
    "ON CONFLICT (identity_key) DO UPDATE SET identity_key = excluded.identity_key RETURNING id"
).columns(id=Integer)

DEVELOPMENTS_BY_KEY = text("SELECT key, development_id FROM development_keys WHERE key IN :keys").bindparams(
    bindparam("keys", expanding=True)
)

DEVELOPMENTS_LIKE_KEY = text(
    "SELECT DISTINCT development_id FROM development_keys WHERE kind = 'party' AND key LIKE :pattern ESCAPE '\\'"
)

DEVELOPMENTS_LIKE_PARENT_KEY = text(
    "SELECT DISTINCT development_id FROM development_keys WHERE kind = 'parent' AND key LIKE :pattern ESCAPE '\\'"
)

INSERT_DEVELOPMENT_KEY = text(
    "INSERT INTO development_keys (key, development_id, kind) VALUES (:key, :development_id, :kind) "
    "ON CONFLICT (key) DO NOTHING"
)

INSERT_DEVELOPMENT_PARTY = text(
    "INSERT INTO development_parties (development_id, institution_key, institution) "
    "VALUES (:development_id, :institution_key, :institution) ON CONFLICT (development_id, institution_key) DO NOTHING"
)

FILL_DEVELOPMENT_PRODUCT = text(
    "UPDATE developments SET product = :product WHERE id = :id AND product IS NULL"
)

CLAIMS_OF_ARTICLE = text(
    "SELECT DISTINCT c.id, c.development_id, c.therapy, c.indication, c.stage, c.institution_key "
    "FROM mentions m JOIN claims c ON c.id = m.claim_id WHERE m.article_id = :article_id ORDER BY c.id"
)

DEVELOPMENTS_OF_ARTICLE = text(
    "SELECT DISTINCT c.development_id, c.therapy, c.indication FROM mentions m "
    "JOIN claims c ON c.id = m.claim_id WHERE m.article_id = :article_id"
)

UPSERT_CLAIM = (
    text(
        "INSERT INTO claims (development_id, institution_key, institution, location, therapy, therapy_detail, "
        "indication, stage, patients, outcome, first_seen, last_seen, dated, mention_count, source_count, "
        "outlet_count, created_at, updated_at) VALUES (:development_id, :institution_key, :institution, :location, "
        ":therapy, :therapy_detail, :indication, :stage, :patients, :outcome, :seen_on, :seen_on, :dated, 0, 0, 0, "
        ":now, :now) "
        "ON CONFLICT (development_id, stage) DO UPDATE SET updated_at = excluded.updated_at "
        "RETURNING id, created_at"
    )
    .bindparams(bindparam("seen_on", type_=Date()), bindparam("now", type_=_TS))
    .columns(id=Integer, created_at=_TS)
)

INSERT_MENTION = (
    text(
        "INSERT INTO mentions (claim_id, article_id, seen_on, seen_month, dated, evidence, patients, outcome, "
        "created_at, event_id, link_why, report) VALUES (:claim_id, :article_id, :seen_on, :seen_month, :dated, "
        ":evidence, :patients, :outcome, :now, :event_id, :link_why, :report) "
        "ON CONFLICT (claim_id, article_id) DO NOTHING RETURNING id"
    )
    .bindparams(bindparam("seen_on", type_=Date()), bindparam("now", type_=_TS))
    .columns(id=Integer)
)

FILL_CLAIM = text(
    "UPDATE claims SET patients = COALESCE(patients, :patients), outcome = COALESCE(outcome, :outcome), "
    "location = COALESCE(location, :location) WHERE id = :id"
)

# First / last reported from the dated mentions; from the days undated ones were read only when
# no mention is dated (then dated is false): an undated report never moves a dated claim's dates.
REFRESH_CLAIMS = text(
    "UPDATE claims SET "
    "first_seen = COALESCE((SELECT MIN(m.seen_on) FROM mentions m WHERE m.claim_id = claims.id AND m.dated), "
    "(SELECT MIN(m.seen_on) FROM mentions m WHERE m.claim_id = claims.id)), "
    "last_seen = COALESCE((SELECT MAX(m.seen_on) FROM mentions m WHERE m.claim_id = claims.id AND m.dated), "
    "(SELECT MAX(m.seen_on) FROM mentions m WHERE m.claim_id = claims.id)), "
    "dated = EXISTS (SELECT 1 FROM mentions m WHERE m.claim_id = claims.id AND m.dated), "
    # The latest report that states them gives the claim's patients and outcome (each mention
    # keeps its own: disagreements stay visible).
    "patients = COALESCE((SELECT m.patients FROM mentions m WHERE m.claim_id = claims.id AND m.patients IS NOT NULL "
    "ORDER BY m.dated DESC, m.seen_on DESC, m.id DESC LIMIT 1), patients), "
    "outcome = COALESCE((SELECT m.outcome FROM mentions m WHERE m.claim_id = claims.id AND m.outcome IS NOT NULL "
    "ORDER BY m.dated DESC, m.seen_on DESC, m.id DESC LIMIT 1), outcome), "
    "mention_count = (SELECT COUNT(*) FROM mentions m WHERE m.claim_id = claims.id), "
    "source_count = (SELECT COUNT(DISTINCT a.source_id) FROM mentions m JOIN articles a ON a.id = m.article_id "
    "WHERE m.claim_id = claims.id), "
    "outlet_count = (SELECT COUNT(DISTINCT a.outlet) FROM mentions m JOIN articles a ON a.id = m.article_id "
    "WHERE m.claim_id = claims.id), updated_at = :now WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True), bindparam("now", type_=_TS))

INSERT_CLAIM_MONTH = text(
    "INSERT INTO claim_months (claim_id, month) VALUES (:claim_id, :month) "
    "ON CONFLICT (claim_id, month) DO NOTHING RETURNING claim_id"
).columns(claim_id=Integer)

ADD_MONTHLY = text(
    "INSERT INTO monthly_counts (month, therapy, indication, stage, claims, mentions) "
    "VALUES (:month, :therapy, :indication, :stage, :claims, :mentions) "
    "ON CONFLICT (month, therapy, indication, stage) DO UPDATE SET "
    "claims = monthly_counts.claims + excluded.claims, mentions = monthly_counts.mentions + excluded.mentions"
)

UPSERT_URL_STATE = text(
    "INSERT INTO fetch_state (url, etag, last_modified, content_hash, status, checked_at) "
    "VALUES (:url, :etag, :last_modified, :content_hash, :status, :checked_at) "
    "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
    "content_hash = excluded.content_hash, status = excluded.status, checked_at = excluded.checked_at"
).bindparams(bindparam("checked_at", type_=_TS))


def insert_ignore(session: Session, model: type, values: dict, keys: Sequence[str]) -> bool:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    table = model.__table__  # type: ignore[attr-defined]  # every SQLModel table class has one
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - other backends: check first, then insert
        where = [getattr(model, k) == values[k] for k in keys]
        if session.execute(select(model).where(*where)).first() is not None:
            return False
        session.add(model(**values))
        session.flush()
        return True
    # RETURNING tells reliably whether a row went in (rowcount is not reliable with every driver).
    first_key = table.c[keys[0]]
    return session.execute(stmt.returning(first_key)).first() is not None
