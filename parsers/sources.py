"""The sources file (``seeds/sources.toml``): what to monitor.

[[source]]
name = "seed-articles"   # unique; stored with every article and shown in the run summary
kind = "files"           # files | feed | sitemap | url
address = "."            # files: a file or folder (relative to the sources file);
                         # feed, sitemap, url: an http(s) URL ("location", its older
                         # name, is still read)
keywords = "cgt"         # optional filter: "cgt" (any cell or gene therapy term of the
                         # vocabulary) or a list of words; other articles are counted as
                         # skipped and not parsed for claims
max_articles = 200       # optional: at most this many articles per run
optional = true          # optional: a failure is a warning (e.g. a feed that is offline)
enabled = true           # optional
"""

from __future__ import annotations

import tomllib

from .errors import MalformedDocumentError
from .models import SourceSpec
from .pages.urls import redacted

SOURCE_KINDS = ("files", "feed", "sitemap", "url")
# "location" is the older name of "address" (a claim's location is a place; a source's
# address is where it is read from), still read so that older sources files keep working.
_OLD_ADDRESS_KEY = "location"
_KNOWN_KEYS = {"name", "kind", "address", _OLD_ADDRESS_KEY, "keywords", "max_articles", "enabled", "optional"}


class SourcesError(MalformedDocumentError):
    """The sources file is invalid; the message names the entry and the field."""


def _keywords(value: object, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if value == "cgt" or value == []:
        return ()
    if isinstance(value, list) and all(isinstance(k, str) and k.strip() for k in value):
        return tuple(value)
    raise SourcesError(f"{where}: 'keywords' must be \"cgt\" or a list of words")


def parse_sources(text: str) -> list[SourceSpec]:
    """The sources listed in a TOML document, validated."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"sources file is not valid TOML: {exc}") from exc
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError("sources file: use [[source]] tables")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"source #{n}"
        if not isinstance(entry, dict):
            raise SourcesError(f"{where}: expected a table")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SourcesError(f"{where}: 'name' is required")
        where = f"source {name!r}"
        if name in seen:
            raise SourcesError(f"{where}: duplicate name")
        seen.add(name)
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            raise SourcesError(f"{where}: 'kind' must be one of {', '.join(SOURCE_KINDS)}")
        if "address" in entry and _OLD_ADDRESS_KEY in entry:
            raise SourcesError(f"{where}: give 'address' only ('location' is its older name)")
        address = entry.get("address", entry.get(_OLD_ADDRESS_KEY))
        if not isinstance(address, str) or not address.strip():
            raise SourcesError(f"{where}: 'address' is required")
        address = address.strip()
        is_url = address.startswith(("http://", "https://"))
        if kind == "files" and is_url:
            raise SourcesError(f"{where}: kind 'files' needs a path; use 'url', 'feed' or 'sitemap' for URLs")
        if kind != "files" and not is_url:
            raise SourcesError(f"{where}: kind {kind!r} needs an http(s) URL as 'address'")
        if is_url:
            # Credentials in a URL are never sent, stored or logged: they go at once.
            address = redacted(address)
        max_articles = entry.get("max_articles")
        if max_articles is not None and (not isinstance(max_articles, int) or max_articles < 1):
            raise SourcesError(f"{where}: 'max_articles' must be a positive integer")
        enabled = entry.get("enabled", True)
        optional = entry.get("optional", False)
        if not isinstance(enabled, bool) or not isinstance(optional, bool):
            raise SourcesError(f"{where}: 'enabled' and 'optional' must be true or false")
        specs.append(
            SourceSpec(
                name=name.strip(),
                kind=kind,
                address=address,
                keywords=_keywords(entry.get("keywords"), where),
                max_articles=max_articles,
                enabled=enabled,
                optional=optional,
                options={k: v for k, v in entry.items() if k not in _KNOWN_KEYS},
            )
        )
    return specs
