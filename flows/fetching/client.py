"""Polite and safe HTTP fetching with one shared ``httpx.AsyncClient``. What can go wrong is a
``flows.fetching.errors.FetchError`` (re-exported here).

Politeness: a per-host concurrency limit and minimum delay between requests (raised to the
host's robots.txt Crawl-delay, at most 30 s), robots.txt fetched once per host, conditional
GET with stored ETag / Last-Modified, retries with exponential backoff and jitter.

Layers, as httpx has them: under this client, the transports - ``flows.fetching.bodies``
(size caps and content decoding: a body comes out decoded and within its request's cap, in
steps of bounded output) over ``flows.fetching.addresses`` (every request, page, redirect hop
or robots.txt, checked against the address rules before a connection opens). This client
does redirects, robots.txt (through the same path as pages), pacing, retries and conditional
GET. Credentials in a URL are dropped before it is requested.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import io
import random
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from protego import Protego

from parsers.pages.urls import InvalidURLError, checked_url, redacted

from .addresses import AddressGuard, GuardedTransport
from .bodies import BoundedTransport, body_limit
from .errors import (
    BadURLError,
    ConnectionFailedError,
    ContentEncodingError,
    ContentTypeError,
    FetchError,
    FetchTimeoutError,
    ForbiddenAddressError,
    HostNotFoundError,
    PageStatusError,
    PermanentFetchError,
    RedirectError,
    RobotsDisallowedError,
    ServerBusyError,
    TooLargeError,
    TransientFetchError,
)

__all__ = [
    "BadURLError",
    "ContentEncodingError",
    "ContentTypeError",
    "FetchConfig",
    "FetchError",
    "FetchResult",
    "ConnectionFailedError",
    "FetchTimeoutError",
    "Fetcher",
    "ForbiddenAddressError",
    "HostNotFoundError",
    "PageStatusError",
    "PermanentFetchError",
    "RedirectError",
    "RobotsDisallowedError",
    "ServerBusyError",
    "TooLargeError",
    "TransientFetchError",
]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
    "application/rdf+xml", "application/x-rss+xml", "application/x-gzip", "application/gzip",
})  # fmt: skip
_XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<rdf", b"<urlset", b"<sitemapindex", b"\x1f\x8b")


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """Plain values for the fetcher (built from ``flows.settings.Settings``)."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 5 * 1024 * 1024
    # Feeds and sitemaps: the sitemap protocol allows 50 MB uncompressed per file, and real
    # publishers' listings are often larger than any article page.
    max_listing_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    respect_robots: bool = True
    allowed_networks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content: bytes = b""
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class _Host:
    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    delay: float = 0.0


def _retry_after(value: str | None, cap: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(cap, (when - datetime.now(UTC)).total_seconds()))


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip("\"' ") or None
    return parts[0].lower() or None, charset


class Fetcher:
    """Fetches URLs politely and safely; use as ``async with Fetcher(config) as fetcher``."""

    def __init__(self, config: FetchConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        # Layers, as httpx has them: caps and decoding over the address guard, as transports;
        # redirects, robots.txt, pacing and retries are this client's.
        self._guard = AddressGuard(config.allowed_networks)
        inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=BoundedTransport(GuardedTransport(self._guard, inner)),
        )
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, Protego | str | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._agent = config.user_agent.split("/", 1)[0].split()[0]
        self.requests = 0  # every HTTP request sent, robots.txt included
        self._robots_reported: set[str] = set()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    # -- public ---------------------------------------------------------------------------
    async def fetch(
        self, url: str, *, expect: str = "html", etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (``expect``: "html", "xml" or "any"), retrying transient failures.

        With ``etag`` / ``last_modified`` the request is conditional; an unchanged resource
        comes back with status 304 and no content. Raises FetchError.
        """
        try:
            url = checked_url(url)
        except InvalidURLError as exc:
            raise BadURLError(redacted(url), str(exc)) from None
        attempt = 0
        while True:
            try:
                return await self._fetch_once(url, expect, etag, last_modified)
            except FetchError as exc:
                if not exc.transient or attempt >= self.config.retries:
                    raise
                delay = exc.retry_after
            except (
                httpx.HTTPError,
                httpx.InvalidURL,
                httpx.StreamError,
                ValueError,
                UnicodeError,
                OSError,
            ) as exc:
                # Whatever else one server or link can provoke is a failure of that URL alone.
                raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc
            if delay is None:
                delay = min(self.config.backoff_max, self.config.backoff_base * 2**attempt)
                delay *= 1 + random.random() / 2  # jitter: hosts are not hit in lockstep
            attempt += 1
            await asyncio.sleep(delay)

    # -- one attempt, following redirects ------------------------------------------------------
    async def _fetch_once(
        self, url: str, expect: str, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        headers = {}
        if expect == "html":
            headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
        elif expect == "xml":
            headers["Accept"] = (
                "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
            )
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        cap = self.config.max_listing_bytes if expect == "xml" else self.config.max_bytes
        async with self._open(url, headers, cap, conditional=conditional) as (final, response):
            return await self._read(url, final, response, expect)

    @asynccontextmanager
    async def _open(
        self,
        url: str,
        headers: dict[str, str],
        cap: int,
        *,
        conditional: dict[str, str] | None = None,
        obey_robots: bool = True,
        truncate: bool = False,
    ) -> AsyncIterator[tuple[str, httpx.Response]]:
        """The one path of every request, pages and robots.txt alike (each hop's address is
        checked by the transport, ``GuardedTransport``): robots.txt obeyed (not for robots.txt itself), the host's pace
        kept, and redirects followed (at most ``max_redirects``; loops and malformed Locations
        are RedirectErrors). Yields the final URL and its response (not a redirect), whose body
        the transport keeps within ``cap`` bytes (or cuts there, with ``truncate``); the
        conditional headers go only to ``url`` itself."""
        current = url
        seen = {url}
        for _hop in range(self.config.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(current, f"unsupported URL {current!r}")
            if obey_robots and self.config.respect_robots:
                await self._check_robots(current)
            sent = {**headers, **conditional} if conditional and current == url else headers
            limit = body_limit(current, cap, self.config.total_timeout, truncate=truncate)
            async with self._host_slot(current), self._response(current, sent, limit) as response:
                if response.status_code in (301, 302, 303, 307, 308):
                    current = self._redirect_target(url, current, response, seen)
                    continue
                yield current, response
                return
        raise RedirectError(url, f"more than {self.config.max_redirects} redirects")

    @staticmethod
    def _redirect_target(url: str, current: str, response: httpx.Response, seen: set[str]) -> str:
        location = response.headers.get("location")
        if not location:
            raise PageStatusError(current, f"HTTP {response.status_code} without Location")
        try:
            target = checked_url(location, base=current)
        except InvalidURLError as exc:
            raise RedirectError(url, f"HTTP {response.status_code} to a malformed Location: {exc}") from None
        if target in seen:
            raise RedirectError(url, f"redirect loop at {target}")
        seen.add(target)
        return target

    @asynccontextmanager
    async def _response(
        self, url: str, headers: dict[str, str], extensions: dict[str, object]
    ) -> AsyncIterator[httpx.Response]:
        request = self._client.build_request("GET", url, headers=headers, extensions=extensions)
        self.requests += 1
        try:
            response = await asyncio.wait_for(
                self._client.send(request, stream=True), self.config.total_timeout
            )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchTimeoutError(url, f"timed out ({type(exc).__name__})") from exc
        except httpx.ConnectError as exc:
            dns = isinstance(exc.__cause__ or exc.__context__, socket.gaierror) or "Name or service" in str(
                exc
            )
            error = HostNotFoundError if dns else ConnectionFailedError
            raise error(url, f"cannot connect: {exc}") from exc
        except httpx.TransportError as exc:
            raise ConnectionFailedError(url, f"connection failed: {type(exc).__name__}: {exc}") from exc
        try:
            yield response
        finally:
            await response.aclose()

    async def _read(self, url: str, final: str, response: httpx.Response, expect: str) -> FetchResult:
        status = response.status_code
        headers = response.headers
        if status == 304:
            return FetchResult(
                url, final, 304, etag=headers.get("etag"), last_modified=headers.get("last-modified")
            )
        if status == 429 or status >= 500:
            raise ServerBusyError(
                final,
                f"HTTP {status}",
                retry_after=_retry_after(headers.get("retry-after"), self.config.backoff_max),
            )
        if status >= 400 or status < 200:
            raise PageStatusError(final, f"HTTP {status}")
        media, charset = _media_type(headers.get("content-type"))
        if expect == "html" and media is not None and media not in HTML_TYPES:
            raise ContentTypeError(final, f"content type {media!r} is not HTML")
        content = await _body(response)
        if expect == "xml":
            if content[:2] == b"\x1f\x8b":
                content = self._gunzip(final, content)
            head = content.lstrip()[:64].lower()
            if media not in XML_TYPES and not head.startswith(_XML_STARTS):
                raise ContentTypeError(final, f"content type {media!r} is not a feed or sitemap")
        return FetchResult(
            url, final, status, content, media, charset, headers.get("etag"), headers.get("last-modified")
        )

    def _gunzip(self, url: str, content: bytes) -> bytes:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(content)) as fh:
                data = fh.read(self.config.max_listing_bytes + 1)
        except (OSError, EOFError) as exc:
            raise ContentTypeError(url, f"invalid gzip data: {exc}") from exc
        if len(data) > self.config.max_listing_bytes:
            raise TooLargeError(url, f"unzipped sitemap exceeds the {self.config.max_listing_bytes}-byte cap")
        return data

    def first_report_of_robots(self, url: str) -> str | None:
        """The robots.txt URL of ``url``'s origin the first time this is asked for that origin
        in this run, else None: an unavailable robots.txt is recorded once per run, not once
        per link it held back."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots_reported:
            return None
        self._robots_reported.add(origin)
        return f"{origin}/robots.txt"

    # -- politeness ---------------------------------------------------------------------------
    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(
                asyncio.Semaphore(self.config.per_host_concurrency), delay=self.config.per_host_delay
            )
        return host

    @asynccontextmanager
    async def _host_slot(self, url: str) -> AsyncIterator[None]:
        host = self._host(url)
        async with host.slots:
            async with host.lock:
                now = time.monotonic()
                if host.next_at > now:
                    await asyncio.sleep(host.next_at - now)
                host.next_at = max(now, host.next_at) + host.delay
            yield

    async def _check_robots(self, url: str) -> None:
        # The origin's own address first (cached; the transport checks it again): a refused or
        # unknown host is the page's failure, not an unavailable robots.txt.
        await self._guard.check(url)
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._robots:
                    self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, str):  # robots.txt unavailable: nothing of the origin this run
            raise RobotsDisallowedError(
                url, f"robots.txt unavailable ({rules}): not fetched this run", retry_later=True
            )
        if rules is not None and not rules.can_fetch(url, self._agent):
            raise RobotsDisallowedError(url, "disallowed by robots.txt")

    async def _load_robots(self, origin: str) -> Protego | str | None:
        """The origin's robots.txt rules, fetched through the same path as pages (``_open``)
        and read as RFC 9309 says: redirects followed (up to ``max_redirects``, five by
        default); a 4xx answer (or too many redirects) means no rules (None: everything allowed);
        a 5xx answer, a timeout or an unreachable server means the origin is not crawled this
        run (the reason, as a string). Parsed with Protego (Scrapy's parser), which follows the
        RFC's "*" and "$" wildcards and longest-match precedence."""
        url = f"{origin}/robots.txt"
        try:
            # RFC 9309: at least 500 KiB are read; the rest is ignored.
            robots_cap = 512 * 1024
            async with self._open(
                url, {"Accept": "text/plain"}, robots_cap, obey_robots=False, truncate=True
            ) as (
                final,
                response,
            ):
                status = response.status_code
                if status >= 500:
                    return f"HTTP {status}"
                if status >= 400 or status < 200:
                    return None
                body = await _body(response)
        except (RedirectError, PageStatusError):
            return None  # too many redirects, a loop, a Location that cannot be followed: no rules
        except FetchError as exc:
            return exc.reason
        except (httpx.HTTPError, TimeoutError) as exc:  # the body stalled or broke off
            return f"{type(exc).__name__} while reading it"
        rules = Protego.parse(body.decode("utf-8", "replace"))
        delay = rules.crawl_delay(self._agent)
        if delay:
            host = self._host(origin)
            host.delay = max(host.delay, min(30.0, float(delay)))
        return rules


async def _body(response: httpx.Response) -> bytes:
    """The body as the transports give it: decoded, within its request's cap."""
    return b"".join([chunk async for chunk in response.aiter_raw()])
