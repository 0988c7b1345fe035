"""Metadata and main text from an HTML article page (BeautifulSoup with the lxml parser)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from .dates import date_from_url, parse_date

# Elements that never hold the article body.
_BOILERPLATE = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "nav",
    "header",
    "footer",
    "aside",
    "select",
    "input",
    "figure",
    "figcaption",
)
_BOILERPLATE_HINT = re.compile(
    r"comment|share|social|related|recommend|sidebar|promo|advert|\bads?\b|banner|newsletter|"
    r"subscribe|cookie|popup|modal|breadcrumb|menu|footer|header|nav|widget|outbrain|taboola",
    re.I,
)
_PUBLISHED_META = (
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("itemprop", "datePublished"),
    ("name", "pubdate"),
    ("name", "publishdate"),
    ("name", "publish-date"),
    ("name", "publish_date"),
    ("name", "date"),
    ("name", "dc.date.issued"),
    ("name", "dc.date"),
    ("name", "dcterms.date"),
    ("name", "citation_publication_date"),
    ("name", "sailthru.date"),
    ("name", "parsely-pub-date"),
    ("property", "og:published_time"),
    ("name", "og:published_time"),
    ("property", "og:article:published_time"),
)
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|yclid|ref_src|spm)$", re.I
)


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
    with a lower-case scheme and host."""
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


def _meta(soup: BeautifulSoup, attr: str, value: str) -> str | None:
    tag = soup.find("meta", attrs={attr: re.compile(f"^{re.escape(value)}$", re.I)})
    if isinstance(tag, Tag):
        content = tag.get("content")
        if isinstance(content, str) and content.strip():
            return content.strip()
    return None


def _json_ld_objects(soup: BeautifulSoup) -> list[dict]:
    found: list[dict] = []
    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.I)}):
        try:
            data = json.loads(script.string or "")
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


def _published(soup: BeautifulSoup, ld: list[dict], url: str | None) -> date | None:
    for item in ld:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = item.get(key)
            if isinstance(value, str) and (found := parse_date(value)):
                return found
    for attr, name in _PUBLISHED_META:
        if found := parse_date(_meta(soup, attr, name)):
            return found
    for time_tag in soup.find_all("time"):
        value = time_tag.get("datetime") or time_tag.get_text(" ", strip=True)
        if isinstance(value, str) and (found := parse_date(value)):
            return found
    return date_from_url(url)


def _title(soup: BeautifulSoup, ld: list[dict]) -> str | None:
    for item in ld:
        headline = item.get("headline")
        if isinstance(headline, str) and headline.strip():
            return headline.strip()
    og = _meta(soup, "property", "og:title") or _meta(soup, "name", "twitter:title")
    if og:
        return og
    h1 = soup.find("h1")
    if isinstance(h1, Tag) and h1.get_text(strip=True):
        return h1.get_text(" ", strip=True)
    if soup.title and soup.title.string and soup.title.string.strip():
        return soup.title.string.strip()
    return None


def _is_boilerplate(tag: Tag) -> bool:
    if tag.attrs is None:
        return False
    hints = " ".join([tag.get("id") or ""] + list(tag.get("class") or []) + [tag.get("role") or ""])
    return bool(hints.strip()) and bool(_BOILERPLATE_HINT.search(hints))


def _main_text(soup: BeautifulSoup) -> str:
    body = soup.body or soup
    for tag in body.find_all(_BOILERPLATE):
        tag.decompose()
    for tag in body.find_all(["div", "section", "ul", "ol", "p"]):
        if tag.attrs is not None and tag.name != "p" and _is_boilerplate(tag):
            tag.decompose()
    # The container whose direct paragraphs hold the most text is the article body.
    scores: dict[int, tuple[int, Tag]] = {}
    for p in body.find_all("p"):
        parent = p.parent
        if not isinstance(parent, Tag):
            continue
        length = len(p.get_text(" ", strip=True))
        old = scores.get(id(parent), (0, parent))[0]
        scores[id(parent)] = (old + length, parent)
    article = body.find("article")
    if scores:
        best = max(scores.values(), key=lambda pair: pair[0])[1]
        if isinstance(article, Tag) and best not in article.parents and best is not article:
            article_len = sum(len(p.get_text(strip=True)) for p in article.find_all("p"))
            if article_len >= max(scores.values(), key=lambda pair: pair[0])[0]:
                best = article
        container = best
    elif isinstance(article, Tag):
        container = article
    else:
        return _normalise_space(body.get_text("\n", strip=True))
    blocks = []
    for el in container.find_all(["p", "h2", "h3", "li", "blockquote"]):
        if el.find_parent(["p", "li", "blockquote"]) is not None:
            continue
        text = _normalise_space(el.get_text(" ", strip=True))
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)


def _normalise_space(text: str) -> str:
    return re.sub(r"[ \t\r\f\v\u00a0]+", " ", text).strip()


def parse_html(html: str, url: str | None = None) -> HtmlDocument:
    """Title, publication date, canonical URL, language, site name and main text of a page.

    The date comes from JSON-LD ``datePublished``, then meta tags such as
    ``article:published_time``, then ``<time>`` elements, then the URL.
    """
    soup = BeautifulSoup(html, "lxml")
    ld = _json_ld_objects(soup)
    title = _title(soup, ld)
    published = _published(soup, ld, url)
    canonical = None
    link = soup.find("link", rel=lambda v: v is not None and "canonical" in v)
    if isinstance(link, Tag) and isinstance(link.get("href"), str) and link["href"].strip():
        href = str(link["href"]).strip()
        canonical = clean_url(urljoin(url, href) if url else href)
    elif url:
        canonical = clean_url(url)
    html_tag = soup.find("html")
    language = None
    if isinstance(html_tag, Tag) and isinstance(html_tag.get("lang"), str):
        language = str(html_tag["lang"]).split("-")[0].lower() or None
    language = language or (_meta(soup, "property", "og:locale") or "").split("_")[0].lower() or None
    site_name = _meta(soup, "property", "og:site_name")
    for item in ld:
        publisher = item.get("publisher")
        if not site_name and isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            site_name = publisher["name"]
    text = _main_text(soup)
    return HtmlDocument(
        text=text,
        title=title,
        published=published,
        canonical_url=canonical,
        language=language,
        site_name=site_name,
    )
