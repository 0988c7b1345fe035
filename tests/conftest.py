"""Test-wide setup: Prefect and cgt-monitor write only into temporary folders."""

from __future__ import annotations

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
for _key in [k for k in os.environ if k.startswith("CGT_MONITOR_")]:
    del os.environ[_key]

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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def seed_sources(tmp_path: Path) -> Path:
    """A sources file in a temporary folder listing a copy of the seed article."""
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED_ARTICLE, articles / SEED_ARTICLE.name)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "seed"\nkind = "files"\nlocation = "articles"\n')
    return sources


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'cgt.db'}"
