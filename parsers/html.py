"""Metadata and main text of an HTML article page.

The page is parsed once, with lxml. Metadata (title, publication date, canonical URL,
language, site name) come from that tree, and so does the main text: a readability-like
heuristic (default ``lxml``), or trafilatura (optional extra ``cgt-monitor[trafilatura]``)
run on the same tree. ``soup`` is the same heuristic on a BeautifulSoup tree, kept as the
readable reference (tests check that both give the same text); it parses the page a second
time, which costs ~4 ms for a 60 KB page against lxml's ~0.2 ms.

Why this heuristic: ``bench/main_text_quality.py`` compares the extractors on the fixture
pages in ``tests/fixtures/site`` (news templates with navigation, ads, comment threads,
split bodies, <br> layouts, a GBK page); the heuristic scored mean token F1 1.00 against 0.71
for trafilatura's fast mode (which kept comment threads and share bars, and dropped a short
CJK article and a <br> layout). The fixtures are our own, so the comparison shows where each
fails rather than a general ranking.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from lxml.etree import ParserError

from .dates import date_from_url, parse_date
from .errors import EmptyDocumentError, MalformedDocumentError
from .timing import Timer, no_timer

MAIN_TEXT_EXTRACTORS = ("lxml", "soup", "trafilatura")
DEFAULT_MAIN_TEXT_EXTRACTOR = "lxml"

# Elements that never hold the article body (soup heuristic).
_BOILERPLATE = (
    "script", "style", "noscript", "template", "svg", "iframe", "form", "button", "nav",
    "header", "footer", "aside", "select", "input", "figure", "figcaption",
)  # fmt: skip
_BOILERPLATE_HINT = re.compile(
    r"comment|share|social|related|recommend|sidebar|promo|advert|\bads?\b|banner|newsletter|"
    r"subscribe|cookie|popup|modal|breadcrumb|menu|footer|header|nav|widget|outbrain|taboola",
    re.I,
)
_PUBLISHED_META = (
    "article:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "publish_date", "date", "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created",
    "citation_publication_date", "sailthru.date", "parsely-pub-date", "og:published_time",
    "og:article:published_time", "article.published", "published_time", "release_date",
)  # fmt: skip
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|yclid|ref|ref_src|spm|cmpid|ocid|ito)$",
    re.I,
)
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


def clean_url(url: str) -> str:
    """``url`` without its fragment and tracking parameters (``utm_*``, ``fbclid`` ...),
    with a lower-case scheme and host and no default port."""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)
    ]
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and parts.scheme == "http":
        netloc = netloc[:-3]
    if netloc.endswith(":443") and parts.scheme == "https":
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


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


def _trafilatura_text(tree: lxml.html.HtmlElement, url: str | None) -> str:
    try:
        import trafilatura  # optional, and slow to import: imported on first use
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "main-text extractor 'trafilatura' needs: pip install 'cgt-monitor[trafilatura]'"
        ) from exc

    text = trafilatura.extract(
        tree,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        deduplicate=False,
        with_metadata=False,
        output_format="txt",
        fast=True,
    )
    return (text or "").strip()


def _blocks(container: Tag) -> list[tuple[Tag, str]]:
    """Text blocks under ``container`` in document order, each with the element holding it:
    paragraphs, list items, quotes and headings, and runs of loose text between <br>s."""
    out: list[tuple[Tag, str]] = []
    for el in container.descendants:
        if not isinstance(el, Tag):
            continue
        if el.name in ("p", "li", "blockquote", "h2", "h3", "pre"):
            if el.find_parent(["p", "li", "blockquote"]) is not None:
                continue
            text = _normalise_space(el.get_text(" ", strip=True))
            links = sum(len(a.get_text(strip=True)) for a in el.find_all("a"))
            if text and links <= 0.5 * len(text):
                out.append((el, text))
        elif el.name in ("div", "td", "section", "article", "main", "span", "font", "center"):
            # Loose text directly inside a container, split at <br>: old layouts have no <p>.
            run: list[str] = []
            for child in [*el.children, None]:
                if child is None or (isinstance(child, Tag) and child.name == "br"):
                    text = _normalise_space(" ".join(run))
                    if len(text) >= 25:
                        out.append((el, text))
                    run = []
                elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                    run.append(str(child))
                elif isinstance(child, Tag) and child.name in ("a", "b", "strong", "em", "i", "span", "font"):
                    run.append(child.get_text(" "))
    return out


def soup_main_text(html: str) -> str:
    """The main text by a BeautifulSoup heuristic (readability-like): drop boilerplate
    elements, score each element by the text of the blocks it holds (its grandchildren count
    half), take the best one together with its siblings of the same kind or with substantial
    text of their own."""
    soup = BeautifulSoup(html, "lxml")
    body = soup.body or soup
    for tag in body.find_all(_BOILERPLATE):
        tag.decompose()
    for tag in body.find_all(["div", "section", "ul", "ol", "table", "td"]):
        if tag.attrs is None:
            continue
        hints = " ".join([tag.get("id") or "", *(tag.get("class") or []), tag.get("role") or ""])
        if hints.strip() and _BOILERPLATE_HINT.search(hints):
            tag.decompose()
    blocks = _blocks(body)
    if not blocks:
        return _normalise_space(body.get_text("\n", strip=True))
    scores: dict[int, float] = {}
    elements: dict[int, Tag] = {}
    repeated: dict[int, bool] = {}
    for el, text in blocks:
        holder = el if el.name not in ("p", "li", "blockquote", "h2", "h3", "pre") else el.parent
        if holder is None:
            continue
        if id(holder) not in repeated:
            # One of three or more look-alike siblings (comment threads, teaser lists): their
            # text does not make their common parent an article body.
            kind = (holder.name, tuple(holder.get("class") or ()))
            twins = [
                t
                for t in (holder.parent.find_all(holder.name, recursive=False) if holder.parent else [])
                if (t.name, tuple(t.get("class") or ())) == kind
            ]
            repeated[id(holder)] = len(twins) >= 3
        up = 0.1 if repeated[id(holder)] else 0.5
        for weight, node in ((1.0, holder), (up, holder.parent)):
            if isinstance(node, Tag):
                scores[id(node)] = scores.get(id(node), 0.0) + weight * len(text)
                elements[id(node)] = node
    top = elements[max(scores, key=scores.__getitem__)]
    chosen = [top]
    parent = top.parent
    if isinstance(parent, Tag):
        for sibling in parent.find_all(recursive=False):
            if sibling is top:
                continue
            same_kind = sibling.name == top.name and sibling.get("class") == top.get("class")
            if (same_kind and scores.get(id(sibling), 0) > 0) or scores.get(id(sibling), 0) >= 0.2 * scores[
                id(top)
            ]:
                chosen.append(sibling)
    keep = {id(c) for c in chosen}
    out = []
    for el, text in blocks:
        node: Tag | None = el
        while node is not None and id(node) not in keep:
            node = node.parent
        if node is not None:
            out.append(text)
    return "\n\n".join(out)


# -- the same heuristic on the lxml tree the metadata came from (one parse per page) ----------
_BLOCK_TAGS = frozenset({"p", "li", "blockquote", "h2", "h3", "pre"})
_LOOSE_TEXT_HOLDERS = frozenset({"div", "td", "section", "article", "main", "span", "font", "center"})
_INLINE_TAGS = frozenset({"a", "b", "strong", "em", "i", "span", "font"})
_HINTED_CONTAINERS = frozenset({"div", "section", "ul", "ol", "table", "td"})


def _lxml_text(el: lxml.html.HtmlElement, sep: str) -> str:
    """BeautifulSoup's ``get_text(sep, strip=True)`` on an lxml element."""
    return sep.join(s for s in (t.strip() for t in el.itertext()) if s)


def _drop(el: lxml.html.HtmlElement) -> None:
    """Remove ``el`` and its subtree but keep the text after it, as a separate word."""
    if el.getparent() is None:
        return
    if el.tail and not el.tail[0].isspace():
        el.tail = " " + el.tail
    el.drop_tree()


def _classes(el: lxml.html.HtmlElement) -> tuple[str, ...]:
    return tuple((el.get("class") or "").split())


def _lxml_blocks(container: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, str]]:
    """``_blocks`` on an lxml tree."""
    out: list[tuple[lxml.html.HtmlElement, str]] = []
    for el in container.iterdescendants():
        tag = el.tag
        if tag in _BLOCK_TAGS:
            if next(el.iterancestors("p", "li", "blockquote"), None) is not None:
                continue
            text = _normalise_space(_lxml_text(el, " "))
            links = sum(len(_lxml_text(a, "")) for a in el.iterdescendants("a"))
            if text and links <= 0.5 * len(text):
                out.append((el, text))
        elif tag in _LOOSE_TEXT_HOLDERS:
            run: list[str] = [el.text] if el.text else []
            for child in [*el, None]:
                if child is None or child.tag == "br":
                    text = _normalise_space(" ".join(run))
                    if len(text) >= 25:
                        out.append((el, text))
                    run = []
                elif child.tag in _INLINE_TAGS:
                    run.append(" ".join(child.itertext()))
                if child is not None and child.tail:
                    run.append(child.tail)
    return out


def lxml_main_text(tree: lxml.html.HtmlElement) -> str:
    """The heuristic of ``soup_main_text`` on an lxml tree, which it modifies (boilerplate is
    removed). The page is parsed once, for its metadata and its main text: BeautifulSoup's
    tree building costs ~4 ms for a 60 KB page, lxml's ~0.2 ms (``bench/pipeline.py``)."""
    body = tree.find("body")
    if body is None:
        body = tree
    for el in list(body.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction, *_BOILERPLATE)):
        _drop(el)
    for el in list(body.iter(*_HINTED_CONTAINERS)):
        hints = " ".join([el.get("id") or "", el.get("class") or "", el.get("role") or ""])
        if hints.strip() and _BOILERPLATE_HINT.search(hints):
            _drop(el)
    blocks = _lxml_blocks(body)
    if not blocks:
        return _normalise_space(_lxml_text(body, "\n"))
    scores: dict[lxml.html.HtmlElement, float] = {}
    repeated: dict[lxml.html.HtmlElement, bool] = {}
    for el, text in blocks:
        holder = el if el.tag not in _BLOCK_TAGS else el.getparent()
        if holder is None:
            continue
        if holder not in repeated:
            # One of three or more look-alike siblings (comment threads, teaser lists): their
            # text does not make their common parent an article body.
            parent = holder.getparent()
            kind = (holder.tag, _classes(holder))
            twins = [t for t in (parent if parent is not None else ()) if (t.tag, _classes(t)) == kind]
            repeated[holder] = len(twins) >= 3
        up = 0.1 if repeated[holder] else 0.5
        for weight, node in ((1.0, holder), (up, holder.getparent())):
            if node is not None:
                scores[node] = scores.get(node, 0.0) + weight * len(text)
    top = max(scores, key=scores.__getitem__)
    keep = {top}
    parent = top.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is top or not isinstance(sibling.tag, str):
                continue
            same_kind = sibling.tag == top.tag and _classes(sibling) == _classes(top)
            score = scores.get(sibling, 0.0)
            if (same_kind and score > 0) or score >= 0.2 * scores[top]:
                keep.add(sibling)
    out = []
    for el, text in blocks:
        node: lxml.html.HtmlElement | None = el
        while node is not None and node not in keep:
            node = node.getparent()
        if node is not None:
            out.append(text)
    return "\n\n".join(out)


def _normalise_space(text: str) -> str:
    return re.sub(r"[ \t\r\f\v\u00a0]+", " ", text).strip()


def _parse_tree(html: str) -> lxml.html.HtmlElement:
    try:
        # Already decoded: tell lxml the bytes are UTF-8, whatever the page's meta tag claims.
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_UTF8_PARSER)
    except (ParserError, ValueError) as exc:
        raise MalformedDocumentError(f"unparseable HTML: {exc}") from exc


def _main_text(html: str, tree: lxml.html.HtmlElement, extractor: str, url: str | None) -> str:
    if extractor == "lxml":
        return lxml_main_text(tree)
    if extractor == "trafilatura":
        return _trafilatura_text(tree, url)
    return soup_main_text(html)


def main_text(html: str, extractor: str = DEFAULT_MAIN_TEXT_EXTRACTOR, url: str | None = None) -> str:
    """The main text alone, as ``parse_html`` finds it (the benchmark's raw extractor rate)."""
    return _main_text(html, _parse_tree(html), extractor, url)


def parse_html(
    html: str,
    url: str | None = None,
    extractor: str = DEFAULT_MAIN_TEXT_EXTRACTOR,
    timer: Timer | None = None,
) -> HtmlDocument:
    """Title, publication date, canonical URL, language, site name and main text of a page.

    The date comes from JSON-LD ``datePublished``, then meta tags such as
    ``article:published_time``, then ``<time>`` elements, then the URL, then a "Published:"
    line in the text. Raises EmptyDocumentError / MalformedDocumentError for pages that are
    not HTML. ``timer`` (see ``parsers.timing``) receives the stages "parse" (the tree and the
    main text) and "date" (metadata).
    """
    if extractor not in MAIN_TEXT_EXTRACTORS:
        raise ValueError(f"unknown main-text extractor {extractor!r}")
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
        canonical = None
        for href in tree.xpath(
            '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
        ):
            if href.strip():
                canonical = clean_url(urljoin(url, href.strip()) if url else href.strip())
                break
        if canonical is None and url:
            canonical = clean_url(url)
        site_name = _site_name(ld, meta)
    with timer("parse"):  # the main-text extractor
        text = _main_text(html, tree, extractor, url)
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
