"""Turn bytes into text, or say clearly why not."""

from __future__ import annotations

import codecs
import re

from bs4.dammit import UnicodeDammit

from ..errors import BinaryDocumentError, EmptyDocumentError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# Control characters other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff_charset(data: bytes) -> str | None:
    """The charset a document declares inside itself (HTML meta tag or XML declaration)."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    return _normalise_codec(name)


def _normalise_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # GB2312 and GBK pages routinely use characters only GB18030 (a superset) defines.
    if codec in {"gb2312", "gbk", "euc_cn", "hz"}:
        return "gb18030"
    # Browsers read "latin-1" as windows-1252; so do we.
    if codec in {"latin_1", "iso8859-1", "ascii"}:
        return "cp1252"
    return codec


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode ``data``: BOM; valid UTF-8; then the declared charset, the document's own
    declaration, GB18030 (only if the result is mostly CJK), and else BeautifulSoup's guess.

    Raises EmptyDocumentError for empty input and BinaryDocumentError for bytes that are not
    text in any of these encodings.
    """
    if not data or not data.strip():
        raise EmptyDocumentError("empty document")
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BinaryDocumentError("binary content (NUL bytes), not text")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(codec, errors="replace"))
    if not data.isascii():
        # Bytes that are valid UTF-8 and not plain ASCII are UTF-8, whatever the header or the
        # page declares: a single-byte charset's text is almost never valid UTF-8 by chance,
        # and servers often send "charset=iso-8859-1" for UTF-8 pages (mojibake otherwise).
        try:
            return _checked(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    candidates: list[str] = []
    for name in (_normalise_codec(declared), sniff_charset(data), "utf-8"):
        if name and name not in candidates:
            candidates.append(name)
    for codec in candidates:
        try:
            return _checked(data.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if _looks_chinese(text):
        return _checked(text)
    # Nothing declared fits. Western text in windows-1252 (what browsers assume for an
    # undeclared page) has a few accented letters inside mostly-ASCII words; Cyrillic or Greek
    # single-byte text read as windows-1252 gives whole words of accented letters. For those,
    # BeautifulSoup's UnicodeDammit guesses (charset-normalizer where installed); the guess is
    # taken for a non-Latin charset whose words do not glue Latin and non-Latin letters
    # together ("cafй" is windows-1252 read as windows-1251).
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _reads_western(western):
        return _checked(western)
    guess = UnicodeDammit(data, is_html=True)
    detected = _normalise_codec(guess.original_encoding)
    if (
        guess.unicode_markup is not None
        and detected not in (None, "cp1252", "utf-8")
        and not _mixes_scripts(guess.unicode_markup)
    ):
        return _checked(guess.unicode_markup)
    if western is not None:
        return _checked(western)
    raise BinaryDocumentError("undecodable bytes: not UTF-8, GB18030 or a single-byte charset")


def _reads_western(text: str) -> bool:
    """True when the words holding non-ASCII letters are still mostly ASCII letters."""
    ascii_letters = other_letters = 0
    for word in _WORD.findall(text[:65536]):
        if word.isascii():
            continue
        for c in word:
            if c.isascii():
                ascii_letters += 1
            else:
                other_letters += 1
    return other_letters < ascii_letters


_WORD = re.compile(r"[^\W\d_]+")


def _mixes_scripts(text: str) -> bool:
    """True when more than 5% of the words with non-ASCII letters also hold ASCII letters and
    letters beyond Latin (U+0250 on): the mark of a single-byte charset read as another."""
    non_ascii = mixed = 0
    for word in _WORD.findall(text[:65536]):
        if word.isascii():
            continue
        non_ascii += 1
        if any(c.isascii() for c in word) and any(ord(c) >= 0x250 for c in word):
            mixed += 1
    return non_ascii > 0 and mixed / non_ascii > 0.05


def _looks_chinese(text: str) -> bool:
    """True when a GB18030 decoding reads as Chinese: mostly CJK among the non-ASCII characters,
    in runs (windows-1252 text mis-read as GB18030 gives lone CJK characters inside Latin words)."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return False
    if sum(1 for c in non_ascii if _CJK.match(c)) / len(non_ascii) <= 0.6:
        return False
    runs = _CJK_RUN.findall(text)
    return bool(runs) and sum(map(len, runs)) / len(runs) >= 1.8


def _checked(text: str) -> str:
    """Reject decoded text that is mostly control characters (binary data)."""
    sample = text[:8192]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise BinaryDocumentError("binary content (control characters), not text")
    if "\ufffd" in sample and sample.count("\ufffd") > max(8, len(sample) // 50):
        raise BinaryDocumentError("undecodable bytes: too many replacement characters")
    return text
