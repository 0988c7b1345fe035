"""The ``cgt-monitor`` Typer application, its entry point and what its commands share."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

app = typer.Typer(
    help="cgt-monitor: track cell and gene therapy developments reported in the news.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FORMATS = ("table", "json", "csv")


def main() -> None:
    """Entry point of the ``cgt-monitor`` console script."""
    # cgt-monitor sends no telemetry of its own; keep Prefect's server analytics off too unless
    # the user asks for them (offline they only fill the log with errors).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not os.environ.get("PREFECT_API_URL"):
        # Ephemeral mode: the temporary server is stopped as soon as the run ends, which
        # cancels its task-run recorder mid-flush and prints tracebacks; task runs of a
        # one-off local run need no recording. A real server (PREFECT_API_URL) is unaffected.
        os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
    app()


def echo_table(rows: list[dict[str, object]], columns: list[str]) -> None:
    if not rows:
        typer.echo("(no rows)")
        return
    widths = {c: min(48, max(len(c), *(len(_cell(r.get(c))) for r in rows))) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    typer.echo("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        typer.echo("  ".join(_cell(r.get(c))[: widths[c]].ljust(widths[c]) for c in columns))


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def open_database(database_url: str | None, read_only: bool = True) -> Engine:
    """The configured database for a command that does not own the schema: never migrated
    (`db upgrade`, `run` and `serve` do that), opened read-only unless the command writes."""
    from storage.database import open_database
    from storage.errors import SchemaError

    from ..settings import load_settings

    try:
        return open_database(load_settings(database_url=database_url).database_url, read_only=read_only)
    except SchemaError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
