import pytest


@pytest.fixture(scope="session", autouse=True)
def _prefect_api(prefect_harness):
    """The benchmark's smoke run reports to the session's one temporary Prefect API."""
    yield
