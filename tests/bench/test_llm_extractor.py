"""bench/llm_extractor.py on the labelled fixtures: the pre-filter's recall and two runs against
the fake model server (tests/llm_server.py), the second answered from the kept answers."""

from tests.bench.runner import run_bench
from tests.conftest import ROOT

LABELLED = ROOT / "tests" / "fixtures" / "labelled"


def test_llm_benchmark_measures_the_pre_filter_and_a_second_run_sends_nothing(tmp_path):
    figures, _ = run_bench("llm_extractor.py", ["--data", str(LABELLED), "--run", str(LABELLED)], tmp_path)
    # Every fixture article with a claim names a cell or gene therapy: none held back.
    assert figures["pre_filter"] == {
        "articles": 12,
        "with_claims": 10,
        "recall": 1.0,
        "held_back": [],
        "without_claims": 2,
        "sent_without_claims": 2,
    }
    run = figures["run"]
    assert run["run1"]["rc"] == 0 and run["run1"]["requests"] == 12
    assert run["run2"]["rc"] == 0 and run["run2"]["requests"] == 0
    assert "12 answered (12 from the cache, 0 requests" in run["run2"]["summary"]
    # Each answer's one claim that passes the checks is stored (the fake's place marks it);
    # the articles are all kept.
    assert run["articles_stored"] == 12 and run["answers_kept"] == 12 and run["mentions"] == 12
    assert run["claims_from_the_fake"] == run["claims"] == 7
