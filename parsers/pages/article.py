"""Read one article from the bytes of a ``.txt``, ``.html`` or ``.json`` document.

    read_article(data, name, fetched_at) -> list[ParsedArticle]

A ``.json`` document may hold one article object or a list of them; the other kinds hold one.
Every article gets the publication date its input states (or None) and ``fetched_at`` always.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePath

from ..errors import EmptyDocumentError, MalformedDocumentError, ParseError
from ..models import ParsedArticle
from ..timing import Timer, no_timer
from .dates import parse_date
from .encoding import decode_bytes
from .html import DEFAULT_PAGE_OPTIONS, PageOptions, parse_html

SUPPORTED_SUFFIXES = (".txt", ".text", ".html", ".htm", ".json")

# The seed format: the first line starts with "date YYYY-MM-DD", followed directly by text.
_DATE_MARKER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.I)


def _require_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise EmptyDocumentError(f"{what} has no article text")
    return text


def read_text(data: bytes, name: str, fetched_at: datetime) -> ParsedArticle:
    """A plain-text article; a leading ``date YYYY-MM-DD`` marker gives its date, and a short
    first line followed by a blank line is taken as its title."""
    text = decode_bytes(data).replace("\r\n", "\n").replace("\r", "\n")
    published = None
    marker = _DATE_MARKER.match(text)
    if marker:
        published = parse_date(marker.group(1))
        text = text[marker.end() :]
    text = _require_text(text, name)
    title = None
    first, sep, rest = text.partition("\n\n")
    if sep and rest.strip() and len(first) <= 160 and "\n" not in first and not first.endswith("."):
        title, text = first.strip(), rest.strip()
    return ParsedArticle(
        text=text,
        title=title,
        published=published,
        fetched_at=fetched_at,
        external_id=PurePath(name).stem,
    )


def read_html(
    data: bytes | str,
    name: str,
    fetched_at: datetime,
    url: str | None = None,
    charset: str | None = None,
    options: PageOptions = DEFAULT_PAGE_OPTIONS,
    timer: Timer | None = None,
    relevant: Callable[[str], bool] | None = None,
) -> ParsedArticle:
    """An HTML article page (bytes, or text already decoded): main text, title, date,
    canonical URL, language and site name. ``relevant`` (see ``parse_html``) spares the slow
    main-text path for pages that do not matter."""
    timer = timer or no_timer
    if isinstance(data, str):
        html = data
    else:
        with timer("decode"):
            html = decode_bytes(data, declared=charset)
    doc = parse_html(html, url=url, options=options, timer=timer, relevant=relevant)
    text = _require_text(doc.text, name)
    return ParsedArticle(
        text=text,
        title=doc.title,
        published=doc.published,
        fetched_at=fetched_at,
        url=doc.canonical_url or url,
        source_name=doc.site_name,
        language=doc.language,
        external_id=PurePath(name).stem if url is None else None,
    )


def _article_from_object(obj: object, name: str, fetched_at: datetime) -> ParsedArticle:
    if not isinstance(obj, dict):
        raise MalformedDocumentError(f"{name}: expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise MalformedDocumentError(f"{name}: field 'text' must be a string")
    text = _require_text(text or "", f"{name} (JSON without 'text')")
    published_raw = obj.get("published")
    published = parse_date(published_raw) if isinstance(published_raw, str) else None

    def opt(field: str) -> str | None:
        value = obj.get(field)
        return str(value).strip() or None if value is not None else None

    return ParsedArticle(
        text=text,
        title=opt("title"),
        published=published,
        fetched_at=fetched_at,
        url=opt("url"),
        source_name=opt("source"),
        external_id=opt("id") or PurePath(name).stem,
        language=opt("language"),
    )


def read_json(data: bytes, name: str, fetched_at: datetime) -> list[ParsedArticle]:
    """Articles from JSON with fields id, url, source, title, published, text.

    One object gives one article; a list gives one per object. A list with some bad objects
    raises for the first bad one, so the caller records the file as failed rather than
    silently dropping articles.
    """
    try:
        payload = json.loads(decode_bytes(data))
    except json.JSONDecodeError as exc:
        raise MalformedDocumentError(f"{name}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise EmptyDocumentError(f"{name}: empty JSON list")
    return [_article_from_object(item, name, fetched_at) for item in items]


def read_article(data: bytes, name: str, fetched_at: datetime) -> list[ParsedArticle]:
    """Articles from one document, chosen by the suffix of ``name``.

    Raises ParseError (see ``parsers.errors``) with a one-line reason for bad input.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix in (".txt", ".text"):
        return [read_text(data, name, fetched_at)]
    if suffix in (".html", ".htm"):
        return [read_html(data, name, fetched_at)]
    if suffix == ".json":
        return read_json(data, name, fetched_at)
    raise ParseError(f"{name}: unsupported file type {suffix or '(none)'}")
