"""``cgt-monitor timeline`` and ``claims`` (flows/cli/reading.py)."""

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def test_timeline_lists_the_news_events_of_a_stage_reported_for_several_happenings(database_url):
    from datetime import UTC, date, datetime

    from parsers.models import Claim, ParsedArticle
    from storage.writer import store_article
    from tests.storage.conftest import distinct_body, engine_at

    engine = engine_at(database_url)
    reports = [
        (date(2025, 3, 18), "A patient has died after the gene therapy."),
        (date(2025, 3, 19), "A young man died after receiving the gene therapy."),
        (None, "A second patient has died after receiving the gene therapy."),
    ]
    for n, (published, evidence) in enumerate(reports):
        article = ParsedArticle(
            text=distinct_body(n),
            fetched_at=datetime(2026, 11, 25, tzinfo=UTC),
            published=published,
            url=f"https://outlet{n}.example/a",
        )
        claim = Claim(
            institution="Example Therapeutics",
            therapy="gene therapy",
            indication="Duchenne muscular dystrophy",
            stage="clinical_use",
            outcome="adverse",
            evidence=evidence,
        )
        store_article(engine, "s", "feed", "https://outlet.example/feed", article, [claim])
    out = runner.invoke(app, ["timeline", "--indication", "duchenne", "--database-url", database_url])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[1].split()[:4] == ["2025-03-18", "..", "2025-03-19", "clinical_use"]
    assert lines[2].strip() == "event 1: 2025-03-18 .. 2025-03-19, 2 mention(s), 2 outlet(s)"
    assert lines[3].strip() == "event 2: undated (read 2026-11-25), occurrence 2, 1 mention(s), 1 outlet(s)"
