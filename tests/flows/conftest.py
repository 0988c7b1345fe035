import pytest


@pytest.fixture(scope="session", autouse=True)
def _prefect_api(prefect_harness):
    """Every flow test talks to the session's one temporary Prefect API (tests/conftest.py)."""
    yield


@pytest.fixture
def site():
    """The fixture news site on a real HTTP server at 127.0.0.1 (a fresh one per test)."""
    from tests.site_server import FixtureSite

    server = FixtureSite().start()
    yield server
    server.stop()


@pytest.fixture
def web_env(monkeypatch):
    """Settings for tests against the fixture site: loopback allowed, short timeouts."""
    for key, value in {
        "CGT_MONITOR_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32",
        "CGT_MONITOR_READ_TIMEOUT": "0.5",
        "CGT_MONITOR_CONNECT_TIMEOUT": "1",
        "CGT_MONITOR_TOTAL_TIMEOUT": "5",
        "CGT_MONITOR_RETRIES": "2",
        "CGT_MONITOR_BACKOFF_BASE": "0.05",
        "CGT_MONITOR_PER_HOST_DELAY": "0",
        "CGT_MONITOR_PER_HOST_CONCURRENCY": "4",
    }.items():
        monkeypatch.setenv(key, value)
