"""One document in, its articles and their claims out: the pure core of a pipeline run.

    results = process_document(data, name, fetched_at, extractor)

No I/O here: the caller reads the bytes and stores the results.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import unescape

from .claims import ClaimExtractor, RuleBasedExtractor
from .models import Claim, ParsedArticle
from .pages.article import read_article, read_html
from .pages.encoding import decode_bytes
from .pages.fingerprint import Fingerprint, fingerprint
from .pages.html import DEFAULT_PAGE_OPTIONS, PageOptions
from .text import normalise_for_matching
from .timing import Timer, no_timer
from .vocab import Vocabulary, default_vocabulary


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    article: ParsedArticle
    claims: tuple[Claim, ...]
    skipped: bool = False  # True when the article failed the source's keyword filter
    fingerprint: Fingerprint | None = None  # content hash and near-duplicate bands


def mentions_keywords(
    article: ParsedArticle, keywords: Sequence[str], vocabulary: Vocabulary | None = None
) -> bool:
    """True when the title or text names one of ``keywords`` or, with no keywords given, any
    cell or gene therapy term of ``vocabulary`` (the claim extractor's; by default the one
    shipped)."""
    return text_mentions_keywords(f"{article.title or ''}\n{article.text}", keywords, vocabulary)


def text_mentions_keywords(text: str, keywords: Sequence[str], vocabulary: Vocabulary | None = None) -> bool:
    """``mentions_keywords`` on any text (a whole page's, before its main text is known)."""
    if keywords:
        norm = normalise_for_matching(text)
        return any(normalise_for_matching(k).strip() in norm for k in keywords if k.strip())
    return any(m.role == "therapy" for m in (vocabulary or default_vocabulary()).scan(text))


# Scripts and styles with their code (all but JSON-LD, which may hold the headline), then any
# tag as an HTML tokenizer sees one: "<" and a letter, "/", "!" or "?" ("a < b" is text). The
# code is matched as runs of "[^<]*" rather than ".*?": three times faster on real pages.
_MARKUP = re.compile(
    r"<(?:script(?![^>]*ld\+json)\b[^>]*>[^<]*(?:<(?!/script)[^<]*)*</script\s*"
    r"|style\b[^>]*>[^<]*(?:<(?!/style)[^<]*)*</style\s*"
    r"|[/!?a-z][^>]*)>",
    re.I,
)
_META = re.compile(r"<meta\b[^>]*>", re.I)


def page_may_mention_keywords(
    html: str, keywords: Sequence[str], vocabulary: Vocabulary | None = None
) -> bool:
    """False only when no article read from the page can pass ``mentions_keywords``: the
    cheap test of a whole page before any tree is built (one regex pass and one automaton
    pass). Tags become spaces and scripts and styles go, code and all (no reader takes text
    from them), but JSON-LD stays (its headline may be the article's title) and so do the meta
    tags (an ``og:title``) and ``<noscript>`` text; comments go with the tags; entities are
    decoded. It errs
    only towards keeping: a term split inside a word by markup ("thera<b>py</b>") is the one
    thing it would miss."""
    text = _MARKUP.sub(" ", html)
    text = " ".join(text.split()) + " " + " ".join(_META.findall(html, 0, 200_000))
    if "&" in text:
        text = unescape(text)
    if keywords:
        return text_mentions_keywords(text, keywords)
    return (vocabulary or default_vocabulary()).may_name_a_therapy(text)


def extract_articles(
    articles: Sequence[ParsedArticle],
    extractor: ClaimExtractor,
    keywords: Sequence[str] | None = None,
    timer: Timer | None = None,
) -> list[ExtractedArticle]:
    """Claims for each article; with ``keywords`` (possibly empty: the CGT vocabulary), articles
    that do not mention them are returned as skipped, without claims. ``timer`` receives the
    stages "extract" (claims) and "dedup" (the fingerprint)."""
    timer = timer or no_timer
    out = []
    for article in articles:
        with timer("extract"):
            skip = keywords is not None and not mentions_keywords(article, keywords, extractor.vocab)
            claims = () if skip else tuple(extractor.extract(article))
        if skip:
            out.append(ExtractedArticle(article, (), skipped=True))
            continue
        with timer("dedup"):
            fp = fingerprint(article.text)
        out.append(ExtractedArticle(article, claims, fingerprint=fp))
    return out


def process_document(
    data: bytes,
    name: str,
    fetched_at: datetime,
    extractor: ClaimExtractor | None = None,
    *,
    url: str | None = None,
    charset: str | None = None,
    is_html: bool = False,
    keywords: Sequence[str] | None = None,
    options: PageOptions = DEFAULT_PAGE_OPTIONS,
    timer: Timer | None = None,
) -> list[ExtractedArticle]:
    """Parse a document (by its name's suffix, or as HTML) and extract claims.

    Raises ``parsers.errors.ParseError`` with a one-line reason for bad input. ``timer`` (see
    ``parsers.timing``) receives the stages of ``parsers.timing.STAGES``. With
    ``keywords``, an HTML page that fails ``page_may_mention_keywords`` is returned as one
    skipped article before any tree is built: most pages of a news feed cost only that.
    ``options``: how a page is read (``parsers.pages.html.PageOptions``); ``extractor``: the
    claim extractor (the rules by default).
    """
    timer = timer or no_timer
    extractor = extractor or RuleBasedExtractor()
    page: bytes | str = data
    if is_html and keywords is not None:
        with timer("decode"):
            html = decode_bytes(data, declared=charset)
        if html.strip():  # an empty page is a failure, recorded as such by read_html
            with timer("filter"):
                maybe = page_may_mention_keywords(html, keywords, extractor.vocab)
            if not maybe:
                return [
                    ExtractedArticle(ParsedArticle(text="", fetched_at=fetched_at, url=url), (), skipped=True)
                ]
        page = html
    if is_html:
        # A page whose whole text fails the source's keyword filter is skipped whatever its main
        # text: trafilatura, the slow part of the "auto" path, is not run for it.
        relevant = (
            None
            if keywords is None
            else functools.partial(text_mentions_keywords, keywords=keywords, vocabulary=extractor.vocab)
        )
        articles = [
            read_html(
                page,
                name,
                fetched_at,
                url=url,
                charset=charset,
                options=options,
                timer=timer,
                relevant=relevant,
            )
        ]
    else:
        with timer("parse"):
            articles = read_article(data, name, fetched_at)
    return extract_articles(articles, extractor, keywords, timer)
