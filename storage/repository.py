"""Repeat-safe writes and the queries the CLI and flows need.

``store_article`` writes one article with its claims and mentions in one transaction, using
inserts that ignore rows already present on their unique keys, so running the same input
twice adds nothing and an interrupted run leaves no half-written article.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from parsers.fingerprint import (
    NEAR_DUPLICATE_CONTAINMENT,
    NEAR_DUPLICATE_JACCARD,
    Fingerprint,
    fingerprint,
    institution_base_key,
    institution_key,
    resemblance,
)
from parsers.models import Claim as ExtractedClaim
from parsers.models import ParsedArticle, stage_order
from parsers.urls import site_of
from parsers.vocab import ConditionInfo

from . import statements as sql
from .identity import (
    child_patterns,
    condition_key,
    family,
    identity_keys,
    parent_institution_keys,
    party_key,
)
from .models import (
    Article,
    Claim,
    Condition,
    Development,
    Failure,
    FetchState,
    InstitutionAlias,
    Mention,
    RetryItem,
    Source,
    utcnow,
)

_MAX_CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class StoreResult:
    article_id: int
    article_new: bool
    claims_new: int = 0
    claims_updated: int = 0
    mentions_new: int = 0
    new_claim_ids: tuple[int, ...] = ()
    duplicate_of: int | None = None


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
            "dated": self.dated,
            "mentions": self.mention_count,
            "sources": self.source_count,
        }

    @property
    def reported(self) -> str:
        """First reported, as people should read it: a date, or "undated (read ...)"."""
        return self.first_seen.isoformat() if self.dated else f"undated (read {self.first_seen.isoformat()})"


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
    # RETURNING tells reliably whether a row went in (rowcount is not reliable with every driver).
    first_key = table.c[keys[0]]
    return session.execute(stmt.returning(first_key)).first() is not None


def ensure_source(session: Session, name: str, kind: str, location: str) -> int:
    """The id of the named source, created if needed."""
    _insert_ignore(
        session, Source, {"name": name, "kind": kind, "location": location, "created_at": utcnow()}, ["name"]
    )
    return session.execute(select(Source.id).where(Source.name == name)).scalar_one()


def article_key(article: ParsedArticle, digest: str) -> str:
    """An article's identity: its canonical URL, else (local files without one) its text."""
    return f"url:{article.url}" if article.url else f"text:{digest}"


def _find_original(
    session: Session, article_id: int, text: str, fp: Fingerprint
) -> tuple[int, str, float] | None:
    """The earlier article this one copies: same text hash ("exact"), else the most similar
    article that shares an LSH band and passes the exact Jaccard check ("near"), else one that
    holds most of this one or is mostly held in it ("contained": a cut or extended wire copy).
    Returns (original id, kind, score: Jaccard, or containment for "contained")."""
    same = session.execute(sql.SAME_TEXT, {"content_hash": fp.content_hash, "id": article_id}).first()
    if same is not None:
        return (same[1] or same[0], "exact", 1.0)
    if not fp.bands:
        return None
    # Plain rows, counted here: a GROUP BY tempts SQLite to walk the article_id index instead
    # of looking the buckets up, which made the cost grow with the table.
    shared = Counter(session.execute(sql.BAND_MATCHES, {"buckets": list(fp.bands)}).scalars())
    shared.pop(article_id, None)
    candidates = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:_MAX_CANDIDATES]
    best: tuple[int, str, float] | None = None
    contained: tuple[int, str, float] | None = None
    for candidate_id, _shared in candidates:
        row = session.execute(sql.ARTICLE_TEXT, {"id": candidate_id}).first()
        if row is None:
            continue
        score, inside = resemblance(text, row[0])
        if score >= NEAR_DUPLICATE_JACCARD and (best is None or score > best[2]):
            best = (row[1] or candidate_id, "near", round(score, 4))
        elif inside >= NEAR_DUPLICATE_CONTAINMENT and (contained is None or inside > contained[2]):
            contained = (row[1] or candidate_id, "contained", round(inside, 4))
    return best or contained


@dataclass(frozen=True, slots=True)
class ArticleToStore:
    """One article of a batch: its claims, where it was read from, and its fingerprint."""

    article: ParsedArticle
    claims: tuple[ExtractedClaim, ...] = ()
    location: str | None = None
    fp: Fingerprint | None = None


def store_article(
    engine: Engine,
    source_name: str,
    source_kind: str,
    source_location: str,
    article: ParsedArticle,
    claims: Iterable[ExtractedClaim],
    location: str | None = None,
    fp: Fingerprint | None = None,
) -> StoreResult:
    """Store one article and its claims in one transaction; safe to repeat (see ``store_articles``)."""
    item = ArticleToStore(article, tuple(claims), location, fp)
    return store_articles(engine, source_name, source_kind, source_location, [item])[0]


def store_articles(
    engine: Engine, source_name: str, source_kind: str, source_location: str, items: Sequence[ArticleToStore]
) -> list[StoreResult]:
    """Store a batch of articles with their claims, mentions and counters in one transaction
    (all or nothing); safe to repeat.

    An article already stored under the same key with the same text adds nothing. A changed
    text under the same key updates the article and adds what it newly states. A copy of an
    earlier article (identical text, or a near-duplicate) is stored pointing to the original,
    and its claims count as further mentions.
    """
    if not items:
        return []
    with Session(engine) as session, session.begin():
        writer = _Writer(session, source_name)
        source_id = ensure_source(session, source_name, source_kind, source_location)
        results = [writer.article(source_id, item) for item in items]
        writer.finish()
        return results


class _Writer:
    """The statements of one storing transaction. Aliases are read once; claim counters and
    monthly counts are brought up to date once per transaction (``finish``), for every claim it
    touched — still inside the transaction, so they never disagree with the mentions."""

    def __init__(self, session: Session, source_name: str = "") -> None:
        self.session = session
        self.source_name = source_name
        self.aliases = dict(
            session.execute(select(InstitutionAlias.alias_key, InstitutionAlias.canonical_key)).all()
        )
        self.now = utcnow()
        self.created: set[int] = set()  # claims created in this transaction
        self.touched: set[int] = set()  # claims that got a mention
        self.months: list[tuple[int, str, ExtractedClaim]] = []  # (claim, month) of new dated mentions
        self.dated = True  # whether the article being stored states its date

    def article(self, source_id: int, item: ArticleToStore) -> StoreResult:
        session, article = self.session, item.article
        fp = item.fp or fingerprint(article.text)
        key = article_key(article, fp.content_hash)
        values = {
            "url": article.url,
            "location": item.location,
            "external_id": article.external_id,
            "title": article.title,
            "published": article.published,
            "fetched_at": article.fetched_at,
            "content_hash": fp.content_hash,
            "language": article.language,
            "source_name": article.source_name,
            "outlet": site_of(article.url) or article.source_name or self.source_name,
            "date_source": (article.date_source or "page") if article.published else "fetched",
            "text": article.text,
            "claim_count": len(item.claims),
        }
        article_id = session.execute(
            sql.INSERT_ARTICLE, {"article_key": key, "source_id": source_id, **values}
        ).scalar_one_or_none()
        if article_id is None:
            row = session.execute(sql.ARTICLE_BY_KEY, {"article_key": key}).one()
            article_id = row[0]
            if row[1] == fp.content_hash:
                return StoreResult(article_id=article_id, article_new=False)
            # The page changed since it was stored: keep the row, take the new text.
            session.execute(sql.UPDATE_ARTICLE, {"id": article_id, **values})
            session.execute(sql.DELETE_BANDS, {"id": article_id})
        original = _find_original(session, article_id, article.text, fp)
        if original is not None:
            session.execute(
                sql.MARK_DUPLICATE,
                {"id": article_id, "original": original[0], "kind": original[1], "score": original[2]},
            )
        if fp.bands:
            session.execute(
                sql.INSERT_BAND,
                [
                    {"bucket": bucket, "article_id": article_id, "band": b}
                    for b, bucket in enumerate(fp.bands)
                ],
            )
        seen_on = article.published or article.fetched_at.date()
        self.dated = article.published is not None
        updated = mentions = 0
        new_ids: list[int] = []
        for claim in item.claims:
            development_id = self.development(claim, article_id, original[0] if original else None)
            claim_id, claim_new, mention_new = self.claim(claim, article_id, seen_on, development_id)
            if claim_new:
                new_ids.append(claim_id)
            updated += (not claim_new) and mention_new
            mentions += mention_new
        return StoreResult(
            article_id,
            True,
            len(new_ids),
            updated,
            mentions,
            tuple(new_ids),
            duplicate_of=original[0] if original else None,
        )

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

    def development(self, claim: ExtractedClaim, article_id: int, original_id: int | None) -> int:
        """The development a claim reports (see ``storage.identity``): the one its strongest
        known key names; else, for a copy of an earlier article, the original's development of
        the same condition and therapy family; else a parent's or a single child's (university
        hospitals); else a new one. Its keys and parties are added to the development it joins."""
        session = self.session
        parties = self.parties(claim.institution)
        keys = identity_keys(claim, [k for k, _ in parties], article_id)
        development_id = self._by_keys([k for _, k in keys])
        if development_id is None and original_id is not None:
            development_id = self._original_development(original_id, claim)
        if development_id is None and parties:
            parents = [
                party_key(p, claim.therapy, claim.indication)
                for k, _ in parties
                for p in parent_institution_keys(k)
            ]
            development_id = self._by_keys(parents) if parents else None
        if development_id is None and parties:
            development_id = self._single_child(parties, claim)
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
        return development_id

    def _by_keys(self, keys: list[str]) -> int | None:
        """The development of the first of ``keys`` that is known."""
        found = dict(self.session.execute(sql.DEVELOPMENTS_BY_KEY, {"keys": keys}).all())
        return next((found[k] for k in keys if k in found), None)

    def _single_child(self, parties: list[tuple[str, str]], claim: ExtractedClaim) -> int | None:
        for key, _name in parties:
            found: set[int] = set()
            for pattern in child_patterns(key, claim.therapy, claim.indication):
                found.update(self.session.execute(sql.DEVELOPMENTS_LIKE_KEY, {"pattern": pattern}).scalars())
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

    def claim(
        self, claim: ExtractedClaim, article_id: int, seen_on: date, development_id: int
    ) -> tuple[int, bool, bool]:
        session = self.session
        key = self.institution_key((claim.institution or "").split(";")[0].strip())
        # Upserts that return the row: on PostgreSQL the conflicting row is locked until the
        # transaction ends, so concurrent runs adding mentions to one claim count each other's.
        claim_id, created_at = session.execute(
            sql.UPSERT_CLAIM,
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
                "seen_on": seen_on,
                "dated": self.dated,
                "now": self.now,
            },
        ).one()
        # created_at equals this transaction's time only for a claim it inserted; count it once.
        claim_new = created_at == self.now and claim_id not in self.created
        if claim_new:
            self.created.add(claim_id)
        month = seen_on.isoformat()[:7]
        mention_new = (
            session.execute(
                sql.INSERT_MENTION,
                {
                    "claim_id": claim_id,
                    "article_id": article_id,
                    "seen_on": seen_on,
                    "seen_month": month,
                    "dated": self.dated,
                    "evidence": claim.evidence,
                    "patients": claim.patients,
                    "outcome": claim.outcome,
                    "now": self.now,
                },
            ).scalar_one_or_none()
            is not None
        )
        if mention_new:
            self.touched.add(claim_id)
            if self.dated:  # an undated report was not made in the month it was read
                self.months.append((claim_id, month, claim))
            if not claim_new and (claim.patients is not None or claim.outcome or claim.location):
                session.execute(
                    sql.FILL_CLAIM,
                    {
                        "id": claim_id,
                        "patients": claim.patients,
                        "outcome": claim.outcome,
                        "location": claim.location,
                    },
                )
        return claim_id, claim_new, mention_new

    def finish(self) -> None:
        """Recompute the touched claims' dates and counts from their mentions (exact after any
        interruption) and add the new mentions to monthly_counts (claims_by_month)."""
        if not self.touched:
            return
        ids = sorted(self.touched)
        for i in range(0, len(ids), 500):
            self.session.execute(sql.REFRESH_CLAIMS, {"ids": ids[i : i + 500], "now": self.now})
        deltas: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for claim_id, month, claim in self.months:
            first_in_month = (
                self.session.execute(
                    sql.INSERT_CLAIM_MONTH, {"claim_id": claim_id, "month": month}
                ).scalar_one_or_none()
                is not None
            )
            for key in (
                (month, claim.therapy, "", ""),
                (month, "", claim.indication, ""),
                (month, "", "", claim.stage),
            ):
                deltas[key][0] += int(first_in_month)
                deltas[key][1] += 1
        # In key order, so that concurrent transactions take row locks in the same order.
        for (month, therapy, indication, stage), (claims, mentions) in sorted(deltas.items()):
            self.session.execute(
                sql.ADD_MONTHLY,
                {
                    "month": month,
                    "therapy": therapy,
                    "indication": indication,
                    "stage": stage,
                    "claims": claims,
                    "mentions": mentions,
                },
            )


def resolve_institution(session: Session, name: str | None) -> str:
    """The key an institution name is stored under: an alias's canonical key when the name (or
    its base, without parent bodies) is a known alias, else the base key."""
    return _Writer(session).institution_key(name)


def sync_aliases(engine: Engine, aliases: Iterable[tuple[str, str]], origin: str) -> int:
    """Insert or update (alias, canonical name) pairs; returns how many there were."""
    rows = {}
    for alias, canonical in aliases:
        alias_key = institution_key(alias)
        if alias_key:
            rows[alias_key] = (institution_base_key(canonical), canonical)
    if not rows:
        return 0
    with Session(engine) as session, session.begin():
        for alias_key, (canonical_key, canonical_name) in rows.items():
            values = {"canonical_key": canonical_key, "canonical_name": canonical_name, "origin": origin}
            if not _insert_ignore(
                session, InstitutionAlias, {"alias_key": alias_key, **values}, ["alias_key"]
            ):
                session.execute(
                    update(InstitutionAlias).where(InstitutionAlias.alias_key == alias_key).values(**values)
                )
    return len(rows)


def sync_conditions(engine: Engine, conditions: Iterable[ConditionInfo]) -> int:
    """Replace the conditions table with the vocabulary's conditions (one transaction)."""
    rows = [
        {
            "name": c.name,
            "category": c.category,
            "icd10": c.icd10 or None,
            "parent": c.parent,
            "group_name": c.group,
        }
        for c in conditions
    ]
    with Session(engine) as session, session.begin():
        known = {
            tuple(r)
            for r in session.execute(
                select(
                    Condition.name,
                    Condition.category,
                    Condition.icd10,
                    Condition.parent,
                    Condition.group_name,
                )
            ).all()
        }
        if known == {tuple(r.values()) for r in rows}:
            return len(rows)  # unchanged: no write, no lock
        session.execute(delete(Condition))
        if rows:
            session.execute(insert(Condition), rows)
    return len(rows)


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
                r.dated,
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
            .where(RetryItem.source_name == source_name)
            .order_by(RetryItem.first_failed_at, RetryItem.url)  # type: ignore[arg-type]
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
                    select(Article.url).where(Article.url.in_(wanted[i : i + 500]))  # type: ignore[union-attr]
                ).scalars()
            )
    return found


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


def _like(column, text: str | None):  # type: ignore[no-untyped-def]
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
        Development.id,
        Development.institution,
        Development.therapy,
        Development.indication,
        Claim.stage,
        Claim.first_seen,
        Claim.last_seen,
        Claim.mention_count,
        Claim.source_count,
    ).join(Claim, Claim.development_id == Development.id)
    for condition in (
        _like(Development.institution, institution),
        _like(Development.therapy, therapy),
        _like(Development.indication, indication),
    ):
        if condition is not None:
            stmt = stmt.where(condition)
    stmt = stmt.order_by(Development.id, Claim.first_seen, Claim.id)
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
            claims = session.execute(select(Claim).where(Claim.id.in_(part))).scalars().all()  # type: ignore[union-attr]
            first: dict[int, tuple] = {}
            for claim_id, dated, seen_on, mention_id, source, outlet, title, url, evidence in session.execute(
                select(
                    Mention.claim_id,
                    Mention.dated,
                    Mention.seen_on,
                    Mention.id,
                    Source.name,
                    Article.outlet,
                    Article.title,
                    Article.url,
                    Mention.evidence,
                )
                .join(Article, Article.id == Mention.article_id)
                .join(Source, Source.id == Article.source_id)
                .where(Mention.claim_id.in_(part))  # type: ignore[attr-defined]
            ).all():
                rank = (not dated, seen_on, mention_id)
                if claim_id not in first or rank < first[claim_id][0]:
                    first[claim_id] = (rank, source, outlet, title, url, evidence)
            before: dict[int, set[str]] = defaultdict(set)
            for development_id, other_id, stage in session.execute(
                select(Claim.development_id, Claim.id, Claim.stage).where(
                    Claim.development_id.in_({c.development_id for c in claims})  # type: ignore[attr-defined]
                )
            ).all():
                if other_id not in new_ids:
                    before[development_id].add(stage)
            for claim in claims:
                _rank, source, outlet, title, url, evidence = first.get(
                    claim.id, (None, "", None, None, None, "")
                )  # type: ignore[arg-type]
                out.append(
                    NewClaimRow(
                        claim.id,  # type: ignore[arg-type]
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
