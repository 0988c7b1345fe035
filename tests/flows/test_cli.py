import json

from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEED_CLAIMS, SEEDS

runner = CliRunner()


def test_extract_json_on_the_seed_folder_prints_one_array_with_the_five_claims():
    result = runner.invoke(app, ["extract", "--json", str(SEEDS)])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert isinstance(items, list) and len(items) == 1
    [item] = items
    assert set(item) == {"id", "source_path", "title", "published", "claims"}
    assert item["published"] == "2026-01-19"
    assert {
        (c["institution"], c["therapy"], c["indication"], c["stage"]) for c in item["claims"]
    } == SEED_CLAIMS
    for claim in item["claims"]:
        assert set(claim) == {
            "institution",
            "location",
            "therapy",
            "therapy_detail",
            "indication",
            "stage",
            "patients",
            "outcome",
            "evidence",
            "condition",
            "product",
            "registry_ids",
            "why",
        }
        # Each field's rule, as text: stage, therapy and indication always say why.
        assert {"stage", "therapy", "indication"} <= set(claim["why"])
        assert all(isinstance(v, str) and v for v in claim["why"].values())


def test_extract_json_uses_the_json_id_and_reports_bad_files(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps({"id": "article-7", "published": None, "text": "Nothing about therapies."})
    )
    (tmp_path / "b.txt").write_bytes(b"")
    result = runner.invoke(app, ["extract", "--json", str(tmp_path)])
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == ["article-7"]
    assert "b.txt" in result.stderr


def test_run_then_claims_in_every_format(seed_sources, database_url):
    result = runner.invoke(app, ["run", "--sources", str(seed_sources), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "claims_new        5" in result.stdout
    assert "Parkinson's disease" in result.stdout
    again = runner.invoke(app, ["run", "--sources", str(seed_sources), "--database-url", database_url])
    assert "claims_new        0" in again.stdout and "articles_seen     1" in again.stdout

    as_json = json.loads(
        runner.invoke(app, ["claims", "--format", "json", "--database-url", database_url]).stdout
    )
    assert len(as_json) == 5 and all(c["mentions"] == 1 for c in as_json)
    as_csv = runner.invoke(app, ["claims", "--format", "csv", "--database-url", database_url]).stdout
    assert as_csv.splitlines()[0].startswith("id,institution") and len(as_csv.splitlines()) == 6
    table = runner.invoke(app, ["claims", "--database-url", database_url]).stdout
    assert "knee osteoarthritis" in table
    filtered = json.loads(
        runner.invoke(
            app, ["claims", "--format", "json", "--stage", "research", "--database-url", database_url]
        ).stdout
    )
    assert [c["indication"] for c in filtered] == ["cancer"]


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = (SEEDS.parent / "README.md").read_text()
    for command in (
        ["run"],
        ["extract"],
        ["claims"],
        ["timeline"],
        ["developments", "merge"],
        ["developments", "split"],
        ["serve"],
        ["db", "upgrade"],
        ["db", "current"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.stdout
        assert f"cgt-monitor {' '.join(command)}" in readme


def test_timeline_and_db_commands(seed_sources, database_url):
    assert (
        runner.invoke(app, ["run", "--sources", str(seed_sources), "--database-url", database_url]).exit_code
        == 0
    )
    out = runner.invoke(
        app, ["timeline", "--indication", "parkinson", "--mentions", "--database-url", database_url]
    )
    assert out.exit_code == 0
    assert "stem cell therapy | Parkinson's disease" in out.stdout and "clinical_trial" in out.stdout
    assert "Pan Guangjin" in out.stdout  # the evidence of the mention
    assert runner.invoke(app, ["db", "current", "--database-url", database_url]).stdout.strip() == "0011"
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", database_url])
    assert upgraded.exit_code == 0 and "0011 -> 0011" in upgraded.stdout


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


def test_developments_merge_and_split_from_the_command_line(database_url):
    from tests.storage.conftest import engine_at, report

    engine = engine_at(database_url)
    report(engine, 1, "Nansha Hospital")
    report(engine, 2, "Guangzhou Regenerative Medicine Centre")
    out = runner.invoke(app, ["timeline", "--mentions", "--database-url", database_url])
    assert out.exit_code == 0, out.output
    developments = [
        int(line.rsplit("(development ", 1)[1].rstrip(")"))
        for line in out.stdout.splitlines()
        if "(development " in line
    ]
    assert len(developments) == 2 and out.stdout.count("(mention ") == 2

    merged = runner.invoke(
        app,
        ["developments", "merge", str(developments[1]), str(developments[0]), "--database-url", database_url],
    )
    assert merged.exit_code == 0, merged.output
    assert f"merge: development {developments[0]}" in merged.stdout
    out = runner.invoke(app, ["timeline", "--mentions", "--database-url", database_url]).stdout
    assert out.count("(development ") == 1 and out.count("(mention ") == 2

    mention = out.rsplit("(mention ", 1)[1].split(")")[0]
    split = runner.invoke(app, ["developments", "split", mention, "--database-url", database_url])
    assert split.exit_code == 0 and "split: development" in split.stdout
    out = runner.invoke(app, ["timeline", "--database-url", database_url]).stdout
    assert out.count("(development ") == 2

    refused = runner.invoke(
        app, ["developments", "merge", "999", str(developments[0]), "--database-url", database_url]
    )
    assert refused.exit_code == 2 and "no development 999" in refused.output
