"""The fetcher against the fixture site on 127.0.0.1 (real sockets, no mocked transport)."""

import asyncio
import time

import pytest

from flows.fetching.client import (
    ContentTypeError,
    Fetcher,
    ForbiddenAddressError,
    PageStatusError,
    PermanentFetchError,
    TooLargeError,
)
from tests.flows.fetching.conftest import config


def fetch(url, cfg=None, **kwargs):
    async def go():
        async with Fetcher(cfg or config()) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def test_conditional_get_answers_304_with_the_stored_validators(site):
    first = fetch(f"{site.base}/news/stem-cell-knee")
    assert first.status == 200 and first.etag and first.last_modified
    again = fetch(f"{site.base}/news/stem-cell-knee", etag=first.etag)
    assert again.not_modified and again.content == b""
    by_date = fetch(f"{site.base}/news/stem-cell-knee", last_modified=first.last_modified)
    assert by_date.not_modified
    assert site.conditional["/news/stem-cell-knee"] == 2


def test_retry_after_is_honoured_on_429(site):
    started = time.monotonic()
    result = fetch(f"{site.base}/retry-after", config(backoff_base=0))
    assert result.status == 200
    assert site.requests["/retry-after"] == 2
    assert time.monotonic() - started >= 0.9  # waited the server's Retry-After: 1


def test_loopback_is_refused_without_the_allow_list_and_nothing_is_sent(site):
    with pytest.raises(ForbiddenAddressError):
        fetch(f"{site.base}/news/stem-cell-knee", config(allowed_networks=()))
    assert site.requests["/news/stem-cell-knee"] == 0
    other = site.base.replace("127.0.0.1", "127.0.0.2")
    with pytest.raises(ForbiddenAddressError):
        fetch(f"{other}/news/stem-cell-knee")  # 127.0.0.2 is not on the allow-list


def test_permanent_errors_are_not_retried(site):
    with pytest.raises(PageStatusError) as info:
        fetch(f"{site.base}/gone")
    assert (
        isinstance(info.value, PermanentFetchError)
        and not info.value.transient
        and not info.value.retry_later
    )
    assert site.requests["/gone"] == 1


def test_size_cap_and_content_type(site):
    with pytest.raises(TooLargeError):
        fetch(f"{site.base}/news/stem-cell-knee", config(max_bytes=1000))  # Content-Length says more
    with pytest.raises(TooLargeError):
        fetch(f"{site.base}/huge", config(max_bytes=100_000))  # streamed, aborted
    with pytest.raises(ContentTypeError):
        fetch(f"{site.base}/robots.txt")  # text/plain is not HTML


def test_requests_to_one_host_are_spaced_by_the_minimum_delay(site):
    async def go():
        async with Fetcher(config(per_host_delay=0.3, respect_robots=False)) as fetcher:
            started = time.monotonic()
            await asyncio.gather(
                *(
                    fetcher.fetch(f"{site.base}/news/{s}")
                    for s in ("stem-cell-knee", "city-budget", "br-layout")
                )
            )
            return time.monotonic() - started

    assert asyncio.run(go()) >= 0.6  # three requests: two gaps of at least 0.3 s


def test_a_refused_connection_is_transient_retried_and_queued_for_a_later_run():
    import socket

    from flows.fetching.errors import ConnectionFailedError, TransientFetchError

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        fetch(f"http://127.0.0.1:{port}/a", config(retries=2, backoff_base=0.2, respect_robots=False))
    assert isinstance(info.value, TransientFetchError) and info.value.retry_later
    assert info.value.kind == "unreachable"
    assert time.monotonic() - started >= 0.2  # it waited before trying again


def test_every_fetch_error_is_transient_or_permanent_by_its_class():
    from flows.fetching import errors

    leaves = [
        c
        for c in vars(errors).values()
        if isinstance(c, type)
        and issubclass(c, errors.FetchError)
        and c not in (errors.FetchError, errors.TransientFetchError, errors.PermanentFetchError)
    ]
    assert len(leaves) == 12
    for cls in leaves:
        transient = issubclass(cls, errors.TransientFetchError)
        assert transient != issubclass(cls, errors.PermanentFetchError), cls
        assert cls("https://example.org/", "x").transient is transient
        assert cls("https://example.org/", "x").retry_later is transient
    assert errors.RobotsDisallowedError("https://example.org/", "x", retry_later=True).retry_later


def test_the_address_guard_is_the_transport_every_request_passes(site):
    import httpx

    from flows.fetching.addresses import AddressGuard, GuardedTransport

    async def get(allowed):
        transport = GuardedTransport(AddressGuard(allowed), httpx.AsyncHTTPTransport())
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(f"{site.base}/news/stem-cell-knee")).status_code

    with pytest.raises(ForbiddenAddressError):
        asyncio.run(get(()))
    assert site.requests["/news/stem-cell-knee"] == 0  # refused before a connection was opened
    assert asyncio.run(get(("127.0.0.1/32",))) == 200
