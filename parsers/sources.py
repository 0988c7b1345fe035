"""The sources file (``seeds/sources.toml``): what to monitor.

[[source]]
name = "seed-articles"        # unique, shown in the database and the run summary
kind = "files"                # files | feed | sitemap | url
location = "."                # a path (relative to the sources file) or a URL
keywords = ["cell therapy"]   # optional: only matching articles are parsed for claims
max_articles = 200            # optional per-source limit per run
enabled = true                # optional
"""

from __future__ import annotations

import tomllib

from .errors import MalformedDocumentError
from .models import SourceSpec

SOURCE_KINDS = ("files", "feed", "sitemap", "url")
_KNOWN_KEYS = {"name", "kind", "location", "keywords", "max_articles", "enabled"}


class SourcesError(MalformedDocumentError):
    """The sources file is invalid; the message names the entry and the field."""


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
        location = entry.get("location")
        if not isinstance(location, str) or not location.strip():
            raise SourcesError(f"{where}: 'location' is required")
        keywords = entry.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise SourcesError(f"{where}: 'keywords' must be a list of strings")
        max_articles = entry.get("max_articles")
        if max_articles is not None and (not isinstance(max_articles, int) or max_articles < 1):
            raise SourcesError(f"{where}: 'max_articles' must be a positive integer")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise SourcesError(f"{where}: 'enabled' must be true or false")
        options = {k: v for k, v in entry.items() if k not in _KNOWN_KEYS}
        specs.append(
            SourceSpec(
                name=name.strip(),
                kind=kind,
                location=location.strip(),
                keywords=tuple(keywords),
                max_articles=max_articles,
                enabled=enabled,
                options=options,
            )
        )
    return specs
