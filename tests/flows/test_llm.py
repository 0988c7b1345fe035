"""The llm extractor against a fake OpenAI-compatible server on 127.0.0.1 (tests/llm_server.py):
good answers stored through a real `cgt-monitor run`, every way an answer or the server can go
wrong handled without losing an article, the cache, and the API key kept out of sight."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime

import pytest
from prefect.exceptions import ObjectNotFound
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from flows.bootstrap import prepare_database
from flows.cli import app
from flows.llm import LIMIT_NAME, ChatClient, LlmConfig, LlmError, LlmRefiner
from flows.local import RawDocument
from parsers.claims import claim_extractor
from parsers.models import ParsedArticle, SourceSpec
from parsers.pipeline import extract_articles
from storage.queries import list_claims
from tests.llm_server import FakeModel

KEY = "sk-test-do-not-leak-7f3a9c"
runner = CliRunner()
SENTENCE = "Doctors at Harbor Hospital treated six patients with lupus using CAR-T cells in a phase 1 trial."


def article_text(mode: str | None = None, n: int = 0) -> str:
    marker = f" [fake:{mode}]" if mode else ""
    return (
        f"{SENTENCE}\n\nFive of the six patients were in remission after three months, report {n} says.{marker}\n\n"
        "The hospital plans a larger study next year."
    )


@pytest.fixture
def fake():
    server = FakeModel().start()
    yield server
    server.stop()


@pytest.fixture
def llm_env(monkeypatch, fake, tmp_path):
    for key, value in {
        "CGT_MONITOR_EXTRACTOR": "llm",
        "CGT_MONITOR_LLM_BASE_URL": fake.base_url,
        "CGT_MONITOR_LLM_MODEL": "fake-model",
        "CGT_MONITOR_LLM_API_KEY": KEY,
        "CGT_MONITOR_LLM_TIMEOUT": "2",
        "CGT_MONITOR_LLM_RETRIES": "2",
        "CGT_MONITOR_BACKOFF_BASE": "0.05",
        "CGT_MONITOR_LLM_CIRCUIT_BREAKER": "3",
        "CGT_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'llm.db'}",
    }.items():
        monkeypatch.setenv(key, value)
    return fake


def sources_with(tmp_path, modes):
    folder = tmp_path / "articles"
    folder.mkdir()
    for n, mode in enumerate(modes):
        (folder / f"a{n}-{mode or 'good'}.txt").write_text(article_text(mode, n))
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "fixture"\nkind = "files"\naddress = "articles"\n')
    return sources


def run(sources, tmp_path):
    result = runner.invoke(app, ["run", "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_run_stores_the_models_checked_claims_and_a_second_run_sends_nothing(llm_env, tmp_path):
    sources = sources_with(tmp_path, [None, None])
    output = run(sources, tmp_path)
    assert len(llm_env.requests) == 2
    path, headers, body = llm_env.requests[0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == "fake-model" and body["response_format"]["type"] == "json_schema"
    engine = prepare_database(f"sqlite:///{tmp_path / 'llm.db'}")
    claims = list_claims(engine)
    # Of the fake's three claims per article, the quote not in the text and the stage outside
    # the vocabulary are dropped: the one left is the same in both articles (one claim).
    assert [(c.institution, c.therapy, c.indication, c.stage, c.patients) for c in claims] == [
        ("Harbor Hospital", "CAR-T cell therapy", "systemic lupus erythematosus", "clinical_trial", 6)
    ]
    assert claims[0].mention_count == 2 and claims[0].location == "Fakeville"
    assert "2 articles sent, 2 answered (0 from the cache" in output and "4 left out by the checks" in output
    again = run(sources, tmp_path)  # the same texts: the kept answers, no request
    assert len(llm_env.requests) == 2 and "2 answered (2 from the cache, 0 requests" in again


def test_a_copy_of_an_article_is_answered_from_the_cache(llm_env, tmp_path):
    sources = sources_with(tmp_path, [None])
    run(sources, tmp_path)
    copy = tmp_path / "articles" / "copy.txt"
    copy.write_text((tmp_path / "articles" / "a0-good.txt").read_text())
    output = run(sources, tmp_path)
    assert len(llm_env.requests) == 1  # the same text (and the original again): kept answers
    assert "2 articles sent, 2 answered (2 from the cache, 0 requests" in output


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        ("invalid-json", "invalid JSON"),
        ("refusal", "refusal"),
        ("empty", "empty answer"),
        ("server-error", "server error"),
        ("stall", "timeout"),
        ("huge", "answer too large"),
    ],
)
def test_an_unusable_answer_falls_back_to_the_offline_claims_and_is_recorded(llm_env, tmp_path, mode, kind):
    sources = sources_with(tmp_path, [mode])
    started = time.monotonic()
    output = run(sources, tmp_path)
    assert time.monotonic() - started < 60
    assert f"1 fell back to the offline extractor (1 {kind})" in output
    engine = prepare_database(f"sqlite:///{tmp_path / 'llm.db'}")
    offline = claim_extractor("learned").extract_text(article_text(mode, 0))
    assert offline and len(list_claims(engine)) == len(offline)  # the article is stored, not lost
    with engine.connect() as conn:
        stages = [row[0] for row in conn.execute(text("SELECT stage FROM failures"))]
    assert stages == ["llm"]


def test_429_is_retried_after_the_time_it_asks(llm_env, tmp_path):
    sources = sources_with(tmp_path, ["rate-limited"])
    output = run(sources, tmp_path)
    assert len(llm_env.requests) == 2 and llm_env.times[1] - llm_env.times[0] >= 0.9
    assert "1 answered" in output


def test_a_server_without_structured_output_is_asked_again_in_json_mode(llm_env, tmp_path):
    output = run(sources_with(tmp_path, ["schema-400", "schema-400"]), tmp_path)
    formats = [body["response_format"]["type"] for _, _, body in llm_env.requests]
    assert formats.count("json_object") == 2 and formats[-1] == "json_object"  # each article, once refused
    assert "2 answered" in output


def test_the_circuit_opens_after_failures_in_a_row(llm_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CGT_MONITOR_LLM_RETRIES", "0")
    output = run(sources_with(tmp_path, ["server-error"] * 6), tmp_path)
    assert len(llm_env.requests) == 3  # the breaker's three, then no more this run
    assert "6 fell back" in output and "circuit open" in output


def test_the_model_down_for_the_whole_run_loses_nothing(monkeypatch, tmp_path):
    for key, value in {
        "CGT_MONITOR_EXTRACTOR": "llm",
        "CGT_MONITOR_LLM_BASE_URL": "http://127.0.0.1:9/v1",  # nothing listens there
        "CGT_MONITOR_LLM_MODEL": "fake-model",
        "CGT_MONITOR_LLM_RETRIES": "1",
        "CGT_MONITOR_BACKOFF_BASE": "0.01",
        "CGT_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'llm.db'}",
    }.items():
        monkeypatch.setenv(key, value)
    output = run(sources_with(tmp_path, [None, None, None]), tmp_path)
    assert "3 fell back to the offline extractor (3 unreachable)" in output
    engine = prepare_database(f"sqlite:///{tmp_path / 'llm.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 3


def test_the_api_key_is_in_no_log_artifact_or_table(llm_env, tmp_path, caplog):
    output = run(sources_with(tmp_path, [None, "invalid-json"]), tmp_path)
    assert KEY not in output and KEY not in caplog.text
    engine = prepare_database(f"sqlite:///{tmp_path / 'llm.db'}")
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert KEY not in " ".join(map(str, row)), table
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="cgt-monitor"))
            )

    found = asyncio.run(artifacts())
    assert found and all(KEY not in json.dumps(a.data, default=str) for a in found)
    digest = max((a for a in found if a.key == "cgt-monitor-digest"), key=lambda a: a.created)
    assert "## Language model" in str(digest.data)


def test_extract_with_the_llm_extractor_prints_the_checked_claims(llm_env, tmp_path):
    path = tmp_path / "one.txt"
    path.write_text(article_text())
    result = runner.invoke(app, ["extract", "--json", "--extractor", "llm", str(path)])
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)
    [claim] = item["claims"]
    assert (
        claim["evidence"] == SENTENCE
        and claim["stage"] == "clinical_trial"
        and claim["location"] == "Fakeville"
    )


def test_the_client_bounds_size_and_time_and_honours_retry_after(fake):
    config = LlmConfig(fake.base_url, "m", timeout=1.0, max_response_bytes=1000, retries=0)

    async def ask(mode):
        client = ChatClient(config)
        try:
            body = {"messages": [{"role": "user", "content": f"Text:\nA sentence. [fake:{mode}]"}]}
            return await client.complete(body)
        finally:
            await client.aclose()

    with pytest.raises(LlmError, match="larger than 1000 bytes"):
        asyncio.run(ask("huge"))
    with pytest.raises(LlmError, match="within 1 s|timed out"):
        asyncio.run(ask("stall"))
    with pytest.raises(LlmError, match="HTTP 429") as caught:
        asyncio.run(ask("rate-limited"))
    assert caught.value.transient and caught.value.retry_after == 1.0


def test_the_pre_filter_sends_only_articles_that_name_a_cell_or_gene_therapy(fake):
    refiner = LlmRefiner(LlmConfig(fake.base_url, "m"), engine=None)
    extracted = extract_articles(
        [
            ParsedArticle(article_text(), datetime.now(UTC)),
            ParsedArticle("The council met to discuss the budget for roads and schools.", datetime.now(UTC)),
        ],
        claim_extractor("learned"),
    )
    docs = [(RawDocument(f"d{n}", f"d{n}", b"", datetime.now(UTC)), e) for n, e in enumerate(extracted)]
    results, failures = asyncio.run(refiner.refine(SourceSpec("s", "files", "."), docs))
    assert refiner.stats.sent == 1 and len(fake.requests) == 1 and failures == []
    assert results[1][1].claims == ()


def test_the_runs_budget_of_requests_is_kept(llm_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CGT_MONITOR_LLM_MAX_CALLS_PER_RUN", "1")
    output = run(sources_with(tmp_path, [None, "invalid-json", "refusal"]), tmp_path)
    assert len(llm_env.requests) == 1
    assert "2 budget spent" in output


def test_the_runs_budget_of_tokens_is_kept(llm_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CGT_MONITOR_LLM_MAX_TOKENS_PER_RUN", "150")  # the fake counts 150 per answer
    monkeypatch.setenv("CGT_MONITOR_LLM_CONCURRENCY", "1")
    output = run(sources_with(tmp_path, [None, "slow", "rate-limited"]), tmp_path)
    assert len(llm_env.requests) == 1
    assert "1 answered" in output and "2 budget spent" in output


async def _limit(action: str, size: int = 0):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    async with get_client() as client:
        if action == "create":
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=LIMIT_NAME, limit=size)
            )
        elif action == "read":
            return (await client.read_global_concurrency_limit_by_name(LIMIT_NAME)).limit
        else:
            with contextlib.suppress(ObjectNotFound):
                await client.delete_global_concurrency_limit_by_name(LIMIT_NAME)
    return None


def test_a_run_creates_the_shared_concurrency_limit_and_keeps_to_one_set_elsewhere(
    llm_env, tmp_path, monkeypatch
):
    monkeypatch.setenv("CGT_MONITOR_LLM_CONCURRENCY", "4")
    asyncio.run(_limit("delete"))
    try:
        run(sources_with(tmp_path, [None]), tmp_path)
        assert asyncio.run(_limit("read")) == 4  # created with the setting's slots
        # Set to one slot elsewhere (the UI, `prefect gcl update`): a run asks one at a time
        # although its own setting allows four.
        asyncio.run(_limit("delete"))
        asyncio.run(_limit("create", 1))
        llm_env.most_in_flight = 0
        (tmp_path / "articles").rename(tmp_path / "first")
        output = run(sources_with(tmp_path, ["slow"] * 4), tmp_path)
        assert "4 answered (0 from the cache, 4 requests" in output
        assert llm_env.most_in_flight == 1 and asyncio.run(_limit("read")) == 1
    finally:
        asyncio.run(_limit("delete"))
