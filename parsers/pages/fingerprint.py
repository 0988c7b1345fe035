"""Fingerprints of articles (institution keys: ``parsers.institution_keys``).

    content_hash(text)            SHA-256 of the normalised text: identical copies
    minhash_bands(text)           MinHash signature cut into LSH bands: near-duplicates
    jaccard(a, b)                 exact resemblance of two texts' word shingles

Near-duplicates (syndicated copies with a new headline or a few edited sentences) share
5-word shingles; MinHash with 32 bands of 4 rows makes any pair with resemblance >= 0.6 a
candidate with probability >= 0.98, and ``jaccard`` confirms it exactly.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass

from datasketch import MinHash

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
MIN_SHINGLES = 8  # shorter texts are compared by their hash only
NEAR_DUPLICATE_JACCARD = 0.6
# A text this much inside another is a copy of it (cut short, or with paragraphs added) ...
NEAR_DUPLICATE_CONTAINMENT = 0.85
# ... when the shorter has at least this many shingles (a few shared sentences are not a copy).
MIN_CONTAINED_SHINGLES = 40

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def normalise_text(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (NFKC, punctuation and
    whitespace differences ignored), so trivially re-formatted copies compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str:
    """SHA-256 hex digest of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def _tokens(norm: str) -> list[str]:
    if len(_CJK.findall(norm[:2000])) > 200:  # Chinese has no spaces: characters are the tokens
        return [c for c in norm if not c.isspace()]
    return norm.split()


def _shingles(norm: str) -> set[str]:
    words = _tokens(norm)
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


def shingles(text: str) -> set[str]:
    """The text's 5-word shingles (5-character ones for Chinese)."""
    return _shingles(normalise_text(text))


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard resemblance of the two texts' shingle sets."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 1.0 if normalise_text(a) == normalise_text(b) else 0.0
    return len(sa & sb) / len(sa | sb)


def resemblance(a: str, b: str) -> tuple[float, float]:
    """(Jaccard resemblance, containment) of two texts' shingle sets. Containment is the share
    of the shorter text's shingles found in the longer one: a wire copy cut to its first half,
    or a rewrite that adds paragraphs around the original, has a low Jaccard but a high
    containment."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        same = 1.0 if normalise_text(a) == normalise_text(b) else 0.0
        return same, same
    common = len(sa & sb)
    jaccard_score = common / len(sa | sb)
    if min(len(sa), len(sb)) < MIN_CONTAINED_SHINGLES:
        return jaccard_score, jaccard_score
    return jaccard_score, common / min(len(sa), len(sb))


def stated_in(passage: str, text: str) -> float:
    """The share of the passage's word pairs that ``text`` has too: near 1 when the text states
    the passage (a few words swapped lower it a little), near 0 when the passage is new."""
    words = _tokens(normalise_text(passage))
    pairs = {(a, b) for a, b in zip(words, words[1:], strict=False)}
    if not pairs:
        return 1.0 if not words or words[0] in _tokens(normalise_text(text)) else 0.0
    other = _tokens(normalise_text(text))
    return len(pairs & set(zip(other, other[1:], strict=False))) / len(pairs)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    content_hash: str
    bands: tuple[int, ...]  # empty for texts too short to compare by resemblance


def _band_key(band: int, values: bytes) -> int:
    digest = hashlib.blake2b(values, digest_size=8, person=b"cgtband" + bytes([band])).digest()
    return struct.unpack(">q", digest)[0]  # signed 64-bit: fits BIGINT on every backend


def fingerprint(text: str) -> Fingerprint:
    """The content hash and LSH band keys of an article text."""
    norm = normalise_text(text)
    digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
    grams = _shingles(norm)
    if len(grams) < MIN_SHINGLES:
        return Fingerprint(digest, ())
    # CRC-32 as the shingle hash: stable across processes and half the cost of SHA-1 here.
    sig = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32)
    sig.update_batch([g.encode("utf-8") for g in grams])
    values = sig.hashvalues.astype("<u4").tobytes()
    width = ROWS * 4
    return Fingerprint(digest, tuple(_band_key(b, values[b * width : (b + 1) * width]) for b in range(BANDS)))
