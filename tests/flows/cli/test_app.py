"""The command line as a whole (flows/cli/app.py and the commands it gathers)."""

from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


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
