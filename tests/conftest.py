"""Test-wide setup: Prefect and cgt-monitor write only into temporary folders."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Before anything imports prefect: a private PREFECT_HOME, no analytics, quiet logs.
_PREFECT_HOME = tempfile.mkdtemp(prefix="cgt-monitor-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Storage and flow tests also run on PostgreSQL when a server URL is given (.ci/run does).
POSTGRES_URL = os.environ.get("CGT_MONITOR_TEST_POSTGRES_URL", "").strip()
for _key in [k for k in os.environ if k.startswith("CGT_MONITOR_")]:
    del os.environ[_key]
# The pipeline's tests check what it does with claims (storing, counting, digests) against the
# rule extractor's known claims of the seed (SEED_CLAIMS), which no retraining changes; the
# learned extractor (the default) has tests of its own (tests/parsers/claims/) and runs end to
# end in tests/flows/test_ingest.py.
os.environ["CGT_MONITOR_EXTRACTOR"] = "rules"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ARTICLE = SEEDS / "2026-01-19_chinadaily_guangzhou-cell-gene-therapy.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The five claims the seed article states (institution, therapy, indication, stage).
SEED_CLAIMS = {
    (
        "Nansha Hospital of Guangzhou First People's Hospital",
        "cell and gene therapy",
        "acute-on-chronic liver failure",
        "clinical_use",
    ),
    (
        "Nansha Hospital of Guangzhou First People's Hospital",
        "cell and gene therapy",
        "ischemic stroke",
        "clinical_use",
    ),
    (
        "Nansha Hospital of Guangzhou First People's Hospital",
        "cell therapy",
        "knee osteoarthritis",
        "clinical_use",
    ),
    (
        "Guangzhou Institute of Biomedicine and Health, Chinese Academy of Science",
        "stem cell therapy",
        "cancer",
        "research",
    ),
    (
        "Guangzhou Institute of Biomedicine and Health, Chinese Academy of Science",
        "stem cell therapy",
        "Parkinson's disease",
        "clinical_trial",
    ),
}


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (entering it costs seconds), started by
    the first test that needs it (the flow and benchmark tests ask for it in their conftest)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def seed_sources(tmp_path: Path) -> Path:
    """A sources file in a temporary folder listing a copy of the seed article."""
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED_ARTICLE, articles / SEED_ARTICLE.name)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "seed"\nkind = "files"\naddress = "articles"\n')
    return sources


BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A new, empty database: an SQLite file, or a fresh PostgreSQL database when
    CGT_MONITOR_TEST_POSTGRES_URL is set (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'cgt.db'}"
        return
    from uuid import uuid4

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"cgt_test_{uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@functools.cache
def engine_of(database_url: str):  # type: ignore[no-untyped-def]
    """An engine on a database that a run made, for a test to read what it stored (one per URL:
    tests read the same database many times)."""
    from storage.database import make_engine

    return make_engine(database_url)
