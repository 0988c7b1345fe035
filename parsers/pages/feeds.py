"""RSS 0.9x/1.0/2.0 and Atom feeds, sitemap indexes, urlsets and Google News sitemaps.

XML is parsed with defusedxml: documents declaring entities (the "billion laughs" bomb) or
external references are refused with ``FeedError`` rather than expanded. A feed that is not
well-formed XML for another reason (HTML entities such as ``&rsquo;`` or ``&nbsp;`` that XML
does not define, a stray ``&``) is read by feedparser's lenient parser instead: real feeds
are like that, and refusing them lost every article of the source.

Listings are read as a stream of elements, each dropped once read, and reading stops at
``limit`` entries: a sitemap at the protocol's limits (50,000 URLs, 50 MB) costs memory for
its bytes and the entries kept, not for a tree of the whole document.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import MalformedDocumentError
from .dates import parse_date

# The sitemap protocol's cap on one file (uncompressed); feeds get the same.
MAX_XML_BYTES = 50 * 1024 * 1024


class FeedError(MalformedDocumentError):
    """A feed or sitemap that cannot be parsed (invalid XML, forbidden entities, unknown format)."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    title: str | None = None
    published: date | None = None
    summary: str | None = None
    listed_by: str | None = None  # the URL of the feed or sitemap that lists it


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: article URLs (urlset) and/or further sitemaps (sitemap index)."""

    entries: tuple[FeedEntry, ...]
    sitemaps: tuple[str, ...]


def _local(tag: object) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1].lower()


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def _child(element: Element, *names: str) -> Element | None:
    for child in element:
        if _local(child.tag) in names:
            return child
    return None


class _NotWellFormed(FeedError):
    """Invalid XML that is no attack: a lenient parser may still read it."""


def _elements(data: bytes, what: str) -> Iterator[tuple[str, Element]]:
    """("start" | "end", element) over the document, as it is read."""
    if not data or not data.strip():
        raise FeedError(f"empty {what}")
    if len(data) > MAX_XML_BYTES:
        raise FeedError(f"{what} too large ({len(data)} bytes; the cap is {MAX_XML_BYTES})")
    try:
        yield from SafeET.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
    except DefusedXmlException as exc:
        raise FeedError(
            f"unparseable {what}: {type(exc).__name__} (entity declarations are refused)"
        ) from exc
    except SafeET.ParseError as exc:
        raise _NotWellFormed(f"unparseable {what}: invalid XML ({exc})") from exc


def _link(item: Element) -> str | None:
    """The article link of an RSS item or Atom entry."""
    links = [c for c in item if _local(c.tag) == "link"]
    for link in links:  # Atom: <link rel="alternate" href="..."/>
        href = link.get("href")
        if href and link.get("rel", "alternate") == "alternate":
            return href.strip()
    for link in links:
        href = link.get("href")
        if href:
            return href.strip()
        if _text(link):
            return _text(link)
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    if about:
        return about.strip()
    guid = _child(item, "guid")
    if (
        guid is not None
        and guid.get("isPermaLink", "true") != "false"
        and (_text(guid) or "").startswith("http")
    ):
        return _text(guid)
    return None


def _resolved(link: str, base_url: str | None) -> str:
    """``link`` resolved against the feed's URL when relative; a link that cannot be resolved
    is returned as it is, for the caller to record as invalid."""
    link = link.strip()
    if not base_url:
        return link
    try:
        return urljoin(base_url, link)
    except ValueError:
        return link


def parse_feed(data: bytes, base_url: str | None = None, limit: int | None = None) -> list[FeedEntry]:
    """The entries of an RSS (0.9x, 1.0, 2.0) or Atom feed, in document order, at most
    ``limit``; relative links are resolved against ``base_url`` (the feed's URL). Links are
    not validated here.

    Raises FeedError for anything that is not a parseable feed.
    """
    entries: list[FeedEntry] = []
    root: str | None = None
    try:
        for event, element in _elements(data, "feed"):
            if event == "start":
                if root is None:
                    root = _local(element.tag)
                    if root not in ("rss", "rdf", "feed", "channel"):
                        raise FeedError(f"unparseable feed: root element <{root}> is not RSS or Atom")
                continue
            if _local(element.tag) not in ("item", "entry"):
                continue
            entry = _feed_entry(element, base_url)
            element.clear()  # read: its text need not stay in memory
            if entry is not None:
                entries.append(entry)
                if limit is not None and len(entries) >= limit:
                    break
    except _NotWellFormed as exc:
        return _lenient_feed(data, exc, base_url)[:limit]
    return entries


def _feed_entry(item: Element, base_url: str | None) -> FeedEntry | None:
    url = _link(item)
    if not url:
        return None
    published = None
    for name in ("pubdate", "published", "date", "issued", "updated", "modified"):
        published = parse_date(_text(_child(item, name)))
        if published:
            break
    return FeedEntry(
        url=_resolved(url, base_url),
        title=_text(_child(item, "title")),
        published=published,
        summary=_text(_child(item, "description", "summary", "content", "encoded")),
        listed_by=base_url,
    )


def _lenient_feed(data: bytes, error: FeedError, base_url: str | None) -> list[FeedEntry]:
    """The entries of a feed that is not well-formed XML, by feedparser (which decodes HTML
    entities and recovers from broken markup); ``error`` is raised when it finds none."""
    import feedparser  # imported on first use: most feeds are well-formed

    parsed = feedparser.parse(data)
    entries = []
    for item in parsed.entries:
        url = (item.get("link") or "").strip()
        if not url:
            continue
        published = None
        for key in ("published", "updated", "created"):
            published = parse_date(item.get(key))
            if published:
                break
        entries.append(
            FeedEntry(
                url=_resolved(url, base_url),
                title=item.get("title") or None,
                published=published,
                summary=item.get("summary") or None,
                listed_by=base_url,
            )
        )
    if not parsed.get("version"):  # feedparser saw no RSS or Atom in it
        raise error
    return entries


def parse_sitemap(data: bytes, base_url: str | None = None, limit: int | None = None) -> Sitemap:
    """A sitemap index (links to sitemaps), a urlset, or a Google News sitemap, at most
    ``limit`` entries; relative locations are resolved against ``base_url``.

    Raises FeedError for anything else.
    """
    root: str | None = None
    entries: list[FeedEntry] = []
    sitemaps: list[str] = []
    for event, element in _elements(data, "sitemap"):
        if event == "start":
            if root is None:
                root = _local(element.tag)
                if root not in ("sitemapindex", "urlset"):
                    raise FeedError(
                        f"unparseable sitemap: root element <{root}> is not urlset or sitemapindex"
                    )
            continue
        kind = _local(element.tag)
        if kind == "sitemap" and root == "sitemapindex":
            loc = _text(_child(element, "loc"))
            if loc:
                sitemaps.append(_resolved(loc, base_url))
            element.clear()
        elif kind == "url" and root == "urlset":
            entry = _sitemap_entry(element, base_url)
            element.clear()
            if entry is not None:
                entries.append(entry)
                if limit is not None and len(entries) >= limit:
                    break
    return Sitemap(entries=tuple(entries), sitemaps=tuple(sitemaps))


def _sitemap_entry(url: Element, base_url: str | None) -> FeedEntry | None:
    loc = _text(_child(url, "loc"))
    if not loc:
        return None
    news = _child(url, "news")
    title = _text(_child(news, "title")) if news is not None else None
    published = parse_date(_text(_child(news, "publication_date"))) if news is not None else None
    published = published or parse_date(_text(_child(url, "lastmod")))
    return FeedEntry(url=_resolved(loc, base_url), title=title, published=published, listed_by=base_url)
