import shutil

import pytest
from sqlmodel import Session, select

from flows.ingest import run_ingest
from flows.summary import Failed, RunSummary
from storage.models import Article, ClaimRecord, Failure, Mention
from storage.queries import list_claims, table_counts
from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, engine_of


def claim_keys(engine):
    return {(c.institution, c.therapy, c.indication, c.stage) for c in list_claims(engine)}


def test_ingest_twice_over_the_seed_stores_the_five_claims_once(seed_sources, database_url):
    first = run_ingest(sources_file=str(seed_sources), database_url=database_url)
    engine = engine_of(database_url)
    assert isinstance(first, RunSummary) and all(isinstance(f, Failed) for f in first.failures)
    assert first.headline.startswith("5 new developments")  # the digest's first line, published
    assert first.articles_new == 1 and first.claims_new == 5 and first.failed == 0
    assert claim_keys(engine) == SEED_CLAIMS
    counts = table_counts(engine)
    assert counts["claims"] == 5 and counts["mentions"] == 5 and counts["articles"] == 1

    second = run_ingest(sources_file=str(seed_sources), database_url=database_url)
    assert second.articles_new == 0 and second.articles_seen == 1
    assert second.claims_new == 0 and second.mentions_new == 0
    assert table_counts(engine) == counts
    for row in list_claims(engine):
        assert row.first_seen.isoformat() == "2026-01-19" == row.last_seen.isoformat()
        assert row.mention_count == 1


def test_bad_files_are_recorded_and_the_run_goes_on(tmp_path, database_url):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x00\x01\x02PNG" * 50)
    (folder / "undecodable.txt").write_bytes(b"caf\xe9 \x81\x8d\x8f\x90\x9d\xff" * 5)
    (folder / "notext.json").write_text('{"id": "n", "title": "no text"}')
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname="mixed"\nkind="files"\naddress="in"\n'
        '[[source]]\nname="missing"\nkind="files"\naddress="nowhere"\n'
    )
    summary = run_ingest(sources_file=str(sources), database_url=database_url)
    assert summary.articles_new == 1 and summary.claims_new == 5
    assert summary.failed == 5
    engine = engine_of(database_url)
    with Session(engine) as session:
        failures = session.exec(select(Failure)).all()
        assert {f.address.rsplit("/", 1)[-1] for f in failures} == {
            "empty.txt",
            "binary.html",
            "undecodable.txt",
            "notext.json",
            "nowhere",
        }
        assert all(f.reason and "\n" not in f.reason for f in failures)
        assert len(session.exec(select(Article)).all()) == 1
        assert len(session.exec(select(ClaimRecord)).all()) == 5
        assert len(session.exec(select(Mention)).all()) == 5


def test_a_transient_error_in_a_source_is_retried_and_a_bug_is_not(seed_sources, database_url, monkeypatch):
    import flows.ingest
    import flows.pipeline

    real_list_files = flows.pipeline.list_files
    calls = []

    async def list_files_failing_once(spec, base_dir):
        calls.append(spec.name)
        if len(calls) == 1:
            raise OSError("disk hiccup")  # transient: the source's task is run again
        return await real_list_files(spec, base_dir)

    # Fault injection: a real disk does not fail on demand.
    monkeypatch.setattr(flows.pipeline, "list_files", list_files_failing_once)
    monkeypatch.setattr(
        flows.ingest, "ingest_source", flows.ingest.ingest_source.with_options(retry_delay_seconds=0)
    )
    summary = run_ingest(sources_file=str(seed_sources), database_url=database_url)
    assert calls == ["seed", "seed"]
    assert summary.claims_new == 5 and summary.failed == 0

    async def list_files_with_a_bug(spec, base_dir):
        calls.append(spec.name)
        raise ValueError("a bug")  # not transient: recorded once, not retried

    monkeypatch.setattr(flows.pipeline, "list_files", list_files_with_a_bug)
    calls.clear()
    with pytest.raises(flows.ingest.AllSourcesFailedError) as failed:  # its only source failed
        run_ingest(sources_file=str(seed_sources), database_url=database_url)
    assert calls == ["seed"]
    assert [(f.stage, f.reason) for f in failed.value.summary.failures] == [("source", "ValueError: a bug")]
