"""``cgt-monitor developments merge|split``: an analyst's corrections, kept across runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from .app import app, open_database

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from storage.curation import Corrected


developments_app = typer.Typer(
    help="Correct which reports are one development (merges and splits, kept across runs).",
    no_args_is_help=True,
)
app.add_typer(developments_app, name="developments")


@developments_app.command("merge")
def developments_merge(
    development_id: Annotated[int, typer.Argument(help="the development to fold in (it is removed)")],
    into: Annotated[int, typer.Argument(help="the development that remains")],
    note: Annotated[str, typer.Option(help="why, kept in development_overrides")] = "",
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
) -> None:
    """Make two developments one: every report, stage and key of the first moves to the second,
    so later reports of either join the second. Ids are shown by `timeline`.

    Example: cgt-monitor developments merge 12 7 --note "same trial, two hospital names"
    """
    from storage.curation import merge_developments

    _correct(lambda engine: merge_developments(engine, development_id, into, note), database_url)


@developments_app.command("split")
def developments_split(
    mention_id: Annotated[int, typer.Argument(help="the mention (one article's report) to move out")],
    note: Annotated[str, typer.Option(help="why, kept in development_overrides")] = "",
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
) -> None:
    """Move one report into a development of its own; the article read again stays apart.
    Mention ids are shown by `timeline --mentions`.

    Example: cgt-monitor developments split 431 --note "another hospital's trial"
    """
    from storage.curation import split_mention

    _correct(lambda engine: split_mention(engine, mention_id, note), database_url)


def _correct(action: Callable[[Engine], Corrected], database_url: str | None) -> None:
    from storage.curation import CurationError

    engine = open_database(database_url, read_only=False)
    try:
        done = action(engine)
    except CurationError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"{done.action}: development {done.development_id} ({done.claims} claim(s) touched, "
        f"{done.mentions} mention(s) moved)"
    )
