"""flows/summary.py: a run's counts and failures, added per batch and merged per source."""

from flows.summary import BatchOutcome, Failed, RunSummary

ERROR = Failed("feed", "https://example.org/a", "fetch", "timeout: timed out")
WARNING = Failed("extra", "https://example.org/b", "fetch", "http: HTTP 404", optional=True)


def test_a_batch_adds_its_counts_ids_and_failures():
    summary = RunSummary(sources=1)
    summary.add(
        BatchOutcome(articles_new=2, claims_new=3, mentions_new=4, failures=[ERROR], new_claim_ids=[7, 8])
    )
    summary.add(BatchOutcome(articles_seen=1, articles_skipped=5, failures=[WARNING], new_event_ids=[9]))
    assert (summary.articles_new, summary.articles_seen, summary.articles_skipped) == (2, 1, 5)
    assert (summary.claims_new, summary.mentions_new) == (3, 4)
    assert (summary.failed, summary.warnings) == (1, 1)  # an optional source's failure is a warning
    assert summary.failures == [ERROR, WARNING]
    assert (summary.new_claim_ids, summary.new_event_ids) == ([7, 8], [9])


def test_sources_merge_into_the_run_and_per_run_fields_stay_the_runs():
    run = RunSummary(llm={"sent": 1}, headline="run")
    a = RunSummary(sources=1, documents=3, reached={"a"}, stage_seconds={"fetch": 1.0})
    a.add_failures([ERROR])
    b = RunSummary(sources=1, documents=2, stage_seconds={"fetch": 0.5, "store": 2.0}, llm={"sent": 9})
    b.add_failures([WARNING])
    run.merge(a)
    run.merge(b)
    assert (run.sources, run.documents, run.failed, run.warnings) == (2, 5, 1, 1)
    assert run.reached == {"a"} and run.failures == [ERROR, WARNING]
    assert run.stage_seconds == {"fetch": 1.5, "store": 2.0}
    assert run.llm == {"sent": 1} and run.headline == "run"


def test_all_sources_failed_and_the_plain_data_form():
    assert not RunSummary().all_sources_failed  # no source at all is not a failure of all
    assert RunSummary(sources=2, sources_failed=2).all_sources_failed
    assert not RunSummary(sources=2, sources_failed=1).all_sources_failed
    summary = RunSummary(sources=1, reached={"feed"})
    summary.add_failures([ERROR])
    data = summary.as_dict()
    assert "reached" not in data
    assert data["failures"] == [
        {
            "source": "feed",
            "address": "https://example.org/a",
            "stage": "fetch",
            "reason": "timeout: timed out",
            "optional": False,
        }
    ]
