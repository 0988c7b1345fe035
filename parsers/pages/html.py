"""Metadata and main text of an HTML article page.

The page is parsed once, with lxml. Metadata (title, publication date, canonical URL,
language, site name) come from that tree, and so does the main text (``parsers.pages.maintext``):
by default ("auto") a readability-like heuristic whose result is kept only when it covers the
page's prose, and trafilatura for the pages it does not cover. ``page_text(data, url)`` is the
bytes-in, text-out function scored against real pages.

Why "auto": on the 159 real pages of the main-text evaluation, it scored F1 0.925 at ~79
pages/s against trafilatura's defaults at 0.922 and ~48 pages/s; the heuristic alone scored
0.855 (it misses bodies split across containers). ``bench/main_text_quality.py`` re-measures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

import htmldate
import lxml.etree
import lxml.html
from lxml.etree import ParserError

from ..errors import EmptyDocumentError, MalformedDocumentError
from ..timing import Timer, no_timer
from .dates import date_from_url, parse_date
from .encoding import decode_bytes
from .maintext import heuristic_main_text, page_main_text, trafilatura_text
from .urls import InvalidURLError, clean_url, site_of

# "auto": the heuristic when its check passes, else trafilatura (``parsers.pages.maintext``);
# "lxml": the heuristic alone (fast, less complete); "trafilatura": trafilatura alone.
MAIN_TEXT_EXTRACTORS = ("auto", "lxml", "trafilatura")
DEFAULT_MAIN_TEXT_EXTRACTOR = "auto"


@dataclass(frozen=True, slots=True)
class PageOptions:
    """How pages are read: settings in (``flows``), this object down through
    ``parsers.pipeline.process_document`` → ``read_html`` → ``parse_html``. A main-text mode
    that does not exist fails here, when the options are made, not deep inside a batch.

    ``main_text``: one of ``MAIN_TEXT_EXTRACTORS``. ``trusted_sites``: sites besides the page's
    own whose URL its canonical link may give (the site of the feed that listed the page)."""

    main_text: str = DEFAULT_MAIN_TEXT_EXTRACTOR
    trusted_sites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.main_text not in MAIN_TEXT_EXTRACTORS:
            raise ValueError(
                f"unknown main-text mode {self.main_text!r} (one of {', '.join(MAIN_TEXT_EXTRACTORS)})"
            )


DEFAULT_PAGE_OPTIONS = PageOptions()
_PUBLISHED_META = (
    "article:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "publish_date", "date", "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created",
    "citation_publication_date", "sailthru.date", "parsely-pub-date", "og:published_time",
    "og:article:published_time", "article.published", "published_time", "release_date",
)  # fmt: skip
_VISIBLE_DATE = re.compile(r"(?:published|posted|updated|date|发布时间|时间)[:：\s]*([^\n|]{6,40})", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_EN_WORDS = re.compile(r"\b(?:the|and|of|to|in|is|that|for|with|was)\b", re.I)


@dataclass(frozen=True, slots=True)
class HtmlDocument:
    """What one page says about itself, and its main text."""

    text: str
    title: str | None
    published: date | None
    canonical_url: str | None
    language: str | None
    site_name: str | None


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict]:
    found: list[dict] = []
    for raw in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]/text()'):
        try:
            data = json.loads(raw)
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return found


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """All meta tags by lower-cased property/name/itemprop/http-equiv (first one wins)."""
    out: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                out.setdefault(key, content)
    return out


def _title(tree: lxml.html.HtmlElement, ld: list[dict], meta: dict[str, str]) -> str | None:
    for item in ld:
        headline = item.get("headline")
        if isinstance(headline, str) and headline.strip():
            return headline.strip()
    for key in ("og:title", "twitter:title"):
        if meta.get(key):
            return meta[key]
    for tag in ("h1", "title"):
        for el in tree.iter(tag):
            text = " ".join(el.text_content().split())
            if text:
                return text
    return None


def _published(
    tree: lxml.html.HtmlElement, ld: list[dict], meta: dict[str, str], url: str | None
) -> date | None:
    for item in ld:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = item.get(key)
            if isinstance(value, str) and (found := parse_date(value)):
                return found
    for key in _PUBLISHED_META:
        if (found := parse_date(meta.get(key))) is not None:
            return found
    for el in tree.iter("time"):
        value = el.get("datetime") or el.text_content()
        if (found := parse_date(value)) is not None:
            return found
    # htmldate knows many more layouts ("post-date" elements, bylines, <abbr class=published>);
    # on markup only (its extensive search guesses from any date in the text, copyright lines
    # too). It works on a copy of the tree.
    found_text = htmldate.find_date(tree, extensive_search=False, original_date=True, url=url)
    if found_text and (found := parse_date(found_text)) is not None:
        return found
    if (found := date_from_url(url)) is not None:
        return found
    return None


def _visible_date(text: str) -> date | None:
    """A "Published: ..." line near the top of the page text."""
    for m in _VISIBLE_DATE.finditer(text[:3000]):
        if (found := parse_date(m.group(1))) is not None:
            return found
    return None


def _language(tree: lxml.html.HtmlElement, meta: dict[str, str], text: str) -> str | None:
    lang = (
        tree.get("lang")
        or tree.get("xml:lang")
        or meta.get("content-language")
        or meta.get("og:locale")
        or ""
    )
    lang = re.split(r"[-_]", lang.strip().lower())[0]
    if lang:
        return lang
    sample = text[:2000]
    if not sample:
        return None
    if len(_CJK.findall(sample)) > len(sample) * 0.2:
        return "zh"
    if len(_EN_WORDS.findall(sample)) > len(sample.split()) * 0.15:
        return "en"
    return None


def _site_name(ld: list[dict], meta: dict[str, str]) -> str | None:
    if meta.get("og:site_name"):
        return meta["og:site_name"]
    for item in ld:
        publisher = item.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return publisher["name"]
    return meta.get("application-name")


def _normalise_space(text: str) -> str:
    return re.sub(r"[ \t\r\f\v\u00a0]+", " ", text).strip()


def _parse_tree(html: str) -> lxml.html.HtmlElement:
    try:
        # Already decoded: tell lxml the bytes are UTF-8, whatever the page's meta tag claims.
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_UTF8_PARSER)
    except (ParserError, ValueError) as exc:
        raise MalformedDocumentError(f"unparseable HTML: {exc}") from exc


def _main_text(
    tree: lxml.html.HtmlElement,
    mode: str,
    url: str | None,
    relevant: Callable[[str], bool] | None = None,
) -> str:
    if mode == "auto":
        return page_main_text(tree, url, relevant)[0]
    if mode == "lxml":
        return heuristic_main_text(tree)[0]
    return trafilatura_text(tree, url)


def _canonical(tree: lxml.html.HtmlElement, url: str | None, trusted_sites: Collection[str]) -> str | None:
    """The page's canonical URL where it is trusted (see ``parse_html``), else ``url`` cleaned."""
    own = clean_url(url) if url else None
    sites = {site_of(url), *trusted_sites} - {None}
    for href in tree.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'):
        if not href.strip():
            continue
        try:
            canonical = clean_url(href, base=url)
        except InvalidURLError:
            break
        if url is None or site_of(canonical) in sites:
            return canonical
        break
    return own


def main_text(html: str, mode: str = DEFAULT_MAIN_TEXT_EXTRACTOR, url: str | None = None) -> str:
    """The main text alone, as ``parse_html`` finds it (the benchmark's raw extractor rate)."""
    return _main_text(_parse_tree(html), PageOptions(mode).main_text, url)


def page_text(data: bytes, url: str | None = None) -> str:
    """The text the pipeline stores for a fetched page: the bytes decoded (declared or sniffed
    charset), parsed once, and the main text by the default path ("auto")."""
    if not data.strip():
        return ""
    return main_text(decode_bytes(data), DEFAULT_MAIN_TEXT_EXTRACTOR, url)


def parse_html(
    html: str,
    url: str | None = None,
    options: PageOptions = DEFAULT_PAGE_OPTIONS,
    timer: Timer | None = None,
    relevant: Callable[[str], bool] | None = None,
) -> HtmlDocument:
    """Title, publication date, canonical URL, language, site name and main text of a page.

    The canonical URL is the page's ``<link rel=canonical>`` only when it points to the page's
    own site (``url``'s host, give or take ``www.``/``m.``) or to one of the options'
    ``trusted_sites`` (the site of the feed that listed the page); any other canonical is ignored and ``url`` stands,
    so that no page can claim another site's article.

    The date comes from JSON-LD ``datePublished``, then meta tags such as
    ``article:published_time``, then ``<time>`` elements, then the URL, then a "Published:"
    line in the text. Raises EmptyDocumentError / MalformedDocumentError for pages that are
    not HTML. ``timer`` (see ``parsers.timing``) receives the stages "parse" (the tree), "main
    text" and "date" (metadata). ``relevant``, given the page's whole visible text, says
    whether the page matters (a source's keyword filter): for a page that does not, the "auto"
    path keeps the heuristic's text rather than run trafilatura.
    """
    if not html.strip():
        raise EmptyDocumentError("empty page")
    timer = timer or no_timer
    with timer("parse"):
        tree = _parse_tree(html)
    with timer("date"):  # metadata, dominated by finding the publication date
        ld = _json_ld(tree)
        meta = _meta(tree)
        title = _title(tree, ld, meta)
        published = _published(tree, ld, meta, url)
        canonical = _canonical(tree, url, options.trusted_sites)
        site_name = _site_name(ld, meta)
    with timer("main text"):
        text = _main_text(tree, options.main_text, url, relevant)
    with timer("date"):
        if published is None:
            published = _visible_date(text)
        language = _language(tree, meta, text)
    return HtmlDocument(
        text=text,
        title=title,
        published=published,
        canonical_url=canonical,
        language=language,
        site_name=site_name,
    )
