"""Caps and content decoding as a transport layer: a response body comes out of the transport
already decoded and never larger than its request allowed, whoever reads it.

    transport = BoundedTransport(GuardedTransport(guard, httpx.AsyncHTTPTransport()))
    request = client.build_request("GET", url, extensions=body_limit(url, 5_000_000, 30.0))

A request that names no limit passes through untouched. With one, the transport
- refuses a 2xx answer whose Content-Length is over the cap (TooLargeError, no body read);
- undoes the Content-Encoding layers (``flows.fetching.decoding``; at most two, gzip or deflate)
  in steps of bounded output, so a small "gzip, gzip" body that inflates to gigabytes is
  stopped at the cap; the response it returns carries no Content-Encoding or Content-Length;
- stops at the cap (TooLargeError, or with ``truncate`` the first ``limit`` bytes: robots.txt)
  and at the body's time limit (FetchTimeoutError);
- turns a body that stalls or breaks off into FetchTimeoutError / ConnectionFailedError.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from .decoding import inflaters
from .errors import ConnectionFailedError, FetchTimeoutError, TooLargeError

BODY_LIMIT = "cgt_monitor.body_limit"  # the request extension naming a BodyLimit


@dataclass(frozen=True, slots=True)
class BodyLimit:
    url: str  # as errors name it
    limit: int  # bytes, before and after decoding
    seconds: float  # to read the whole body
    truncate: bool = False  # keep the first ``limit`` bytes instead of failing


def body_limit(url: str, limit: int, seconds: float, *, truncate: bool = False) -> dict[str, object]:
    """The extensions of a request whose body is read under these limits."""
    return {BODY_LIMIT: BodyLimit(url, limit, seconds, truncate)}


class BoundedTransport(httpx.AsyncBaseTransport):
    """Applies each request's ``BodyLimit`` to its response (see the module's docstring)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        bounds = request.extensions.get(BODY_LIMIT)
        if not isinstance(bounds, BodyLimit):
            return response
        declared = response.headers.get("content-length")
        if (
            200 <= response.status_code < 300
            and not bounds.truncate
            and declared
            and declared.isdigit()
            and int(declared) > bounds.limit
        ):
            await response.aclose()
            raise TooLargeError(bounds.url, f"body of {declared} bytes exceeds the {bounds.limit}-byte cap")
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")
        ]
        stream = _BoundedStream(response, bounds, response.headers.get("content-encoding"))
        return httpx.Response(
            response.status_code, headers=headers, stream=stream, extensions=response.extensions
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _BoundedStream(httpx.AsyncByteStream):
    def __init__(self, response: httpx.Response, bounds: BodyLimit, coding: str | None) -> None:
        self._response = response
        self._bounds = bounds
        self._coding = coding

    async def __aiter__(self) -> AsyncIterator[bytes]:
        url, limit = self._bounds.url, self._bounds.limit
        decoders = inflaters(self._coding, url, limit)  # an unreadable coding fails on reading
        raw_size = size = 0
        started = time.monotonic()
        try:
            async for raw in self._response.stream:  # type: ignore[union-attr]
                raw_size += len(raw)
                chunk = raw
                try:
                    for inflater in decoders:
                        chunk = inflater.feed(chunk)
                except TooLargeError:
                    if self._bounds.truncate:
                        return
                    raise
                if raw_size > limit or size + len(chunk) > limit:
                    if self._bounds.truncate:
                        yield chunk[: limit - size]
                        return
                    raise TooLargeError(url, f"body exceeds the {limit}-byte cap (download aborted)")
                if time.monotonic() - started > self._bounds.seconds:
                    raise FetchTimeoutError(url, "body took longer than the total timeout")
                size += len(chunk)
                if chunk:
                    yield chunk
            tail = b""
            for inflater in decoders:
                tail = inflater.feed(tail) + inflater.finish()
        except TooLargeError:
            if self._bounds.truncate:
                return
            raise
        except httpx.TimeoutException as exc:
            raise FetchTimeoutError(url, f"timed out reading the body ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise ConnectionFailedError(
                url, f"connection failed while reading: {type(exc).__name__}"
            ) from exc
        if size + len(tail) > limit:
            if self._bounds.truncate:
                yield tail[: limit - size]
                return
            raise TooLargeError(url, f"body exceeds the {limit}-byte cap (download aborted)")
        if tail:
            yield tail

    async def aclose(self) -> None:
        await self._response.aclose()  # the inner response's stream: its connection goes back
