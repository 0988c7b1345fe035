"""Fingerprints: the content hash that identifies an article's text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (NFKC, punctuation and
    whitespace differences ignored), so trivially re-formatted copies compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str:
    """SHA-256 hex digest of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def institution_key(name: str | None) -> str:
    """A comparable key for an institution name: lower case, ASCII letters and digits only."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("'s ", " ").replace("’s ", " ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
