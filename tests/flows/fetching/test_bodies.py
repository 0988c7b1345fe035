"""Caps and content decoding as a transport (``flows.fetching.bodies``), under a plain httpx
client: what any reader of a response gets, with no help from ``Fetcher``."""

import asyncio
import gzip
import zlib

import httpx
import pytest

from flows.fetching.bodies import BoundedTransport, body_limit
from flows.fetching.errors import ContentEncodingError, FetchTimeoutError, TooLargeError
from tests.hostile_server import Hostile

TEXT = b"<html><body><p>Stem cell therapy for knee osteoarthritis.</p></body></html>" * 20


def get(url, extensions=None):
    """Status, headers and body of one GET through the bounded transport."""

    async def go():
        async with httpx.AsyncClient(transport=BoundedTransport(httpx.AsyncHTTPTransport())) as client:
            request = client.build_request("GET", url, extensions=extensions or {})
            response = await client.send(request, stream=True)
            try:
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
            return response.status_code, response.headers, body

    return asyncio.run(go())


def test_a_body_comes_out_decoded_and_the_coding_headers_go():
    with Hostile() as site:
        site.routes["/twice"] = {
            "body": gzip.compress(gzip.compress(TEXT)),
            "headers": {"Content-Encoding": "gzip, gzip"},
        }
        site.routes["/deflate"] = {"body": zlib.compress(TEXT), "headers": {"Content-Encoding": "deflate"}}
        for path in ("/twice", "/deflate"):
            url = f"{site.base}{path}"
            status, headers, body = get(url, body_limit(url, 100_000, 5.0))
            assert (status, body) == (200, TEXT)
            assert "content-encoding" not in headers and "content-length" not in headers


def test_a_request_without_limits_passes_through_untouched():
    with Hostile() as site:
        raw = gzip.compress(TEXT)
        site.routes["/gz"] = {"body": raw, "headers": {"Content-Encoding": "gzip"}}
        status, headers, body = get(f"{site.base}/gz")
        assert (status, headers["content-encoding"], body) == (200, "gzip", raw)


def test_the_cap_holds_before_and_after_decoding():
    with Hostile() as site:
        site.routes["/declared"] = {"body": TEXT}
        site.routes["/inflates"] = {
            "body": gzip.compress(b"0" * 50_000),
            "headers": {"Content-Encoding": "gzip"},
        }
        url = f"{site.base}/declared"
        with pytest.raises(TooLargeError, match=f"body of {len(TEXT)} bytes exceeds the 1000-byte cap"):
            get(url, body_limit(url, 1000, 5.0))
        url = f"{site.base}/inflates"  # ~100 bytes on the wire, 50,000 decoded
        with pytest.raises(TooLargeError, match="decoded body exceeds the 10000-byte cap"):
            get(url, body_limit(url, 10_000, 5.0))
    assert site.requests["/declared"] == 1


def test_truncate_keeps_the_first_bytes_within_the_cap():
    with Hostile() as site:
        site.routes["/robots.txt"] = {"body": TEXT, "headers": {"Content-Type": "text/plain"}}
        site.routes["/gz-robots.txt"] = {
            "body": gzip.compress(b"0" * 50_000),
            "headers": {"Content-Encoding": "gzip"},
        }
        url = f"{site.base}/robots.txt"
        assert get(url, body_limit(url, 1000, 5.0, truncate=True))[2] == TEXT[:1000]
        url = f"{site.base}/gz-robots.txt"
        assert len(get(url, body_limit(url, 1000, 5.0, truncate=True))[2]) <= 1000


def test_unreadable_codings_and_stalled_bodies_are_fetch_errors():
    with Hostile() as site:
        site.routes["/fake-gzip"] = {"body": TEXT, "headers": {"Content-Encoding": "gzip"}}
        site.routes["/brotli"] = {"body": TEXT, "headers": {"Content-Encoding": "br"}}
        site.routes["/stall"] = {"body": TEXT, "stall": 1.0}
        url = f"{site.base}/fake-gzip"
        with pytest.raises(ContentEncodingError, match="invalid gzip data"):
            get(url, body_limit(url, 100_000, 5.0))
        url = f"{site.base}/brotli"
        with pytest.raises(ContentEncodingError, match="unsupported content coding 'br'"):
            get(url, body_limit(url, 100_000, 5.0))

        async def stalled():
            transport = BoundedTransport(httpx.AsyncHTTPTransport())
            async with httpx.AsyncClient(transport=transport, timeout=0.3) as client:
                url = f"{site.base}/stall"  # promises 100 bytes more than it sends, then waits
                request = client.build_request("GET", url, extensions=body_limit(url, 100_000, 5.0))
                response = await client.send(request, stream=True)
                try:
                    await response.aread()
                finally:
                    await response.aclose()

        with pytest.raises(FetchTimeoutError, match="timed out reading the body"):
            asyncio.run(stalled())
