"""Article URLs: validation, cleaning, the key that makes one article one fetch, and sites.

Links come from feeds, sitemaps and pages written by anyone; a malformed one (port 99999,
``http://[::1``, a DEL character, ``host:80:80``) must become a clear ``InvalidURLError`` for
that link, never an exception that takes its source down with it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..errors import ParseError

MAX_URL_CHARS = 4096
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|yclid|ref|ref_src|spm|cmpid|ocid|ito)$",
    re.I,
)
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# Prefixes that name the same site: a mobile or AMP copy points its canonical at the main host.
_SAME_SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


class InvalidURLError(ParseError):
    """A link that cannot be fetched as an http(s) URL; the message says why."""


def checked_url(url: str, base: str | None = None) -> str:
    """``url`` (resolved against ``base`` when relative) as it can be fetched: validated, with
    no credentials (``user:secret@``: never sent, stored or logged) and no fragment, a
    lower-case scheme and host and no default port; the path and query are kept as they are.
    Raises InvalidURLError for anything that is not a valid http(s) URL."""
    # As browsers do (WHATWG URL): tabs and newlines inside a link are dropped, spaces encoded.
    raw = re.sub(r"[\t\n\r]", "", url.strip()).replace(" ", "%20")
    if not raw:
        raise InvalidURLError("empty link")
    if len(raw) > MAX_URL_CHARS:
        raise InvalidURLError(f"link longer than {MAX_URL_CHARS} characters")
    bad = _FORBIDDEN_CHARS.search(raw)
    if bad:
        raise InvalidURLError(f"control character {bad.group()!r} in link {_shown(raw)}")
    try:
        if base:
            raw = urljoin(base, raw)
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise InvalidURLError(f"malformed link {_shown(raw)}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURLError(f"not an http(s) link: {_shown(raw)}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURLError(f"link without a host: {_shown(raw)}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise InvalidURLError(f"invalid host name in link {_shown(raw)}") from None
        if not _HOST.fullmatch(ascii_host):
            raise InvalidURLError(f"invalid host name in link {_shown(raw)}")
    netloc = host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def clean_url(url: str, base: str | None = None) -> str:
    """``checked_url`` without tracking parameters (``utm_*``, ``fbclid`` ...) and with the
    other parameters in a fixed order: one article, one URL. Raises InvalidURLError.

    (courlan's ``normalize_url`` was tried: in strict mode it drops parameters articles need,
    and it keeps credentials.)"""
    parts = urlsplit(checked_url(url, base))
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def url_key(url: str) -> str:
    """The key under which a cleaned URL is fetched at most once per run: ``/a/`` and ``/a``
    are one article (servers answer both or redirect one to the other)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def site_of(url: str | None) -> str | None:
    """The host of ``url`` without a ``www.``, ``m.``, ``amp.`` or ``mobile.`` prefix."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return None
    for prefix in _SAME_SITE_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host or None


def redacted(url: str) -> str:
    """``url`` without ``user:password@``: what may be logged or stored about a link that
    could not be cleaned."""
    return re.sub(r"(?<=//)[^/@\s]*@", "", url)


def _shown(url: str) -> str:
    text = redacted(url)
    return repr(text if len(text) <= 200 else text[:200] + "...")
