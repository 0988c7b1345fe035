"""The ``cgt-monitor`` command line."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parsers.models import Stage

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from storage.curation import Corrected

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


def _echo_table(rows: list[dict[str, object]], columns: list[str]) -> None:
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

    from .ingest import AllSourcesFailedError, run_ingest
    from .llm import llm_line
    from .orphan_guard import start_orphan_guard
    from .settings import load_settings

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
    engine = _open_database(settings.database_url)  # the run made it: reading it needs no upgrade
    try:
        rows = [{**c.as_dict(), "first_seen": c.reported} for c in list_claims(engine)]
    finally:
        engine.dispose()
    typer.echo(f"Stored claims ({len(rows)})")
    _echo_table(
        rows,
        ["first_seen", "institution", "therapy", "indication", "stage", "patients", "outcome", "mentions"],
    )
    if failed:
        typer.echo("error: every source failed (the flow run is Failed)", err=True)
        raise typer.Exit(1)


def _collect_files(paths: list[Path]) -> list[Path]:
    from parsers.pages.article import SUPPORTED_SUFFIXES

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        elif path.exists():
            files.append(path)
        else:
            typer.echo(f"error: no such file or folder: {path}", err=True)
            raise typer.Exit(2)
    return files


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of .txt/.html/.json articles")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON array, one object per article")
    ] = False,
    extractor_name: Annotated[
        str | None,
        typer.Option("--extractor", help="learned or rules (default: the extractor setting)"),
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="model file of the learned extractor")] = None,
) -> None:
    """Extract claims from article files, without a database or Prefect.

    Example: cgt-monitor extract --json seeds/

    With --json the output is exactly one JSON array of
    {"id", "source_path", "title", "published", "claims": [...]} objects; a file that cannot be
    read is reported on stderr and left out, and the others are still printed.
    """
    from parsers.claims import claim_extractor
    from parsers.claims.model import ModelFileError
    from parsers.errors import ParseError
    from parsers.pipeline import process_document

    from .settings import load_settings

    settings = load_settings()
    try:
        extractor = claim_extractor(
            extractor_name or settings.extractor, model or settings.claim_model or None
        )
    except (ValueError, ModelFileError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    items: list[dict[str, object]] = []
    failed = 0
    extracted = []
    for path in _collect_files(paths):
        try:
            results = process_document(path.read_bytes(), path.name, datetime.now(UTC), extractor)
        except (OSError, ParseError) as exc:
            failed += 1
            typer.echo(f"error: {path}: {exc}", err=True)
            continue
        except Exception as exc:  # an extractor bug: report it, keep the other articles
            failed += 1
            typer.echo(f"error: {path}: extraction failed: {type(exc).__name__}: {exc}", err=True)
            continue
        extracted += [(path, result) for result in results]
    if (extractor_name or settings.extractor) == "llm":
        extracted = _ask_the_model(settings, extracted)
    for path, result in extracted:
        article = result.article
        items.append(
            {
                "id": article.external_id or path.stem,
                "source_path": str(path),
                "title": article.title,
                "published": article.published.isoformat() if article.published else None,
                "claims": [{**c.as_dict(), "why": dict(c.why)} for c in result.claims],
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
        return
    for item in items:
        typer.echo(f"{item['id']}  ({item['published'] or 'no date'})  {item['title'] or ''}")
        claims = item["claims"]
        assert isinstance(claims, list)
        for c in claims:
            typer.echo(
                f"  - {c['institution'] or '(no institution)'} | {c['therapy']} | "
                f"{c['indication']} | {c['stage']} | patients={c['patients']} | {c['outcome']}"
            )
        if not claims:
            typer.echo("  (no claims)")
    if failed:
        typer.echo(f"{failed} file(s) could not be read", err=True)


def _ask_the_model(settings: Any, extracted: list[tuple[Path, Any]]) -> list[tuple[Path, Any]]:
    """The language model's claims in place of the offline ones where they can be used (answers
    kept in the database's cache table; each fallback and a summary line on stderr)."""
    import asyncio

    from parsers.models import SourceSpec

    from .bootstrap import prepare_database
    from .llm import LlmRefiner, llm_line
    from .local import RawDocument

    engine = prepare_database(settings.database_url)  # the answers' cache is written
    refiner = LlmRefiner.from_settings(settings, engine)
    docs = [
        (
            RawDocument(name=path.name, address=str(path), data=b"", fetched_at=result.article.fetched_at),
            result,
        )
        for path, result in extracted
    ]

    async def refine() -> tuple[list[Any], list[Any]]:
        try:
            return await refiner.refine(SourceSpec("extract", "files", "."), docs)
        finally:
            await refiner.aclose()

    try:
        refined, failures = asyncio.run(refine())
    finally:
        engine.dispose()
    for failure in failures:
        typer.echo(f"fallback: {failure.address}: {failure.reason}", err=True)
    typer.echo(f"language model: {llm_line(refiner.stats.as_dict())}", err=True)
    return [(path, result) for (path, _), (_, result) in zip(extracted, refined, strict=True)]


@app.command()
def claims(
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
    since: Annotated[str | None, typer.Option(help="only claims last seen on or after YYYY-MM-DD")] = None,
    indication: Annotated[str | None, typer.Option(help="indication contains this text")] = None,
    therapy: Annotated[str | None, typer.Option(help="therapy contains this text")] = None,
    stage: Annotated[Stage | None, typer.Option(help="only claims at this stage")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
) -> None:
    """List the stored claims with first/last seen dates and mention counts.

    Example: cgt-monitor claims --format csv --stage clinical_trial
    """
    from storage.queries import list_claims

    if fmt not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    try:
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        typer.echo(f"error: --since must be YYYY-MM-DD, got {since!r}", err=True)
        raise typer.Exit(2) from None
    engine = _open_database(database_url)
    rows = [
        c.as_dict()
        for c in list_claims(
            engine,
            since=since_date,
            indication=indication,
            therapy=therapy,
            stage=stage.value if stage else None,
        )
    ]
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        buffer = io.StringIO()
        columns = list(rows[0]) if rows else ["id"]
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
    else:
        for row in rows:  # undated claims say so in the table; JSON and CSV carry "dated"
            if not row["dated"]:
                row["first_seen"] = f"undated (read {row['first_seen']})"
                row["last_seen"] = f"undated (read {row['last_seen']})"
        _echo_table(
            rows,
            [
                "first_seen",
                "last_seen",
                "institution",
                "therapy",
                "indication",
                "stage",
                "patients",
                "outcome",
                "mentions",
            ],
        )


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
    from .deploy import DEPLOYMENT_NAME, deployment_parameters, serve_forever
    from .orphan_guard import start_orphan_guard
    from .settings import load_settings

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


@app.command()
def timeline(
    institution: Annotated[str | None, typer.Option(help="institution contains this text")] = None,
    therapy: Annotated[str | None, typer.Option(help="therapy contains this text")] = None,
    indication: Annotated[str | None, typer.Option(help="indication contains this text")] = None,
    mentions: Annotated[
        bool, typer.Option("--mentions", help="also list every mention with its source")
    ] = False,
    database_url: Annotated[str | None, typer.Option("--database-url")] = None,
) -> None:
    """Print the stage history of developments (institution, therapy, indication) in date order.

    Example: cgt-monitor timeline --indication parkinson --mentions
    """
    from storage.queries import development_events, development_history, development_mentions

    engine = _open_database(database_url)
    rows = development_history(engine, institution=institution, therapy=therapy, indication=indication)
    if not rows:
        typer.echo("(no matching developments)")
        return
    by_development: dict[int, list] = {}
    for row in rows:
        by_development.setdefault(row.development_id, []).append(row)
    found = development_mentions(engine, by_development) if mentions else []
    events: dict[tuple[int, str], list] = {}
    for event in development_events(engine, by_development):
        events.setdefault((event.development_id, event.stage), []).append(event)
    for development_id, stages in by_development.items():
        first = stages[0]
        typer.echo(
            f"{first.institution or '(no institution)'} | {first.therapy} | {first.indication}"
            f"  (development {development_id})"
        )
        for st in stages:
            typer.echo(
                f"  {st.reported:<25}  {st.stage:<15} {st.mentions} mention(s), {st.sources} source(s)"
            )
            happenings = events.get((development_id, st.stage), [])
            if len(happenings) > 1:  # reported for several happenings: list them
                for n, ev in enumerate(happenings, start=1):
                    occurrence = f", occurrence {ev.occurrence}" if ev.occurrence > 1 else ""
                    typer.echo(
                        f"    event {n}: {ev.reported}{occurrence}, {ev.mentions} mention(s), "
                        f"{ev.outlets} outlet(s)"
                    )
        for m in (m for m in found if m.development_id == development_id):
            typer.echo(
                f"    {m.reported_on}  [{m.stage}] {m.source}  {m.url or ''}  (mention {m.mention_id})"
            )
            typer.echo(f"      {m.evidence[:200]}")
            if m.link_why:
                typer.echo(f"      linked: {m.link_why}")


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

    engine = _open_database(database_url, read_only=False)
    try:
        done = action(engine)
    except CurationError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"{done.action}: development {done.development_id} ({done.claims} claim(s) touched, "
        f"{done.mentions} mention(s) moved)"
    )


def _open_database(database_url: str | None, read_only: bool = True) -> Engine:
    """The configured database for a command that does not own the schema: never migrated
    (`db upgrade`, `run` and `serve` do that), opened read-only unless the command writes."""
    from storage.database import open_database
    from storage.errors import SchemaError

    from .settings import load_settings

    try:
        return open_database(load_settings(database_url=database_url).database_url, read_only=read_only)
    except SchemaError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


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

    from .settings import load_settings

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

    from .settings import load_settings

    try:  # read-only: asking must not create the file or change its journal
        engine = make_engine(load_settings(database_url=database_url).database_url, read_only=True)
    except SchemaError:  # no database file yet
        typer.echo("(empty)")
        return
    typer.echo(current_revision(engine) or "(empty)")


if __name__ == "__main__":  # pragma: no cover
    main()
