"""``cgt-monitor run`` (one ingest run now) and ``serve`` (the scheduled deployment)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .app import app, echo_table, open_database


@app.command()
def run(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="sources file (default: settings, seeds/sources.toml)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: settings)")
    ] = None,
) -> None:
    """Run the ingest flow once over the sources and print the summary and stored claims.

    Example: cgt-monitor run --sources seeds/sources.toml

    No Prefect server is needed: without PREFECT_API_URL the flow runs in Prefect's
    ephemeral mode.
    """
    # Prefect's temporary server creates its database on a first run: on a slow or busy
    # machine that takes longer than Prefect's 20 s default wait (seen here: a failed run).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from storage.queries import list_claims

    from ..ingest import AllSourcesFailedError, run_ingest
    from ..llm import llm_line
    from ..orphan_guard import start_orphan_guard
    from ..settings import load_settings

    settings = load_settings(sources_file=str(sources) if sources else None, database_url=database_url)
    start_orphan_guard()  # a SIGKILLed run leaves no parse worker or Prefect server behind
    failed = False
    try:
        summary = run_ingest(sources_file=settings.sources_file, database_url=settings.database_url)
    except AllSourcesFailedError as exc:  # the flow run ended Failed; still show what happened
        summary, failed = exc.summary, True
    typer.echo("")
    typer.echo("Run summary")
    for key in (
        "sources",
        "documents",
        "fetched",
        "not_modified",
        "unchanged",
        "articles_new",
        "articles_seen",
        "articles_skipped",
        "claims_new",
        "claims_updated",
        "mentions_new",
        "failed",
        "warnings",
    ):
        typer.echo(f"  {key:<17} {getattr(summary, key)}")
    if summary.llm:
        typer.echo(f"  language model    {llm_line(summary.llm)}")
    for failure in summary.failures[:20]:
        label = "warning" if failure.optional else "failed"
        typer.echo(f"  {label} [{failure.stage}] {failure.address}: {failure.reason}")
    typer.echo("")
    engine = open_database(settings.database_url)  # the run made it: reading it needs no upgrade
    try:
        rows = [{**c.as_dict(), "first_seen": c.reported} for c in list_claims(engine)]
    finally:
        engine.dispose()
    typer.echo(f"Stored claims ({len(rows)})")
    echo_table(
        rows,
        ["first_seen", "institution", "therapy", "indication", "stage", "patients", "outcome", "mentions"],
    )
    if failed:
        typer.echo("error: every source failed (the flow run is Failed)", err=True)
        raise typer.Exit(1)


@app.command()
def serve(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="sources file (default: settings)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: settings)")
    ] = None,
    cron: Annotated[str | None, typer.Option(help="cron schedule (default: settings, every 6 hours)")] = None,
) -> None:
    """Serve the ingest flow as the deployment cgt-monitor-ingest on a cron schedule.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api cgt-monitor serve --cron "0 */6 * * *"

    Needs a Prefect server (prefect server start) or Prefect Cloud; the deployment's parameters
    (sources file, database URL) can be edited in the UI. Stop with Ctrl-C.
    """
    from ..deploy import DEPLOYMENT_NAME, deployment_parameters, serve_forever
    from ..orphan_guard import start_orphan_guard
    from ..settings import load_settings

    if not os.environ.get("PREFECT_API_URL"):
        typer.echo(
            "warning: PREFECT_API_URL is not set; serve needs a running Prefect server "
            "(prefect server start, then PREFECT_API_URL=http://127.0.0.1:4200/api)",
            err=True,
        )
    settings = load_settings(
        sources_file=str(sources) if sources else None, database_url=database_url, schedule_cron=cron
    )
    typer.echo(
        f"serving {DEPLOYMENT_NAME} on '{settings.schedule_cron}' with {deployment_parameters(settings)}"
    )
    start_orphan_guard()  # a SIGKILLed serve leaves none of its flow runs' processes behind
    serve_forever(settings)
