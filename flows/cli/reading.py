"""``cgt-monitor claims`` and ``timeline``: reading the stored claims (never a schema change)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Annotated

import typer

from parsers.models import Stage

from .app import FORMATS, app, echo_table, open_database


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
    engine = open_database(database_url)
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
        echo_table(
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

    engine = open_database(database_url)
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
