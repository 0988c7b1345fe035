"""Which stored article an incoming one is: its key (canonical URL, else text), and the earlier
article it copies (same text, a near-duplicate, or a cut or extended wire copy)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlmodel import Session, col

from parsers.models import ParsedArticle
from parsers.pages.fingerprint import (
    NEAR_DUPLICATE_CONTAINMENT,
    NEAR_DUPLICATE_JACCARD,
    Fingerprint,
    resemblance,
)

from . import statements as sql
from .models import Source, utcnow

_MAX_CANDIDATES = 20


def ensure_source(session: Session, name: str, kind: str, address: str) -> int:
    """The id of the named source, created if needed."""
    sql.insert_ignore(
        session, Source, {"name": name, "kind": kind, "address": address, "created_at": utcnow()}, ["name"]
    )
    return session.execute(select(col(Source.id)).where(col(Source.name) == name)).scalar_one()


def article_key(article: ParsedArticle, digest: str) -> str:
    """An article's identity: its canonical URL, else (local files without one) its text."""
    return f"url:{article.url}" if article.url else f"text:{digest}"


def find_original(
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
