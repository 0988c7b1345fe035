"""A small run of the pipeline benchmark (bench/pipeline.py, N = 200): it runs against its own
site on 127.0.0.1 and this session's Prefect API, and reports every field. No timing is
asserted: the figures come from the full benchmark (bench/README.md)."""

from tests.bench.runner import run_bench

STAGES = {"fetch", "parse", "date", "extract", "dedup", "store"}


def test_pipeline_benchmark_smoke_run_reports_every_field(tmp_path):
    result, printed = run_bench("pipeline.py", ["--articles", "200", "--small", "100"], tmp_path)
    assert result["articles"] == 200 and result["small_articles"] == 100
    first = result["first_run"]
    # Every page was fetched and parsed; the CGT share was stored (10 % are near-copies).
    assert first["documents"] == 200 and first["failed"] == 0
    assert 0 < first["articles_new"] < 200
    assert first["articles_new"] + first["articles_skipped"] == 200
    assert first["claims_new"] > 0
    # The unchanged second run costs one 304 per feed and sitemap and fetches no page.
    assert result["second_run"] == {"documents": 0, "fetched": 0, "not_modified": 11, "articles_new": 0}
    assert set(result["stage_share"]) >= STAGES
    assert abs(sum(result["stage_share"].values()) - 1) < 0.01
    for field in (
        "first_run_seconds",
        "articles_per_second",
        "raw_extractor_pages_per_second_2_cores",
        "share_of_raw_extractor",
        "plain_run_seconds",
        "second_run_seconds",
        "second_run_speedup",
        "peak_memory_mb",
        "peak_memory_mb_small",
        "memory_growth_small_to_large",
    ):
        assert isinstance(result[field], (int, float)) and result[field] > 0, field
    # At N = 200 a batch may be small enough to be parsed in the flow's process (how the links
    # fall to the sources depends on which is read first): then no worker process starts (each
    # run owns its workers) and there is no worker peak to report.
    worker_peak = result["peak_parse_worker_memory_mb"]
    assert worker_peak is None or (isinstance(worker_peak, float) and worker_peak > 0)
    assert isinstance(result["prefect_share"], float) and result["prefect_share"] < 1
    # Flow and plain runs twice each (the default --repeat); the best of each is reported.
    assert len(result["runs_seconds"]["flow"]) == len(result["runs_seconds"]["plain"]) == 2
    assert result["first_run_seconds"] == min(result["runs_seconds"]["flow"])
    assert result["plain_run_seconds"] == min(result["runs_seconds"]["plain"])
    assert len(result["prefect_share_by_repetition"]) == 2
    assert all(isinstance(x, float) and x < 1 for x in result["prefect_share_by_repetition"])
    assert set(result["targets"]) == {
        "articles_per_second >= 150",
        "share_of_raw_extractor >= 0.70",
        "prefect_share <= 0.10",
        "second_run_speedup >= 20",
    }
    # The readable table went to stdout as well.
    assert "articles/s end to end" in printed and "targets:" in printed
