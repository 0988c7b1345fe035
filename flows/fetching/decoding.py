"""Undoing content codings with bounded memory.

Memory: the size cap applies to the body after every content-coding layer is undone, and the
layers are undone in steps of bounded output (a 3.5 KB "gzip, gzip" body that inflates to
2 GB is stopped at the cap, not inflated first). Credentials in a URL are dropped before it is
requested. Any error while fetching one URL is a FetchError for that URL, never another kind.
"""

from __future__ import annotations

import zlib

from .errors import ContentEncodingError, TooLargeError

MAX_CODING_LAYERS = 2


class Inflater:
    """Undoes one content-coding layer (gzip or deflate) with bounded output: at most
    ``limit`` + 1 bytes in all, whatever the compression ratio."""

    def __init__(self, coding: str, url: str, limit: int) -> None:
        self.coding = coding
        self.url = url
        self.limit = limit
        self.produced = 0
        self._raw_deflate_tried = coding != "deflate"
        wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> bytes:
        if self._z.eof or not data:
            return b""
        try:
            out = self._z.decompress(data, self.limit - self.produced + 1)
        except zlib.error as exc:
            if self.produced or self._raw_deflate_tried:
                raise ContentEncodingError(self.url, f"invalid {self.coding} data: {exc}") from None
            # "deflate" is zlib-wrapped by the standard, raw deflate in practice on some servers.
            self._raw_deflate_tried = True
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(data)
        self.produced += len(out)
        if self._z.unconsumed_tail or self.produced > self.limit:
            raise TooLargeError(
                self.url, f"decoded body exceeds the {self.limit}-byte cap (download aborted)"
            )
        return out

    def finish(self) -> bytes:
        """What is left once the body has ended (a truncated stream keeps what was decoded,
        as browsers do)."""
        try:
            out = self._z.flush()
        except zlib.error as exc:
            raise ContentEncodingError(self.url, f"invalid {self.coding} data: {exc}") from None
        self.produced += len(out)
        if self.produced > self.limit:
            raise TooLargeError(
                self.url, f"decoded body exceeds the {self.limit}-byte cap (download aborted)"
            )
        return out


def inflaters(header: str | None, url: str, limit: int) -> list[Inflater]:
    """The decoders for a Content-Encoding header, in the order they are undone."""
    codings = [c.strip().lower() for c in (header or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > MAX_CODING_LAYERS:
        raise ContentEncodingError(
            url, f"{len(codings)} content-coding layers ({header}): at most two are read"
        )
    for coding in codings:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise ContentEncodingError(url, f"unsupported content coding {coding!r}")
    return [Inflater(c, url, limit) for c in reversed(codings)]
