"""What the Prefect UI shows: artifacts with stable keys, progress, the Failed state when every
source fails, the served deployment, and the Dask / process-pool extraction options."""

import asyncio
import base64
import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.artifacts import DIGEST_KEY, PROGRESS_KEY, TABLE_KEY, TIMELINE_KEY
from flows.deploy import DEPLOYMENT_NAME, build_deployment
from flows.ingest import ingest
from flows.settings import load_settings
from storage.queries import list_claims
from tests.conftest import SEED_CLAIMS, engine_of
from tests.corpus import make_corpus


async def run_artifacts(sources_file, database_url):
    state = await ingest(sources_file=str(sources_file), database_url=database_url, return_state=True)
    flow_run_id = state.state_details.flow_run_id
    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return state, {a.key: a for a in artifacts}


async def task_states(flow_run_id):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {r.name: (r.state.name, r.state.message or "") for r in runs}


def test_a_run_publishes_digest_table_timeline_and_progress(seed_sources, database_url):
    state, artifacts = asyncio.run(run_artifacts(seed_sources, database_url))
    assert state.is_completed()
    assert set(artifacts) == {DIGEST_KEY, TABLE_KEY, TIMELINE_KEY, PROGRESS_KEY}

    digest = artifacts[DIGEST_KEY].data
    assert artifacts[DIGEST_KEY].type == "markdown"
    assert digest.startswith("# What is new\n\n5 new developments · 0 stage moves")
    assert "## New developments" in digest and "## Stage moves" in digest and "## Failures" in digest
    for _institution, _therapy, indication, _stage in SEED_CLAIMS:
        assert indication in digest
    assert digest.count("— “") == 5  # an evidence quote on every item
    assert state.message.startswith("5 new developments") and state.name == "Completed"
    assert artifacts[DIGEST_KEY].description.startswith("What is new: 5 new developments")

    table = artifacts[TABLE_KEY].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert artifacts[TABLE_KEY].type == "table"
    cells = {(r["indication"], r["stage"]) for r in rows}
    for _institution, _therapy, indication, stage in SEED_CLAIMS:  # long cells are cut to fit 1600 px
        cell = indication if len(indication) <= 24 else indication[:23] + "…"
        assert (cell, stage) in cells
    assert len(rows) == len(SEED_CLAIMS)
    assert all(set(r) == set(rows[0]) for r in rows) and all(r["reported"] == "2026-01-19" for r in rows)
    assert list(rows[0])[:5] == ["reported", "stage", "therapy", "indication", "institution"]

    chart = artifacts[TIMELINE_KEY].data
    encoded = chart.split("data:image/png;base64,", 1)[1].split(")", 1)[0]
    assert base64.b64decode(encoded).startswith(b"\x89PNG\r\n\x1a\n")

    assert artifacts[PROGRESS_KEY].type == "progress" and float(artifacts[PROGRESS_KEY].data) == 100.0


def test_second_run_digest_reports_nothing_new(seed_sources, database_url):
    asyncio.run(run_artifacts(seed_sources, database_url))
    _, artifacts = asyncio.run(run_artifacts(seed_sources, database_url))
    assert "0 new developments · 0 stage moves" in artifacts[DIGEST_KEY].data
    table = artifacts[TABLE_KEY].data
    assert (json.loads(table) if isinstance(table, str) else table) == []


def test_a_failing_source_is_a_warning_and_all_failing_ends_failed(tmp_path, seed_sources, database_url):
    mixed = tmp_path / "mixed.toml"
    mixed.write_text(
        seed_sources.read_text() + '\n[[source]]\nname="gone"\nkind="files"\naddress="nowhere"\n'
    )
    state, artifacts = asyncio.run(run_artifacts(mixed, database_url))
    assert state.is_completed()
    assert "`gone` [read]" in artifacts[DIGEST_KEY].data
    # the failing source is visible in the run's task list by its state's name
    states = asyncio.run(task_states(state.state_details.flow_run_id))
    assert states["ingest-source-gone"][0] == "Failed"  # it read nothing: red on the run page
    assert states["ingest-source-gone"][1].startswith("nothing read: 1 failure(s); first: [read]")
    assert states["ingest-source-seed"][0] == "Completed"

    broken = tmp_path / "broken.toml"
    broken.write_text('[[source]]\nname="gone"\nkind="files"\naddress="nowhere"\n')
    state, artifacts = asyncio.run(run_artifacts(broken, database_url))
    assert state.is_failed()
    assert state.message.startswith("all 1 source(s) failed; first: [read]")  # one line, no traceback
    assert "\n" not in state.message and "Traceback" not in state.message
    assert DIGEST_KEY in artifacts  # the digest still tells what failed


def test_the_served_deployment_has_the_schedule_and_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("CGT_MONITOR_SCHEDULE_CRON", "15 */4 * * *")
    settings = load_settings(
        sources_file=str(tmp_path / "sources.toml"), database_url=f"sqlite:///{tmp_path}/db/cgt.db"
    )
    deployment = build_deployment(settings)
    assert deployment.name == DEPLOYMENT_NAME
    assert [s.schedule.cron for s in deployment.schedules] == ["15 */4 * * *"]
    assert deployment.parameters == {
        "sources_file": str((tmp_path / "sources.toml").resolve()),
        "database_url": f"sqlite:///{tmp_path.resolve()}/db/cgt.db",
    }
    assert set(deployment._parameter_openapi_schema.properties) == {"sources_file", "database_url"}
    default = build_deployment(load_settings())
    assert [s.schedule.cron for s in default.schedules] == ["15 */4 * * *"]  # from the environment


def test_extraction_on_dask_and_on_a_process_pool_gives_the_same_claims(
    tmp_path, seed_sources, database_url, monkeypatch
):
    monkeypatch.setenv("CGT_MONITOR_TASK_RUNNER", "dask")
    monkeypatch.setenv("CGT_MONITOR_DASK_WORKERS", "2")
    summary = asyncio.run(ingest(sources_file=str(seed_sources), database_url=database_url))
    assert summary.claims_new == 5
    assert {
        (c.institution, c.therapy, c.indication, c.stage) for c in list_claims(engine_of(database_url))
    } == SEED_CLAIMS

    monkeypatch.setenv("CGT_MONITOR_TASK_RUNNER", "default")
    make_corpus(tmp_path / "corpus", 40)
    corpus = tmp_path / "corpus.toml"
    corpus.write_text('[[source]]\nname="corpus"\nkind="files"\naddress="corpus"\n')
    single = tmp_path / "single.db"
    asyncio.run(ingest(sources_file=str(corpus), database_url=f"sqlite:///{single}"))
    monkeypatch.setenv("CGT_MONITOR_PARSE_WORKERS", "2")
    pooled = tmp_path / "pooled.db"
    asyncio.run(ingest(sources_file=str(corpus), database_url=f"sqlite:///{pooled}"))

    def claims(path):
        return sorted(
            (str(c.institution), c.therapy, c.indication, c.stage, c.mention_count)
            for c in list_claims(engine_of(f"sqlite:///{path}"))
        )

    assert claims(single) == claims(pooled) and claims(single)


def test_serve_creates_a_concurrency_limit_per_fetched_host(tmp_path):
    from prefect.client.orchestration import get_client

    from flows.deploy import ensure_fetch_limits

    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname="a"\nkind="feed"\naddress="https://feeds.example.org/rss"\n'
        '[[source]]\nname="b"\nkind="url"\naddress="https://news.example.net/x"\n'
        '[[source]]\nname="c"\nkind="files"\naddress="."\n'
    )
    settings = load_settings(sources_file=str(sources))
    created = asyncio.run(ensure_fetch_limits(settings))
    assert created == ["fetch:feeds.example.org", "fetch:news.example.net"]
    assert asyncio.run(ensure_fetch_limits(settings)) == []  # existing limits are kept

    async def limit_of(tag):
        async with get_client() as client:
            return (await client.read_concurrency_limit_by_tag(tag)).concurrency_limit

    assert asyncio.run(limit_of("fetch:feeds.example.org")) == settings.per_host_concurrency


def test_a_source_with_some_failures_is_named_so_and_the_run_completes(tmp_path, seed_sources, database_url):
    articles = seed_sources.parent / "articles"
    (articles / "empty.txt").write_text("")  # one bad file beside the seed article
    state, artifacts = asyncio.run(run_artifacts(seed_sources, database_url))
    assert state.is_completed() and "1 failure" in state.message and "**" not in state.message
    name, message = asyncio.run(task_states(state.state_details.flow_run_id))["ingest-source-seed"]
    assert name == "Completed with failures" and "empty.txt" in message
