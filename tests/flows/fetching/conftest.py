"""Helpers of the HTTP client's tests."""

from flows.fetching.client import FetchConfig

LOOPBACK_ONLY = ("127.0.0.1/32",)


def config(**overrides):
    values = dict(
        user_agent="cgt-monitor/test (+https://example.org/bot)",
        read_timeout=0.5,
        total_timeout=5,
        retries=2,
        backoff_base=0.01,
        per_host_delay=0,
        allowed_networks=LOOPBACK_ONLY,
    )
    values.update(overrides)
    return FetchConfig(**values)
