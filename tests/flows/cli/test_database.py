"""``cgt-monitor db`` (flows/cli/database.py), with ``timeline`` over the stored run."""

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


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
