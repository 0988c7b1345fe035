"""Web sources: discover article URLs from feeds and sitemaps, fetch them incrementally.

Plain async functions (no Prefect here); ``flows.ingest`` wraps them in tasks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from parsers.errors import ParseError
from parsers.models import SourceSpec
from parsers.pages.feeds import FeedEntry, parse_feed, parse_sitemap
from parsers.pages.urls import InvalidURLError, checked_url, clean_url, redacted, url_key
from storage.fetch_state import RetryLink, UrlState

from .fetching.client import Fetcher, FetchError, FetchResult, RobotsDisallowedError
from .local import RawDocument
from .summary import Failed

MAX_CHILD_SITEMAPS = 20


@dataclass
class WebCounts:
    fetched: int = 0  # responses with a body (200)
    not_modified: int = 0  # 304 answers to conditional requests
    unchanged: int = 0  # a body identical to the one parsed last time
    already_listed: int = 0  # links another source (or this one) scheduled earlier this run


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
    states: dict[str, UrlState] = field(default_factory=dict)  # by the document's address
    retry: list[RetryLink] = field(default_factory=list)  # failed transiently: queue them
    settled: list[str] = field(default_factory=list)  # fetched or failed for good: unqueue them


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
    if isinstance(exc, FetchError):
        reason = f"{exc.kind}: {exc.reason}"
    elif isinstance(exc, InvalidURLError):
        reason = f"invalid_url: {exc}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return Failed(spec.name, redacted(url), stage, reason, optional=spec.optional)


def schedule(
    spec: SourceSpec, found: Iterable[FeedEntry], limit: int, scheduled: set[str] | None
) -> tuple[list[FeedEntry], list[Failed], int]:
    """The links to fetch: each cleaned (tracking parameters, fragment, credentials, default
    port dropped), at most ``limit``, none that this run has already scheduled (``scheduled``
    holds the run's ``url_key``s, across sources). A malformed link is a failure of its own.
    Returns the entries, the failures and how many links were already scheduled."""
    scheduled = set() if scheduled is None else scheduled
    entries: list[FeedEntry] = []
    failures: list[Failed] = []
    repeats = 0
    for entry in found:
        if len(entries) >= limit:
            break
        try:
            url = clean_url(entry.url)
        except InvalidURLError as exc:
            failures.append(_failed(spec, entry.url, exc, "url"))
            continue
        key = url_key(url)
        if key in scheduled:
            repeats += 1
            continue
        scheduled.add(key)
        entries.append(dataclasses.replace(entry, url=url))
    return entries, failures, repeats


async def discover(
    spec: SourceSpec,
    fetcher: Fetcher,
    states: dict[str, UrlState],
    limit: int,
    scheduled: set[str] | None = None,
) -> Discovery:
    """The article entries a web source lists now (at most ``limit``, each scheduled once per
    run; see ``schedule``). An unchanged feed or sitemap (304, or the same body as last time)
    lists nothing: its entries were handled."""
    out = Discovery()
    if spec.kind == "url":
        out.entries, out.failures, out.counts.already_listed = schedule(
            spec, [FeedEntry(url=spec.address)], limit, scheduled
        )
        return out
    try:
        address = checked_url(spec.address)
    except InvalidURLError as exc:
        out.failures.append(_failed(spec, spec.address, exc, "fetch"))
        return out
    pending = [address]
    seen: set[str] = set()
    found: list[FeedEntry] = []
    while pending and len(found) < limit * 2 + 100:
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
            # The per-source limit applies while a listing is read: no more links are kept
            # than could be scheduled (with room for links this run already scheduled).
            room = limit * 2 + 100 - len(found)
            if spec.kind == "feed":
                found.extend(parse_feed(result.content, base_url=result.final_url, limit=room))
            else:
                sitemap = parse_sitemap(result.content, base_url=result.final_url, limit=room)
                found.extend(sitemap.entries)
                for child in sitemap.sitemaps:
                    try:
                        pending.append(checked_url(child))
                    except InvalidURLError as exc:
                        out.failures.append(_failed(spec, child, exc, "url"))
        except ParseError as exc:
            out.failures.append(_failed(spec, url, exc, "parse"))
            continue
        out.states.append(state)
    entries, failures, out.counts.already_listed = schedule(spec, found, limit, scheduled)
    out.entries = entries
    out.failures.extend(failures)
    return out


def _name(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return (path.rsplit("/", 1)[-1] or urlsplit(url).netloc) + ".html"


async def fetch_articles(
    spec: SourceSpec, fetcher: Fetcher, entries: Sequence[FeedEntry], states: dict[str, UrlState]
) -> FetchedBatch:
    """Fetch article pages concurrently (the fetcher keeps each host's limits); pages that
    answer 304 or come back byte-identical are counted, not returned. Whatever goes wrong
    with one link is that link's failure; links that failed transiently (or whose site's
    robots.txt was unavailable) are listed in ``retry`` for later runs."""
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
        except Exception as exc:  # noqa: BLE001 - one link's failure, whatever it is, stays its own
            return entry, exc

    for entry, outcome in await asyncio.gather(*(one(e) for e in entries)):
        if isinstance(outcome, Exception):
            failure = _failed(spec, entry.url, outcome, "fetch")
            if isinstance(outcome, RobotsDisallowedError) and outcome.retry_later:
                # robots.txt unavailable: one failure per origin and run; the links wait in
                # the retry queue.
                robots = fetcher.first_report_of_robots(entry.url)
                if robots is not None:
                    batch.failures.append(
                        Failed(
                            spec.name,
                            robots,
                            "robots",
                            f"{failure.reason}; its links are queued for the next run",
                            optional=spec.optional,
                        )
                    )
            else:
                batch.failures.append(failure)
            if isinstance(outcome, FetchError) and outcome.retry_later:
                batch.retry.append(
                    RetryLink(entry.url, entry.listed_by, entry.published, reason=failure.reason)
                )
            else:
                batch.settled.append(entry.url)
            continue
        batch.settled.append(entry.url)
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
                address=entry.url,
                data=outcome.content,
                fetched_at=outcome.fetched_at,
                url=clean_url(outcome.final_url),
                content_type="text/html",
                charset=outcome.charset,
                published_hint=entry.published,
                listed_by=entry.listed_by,
            )
        )
        batch.states[entry.url] = state
    return batch
