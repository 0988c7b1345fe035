"""Web sources: discover article URLs from feeds and sitemaps, fetch them incrementally.

Plain async functions (no Prefect here); ``flows.ingest`` wraps them in tasks.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from parsers.errors import ParseError
from parsers.feeds import FeedEntry, parse_feed, parse_sitemap
from parsers.html import clean_url
from parsers.models import SourceSpec
from storage.repository import UrlState

from .fetch import Fetcher, FetchError, FetchResult
from .local import RawDocument
from .summary import Failed

MAX_CHILD_SITEMAPS = 20


@dataclass
class WebCounts:
    fetched: int = 0  # responses with a body (200)
    not_modified: int = 0  # 304 answers to conditional requests
    unchanged: int = 0  # a body identical to the one parsed last time


@dataclass
class Discovery:
    entries: list[FeedEntry] = field(default_factory=list)
    counts: WebCounts = field(default_factory=WebCounts)
    failures: list[Failed] = field(default_factory=list)
    states: list[UrlState] = field(default_factory=list)  # save once the entries are stored


@dataclass
class FetchedBatch:
    documents: list[RawDocument] = field(default_factory=list)
    counts: WebCounts = field(default_factory=WebCounts)
    failures: list[Failed] = field(default_factory=list)
    states: dict[str, UrlState] = field(default_factory=dict)  # by the document's location


def body_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _state(result: FetchResult, previous: UrlState | None) -> UrlState:
    """The state to remember after a response (a 304 keeps the stored body hash)."""
    if result.not_modified:
        return UrlState(
            result.url,
            result.etag or (previous.etag if previous else None),
            result.last_modified or (previous.last_modified if previous else None),
            previous.content_hash if previous else None,
            304,
        )
    return UrlState(result.url, result.etag, result.last_modified, body_hash(result.content), result.status)


def _failed(spec: SourceSpec, url: str, exc: Exception, stage: str) -> Failed:
    reason = exc.reason if isinstance(exc, FetchError) else str(exc)
    kind = f"{exc.kind}: " if isinstance(exc, FetchError) else ""
    return Failed(spec.name, url, stage, f"{kind}{reason}", optional=spec.optional)


async def discover(spec: SourceSpec, fetcher: Fetcher, states: dict[str, UrlState], limit: int) -> Discovery:
    """The article entries a web source lists now (at most ``limit``). An unchanged feed or
    sitemap (304, or the same body as last time) lists nothing: its entries were handled."""
    out = Discovery()
    if spec.kind == "url":
        out.entries.append(FeedEntry(url=spec.location))
        return out
    pending = [spec.location]
    seen: set[str] = set()
    while pending and len(out.entries) < limit:
        url = pending.pop(0)
        if url in seen or len(seen) > MAX_CHILD_SITEMAPS:
            continue
        seen.add(url)
        previous = states.get(url)
        try:
            result = await fetcher.fetch(
                url,
                expect="xml",
                etag=previous.etag if previous else None,
                last_modified=previous.last_modified if previous else None,
            )
        except FetchError as exc:
            out.failures.append(_failed(spec, url, exc, "fetch"))
            continue
        state = _state(result, previous)
        if result.not_modified:
            out.counts.not_modified += 1
            out.states.append(state)
            continue
        out.counts.fetched += 1
        if previous is not None and previous.content_hash == state.content_hash:
            out.counts.unchanged += 1
            out.states.append(state)
            continue
        try:
            if spec.kind == "feed":
                out.entries.extend(parse_feed(result.content))
            else:
                sitemap = parse_sitemap(result.content)
                out.entries.extend(sitemap.entries)
                pending.extend(sitemap.sitemaps)
        except ParseError as exc:
            out.failures.append(_failed(spec, url, exc, "parse"))
            continue
        out.states.append(state)
    unique: dict[str, FeedEntry] = {}
    for entry in out.entries:
        unique.setdefault(entry.url, entry)
    out.entries = list(unique.values())[:limit]
    return out


def _name(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return (path.rsplit("/", 1)[-1] or urlsplit(url).netloc) + ".html"


async def fetch_articles(
    spec: SourceSpec, fetcher: Fetcher, entries: Sequence[FeedEntry], states: dict[str, UrlState]
) -> FetchedBatch:
    """Fetch article pages concurrently (the fetcher keeps each host's limits); pages that
    answer 304 or come back byte-identical are counted, not returned."""
    batch = FetchedBatch()

    async def one(entry: FeedEntry) -> tuple[FeedEntry, FetchResult | Exception]:
        previous = states.get(entry.url)
        try:
            return entry, await fetcher.fetch(
                entry.url,
                expect="html",
                etag=previous.etag if previous else None,
                last_modified=previous.last_modified if previous else None,
            )
        except FetchError as exc:
            return entry, exc

    for entry, outcome in await asyncio.gather(*(one(e) for e in entries)):
        if isinstance(outcome, Exception):
            batch.failures.append(_failed(spec, entry.url, outcome, "fetch"))
            continue
        previous = states.get(entry.url)
        state = _state(outcome, previous)
        if outcome.not_modified:
            batch.counts.not_modified += 1
            batch.states[entry.url] = state
            continue
        batch.counts.fetched += 1
        if previous is not None and previous.content_hash == state.content_hash:
            batch.counts.unchanged += 1
            batch.states[entry.url] = state
            continue
        batch.documents.append(
            RawDocument(
                name=_name(outcome.final_url),
                location=entry.url,
                data=outcome.content,
                fetched_at=outcome.fetched_at,
                url=clean_url(outcome.final_url),
                content_type="text/html",
                charset=outcome.charset,
                published_hint=entry.published,
            )
        )
        batch.states[entry.url] = state
    return batch
