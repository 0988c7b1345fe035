"""``cgt-monitor extract``: claims from article files, without a database or Prefect (the
evaluation's scorer runs it with ``--json``)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from .app import app


def collect_files(paths: list[Path]) -> list[Path]:
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

    from ..settings import load_settings

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
    for path in collect_files(paths):
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
        extracted = ask_the_model(settings, extracted)
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


def ask_the_model(settings: Any, extracted: list[tuple[Path, Any]]) -> list[tuple[Path, Any]]:
    """The language model's claims in place of the offline ones where they can be used (answers
    kept in the database's cache table; each fallback and a summary line on stderr)."""
    import asyncio

    from parsers.models import SourceSpec

    from ..bootstrap import prepare_database
    from ..llm import LlmRefiner, llm_line
    from ..local import RawDocument

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
