"""``cgt-monitor db upgrade|current``: the schema, owned by these commands and by ``run``/``serve``."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
) -> None:
    """Create or upgrade the database schema to the latest (or the given) revision.

    Example: CGT_MONITOR_DATABASE_URL=postgresql+psycopg://user@localhost/cgt cgt-monitor db upgrade
    """
    from storage.database import current_revision, make_engine, upgrade_database

    from ..settings import load_settings

    engine = make_engine(load_settings(database_url=database_url).database_url)
    before = current_revision(engine)
    upgrade_database(engine, revision)
    typer.echo(f"schema revision: {before or '(empty)'} -> {current_revision(engine)}")


@db_app.command("current")
def db_current(database_url: Annotated[str | None, typer.Option("--database-url")] = None) -> None:
    """Print the database's schema revision.

    Example: cgt-monitor db current
    """
    from storage.database import current_revision, make_engine
    from storage.errors import SchemaError

    from ..settings import load_settings

    try:  # read-only: asking must not create the file or change its journal
        engine = make_engine(load_settings(database_url=database_url).database_url, read_only=True)
    except SchemaError:  # no database file yet
        typer.echo("(empty)")
        return
    typer.echo(current_revision(engine) or "(empty)")
