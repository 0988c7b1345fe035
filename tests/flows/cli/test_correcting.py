"""``cgt-monitor developments merge|split`` (flows/cli/correcting.py)."""

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


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
