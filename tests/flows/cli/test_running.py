"""``cgt-monitor run`` (flows/cli/running.py), read back with ``claims``."""

import json

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


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
