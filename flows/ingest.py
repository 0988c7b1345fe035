"""The ``ingest`` flow: sources -> read or fetch -> parse + extract -> store.

Work is grouped per source and per batch of articles (``batch_size``), so Prefect's per-task
cost stays small; per-article logic lives in plain functions (``parsers.pipeline``,
``flows.web``). Every bad input is recorded in the ``failures`` table and counted; the run
goes on. The flow is async so that one ``httpx.AsyncClient`` serves every web source.

    asyncio.run(ingest(sources_file="seeds/sources.toml"))
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from parsers.claims import RuleBasedExtractor
from parsers.errors import ParseError
from parsers.models import SourceSpec
from parsers.pipeline import ExtractedArticle, process_document
from parsers.sources import parse_sources
from parsers.vocab import default_vocabulary
from storage.database import make_engine, upgrade_database
from storage.repository import (
    UrlState,
    get_url_states,
    record_failure,
    save_url_states,
    store_article,
    sync_aliases,
)

from .fetch import Fetcher
from .local import LocalReadError, RawDocument, iter_local_documents, list_local_files
from .settings import Settings, load_settings
from .summary import BatchOutcome, Failed, RunSummary
from .web import discover, fetch_articles


def _is_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass: I/O hiccups and a locked or unreachable database."""
    try:
        state.result()
    except (LocalReadError, ParseError):
        return False
    except (OSError, TimeoutError, OperationalError):
        return True
    except Exception:
        return False
    return False


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine per database URL and process, with the schema migrated to the latest
    revision and the built-in institution aliases loaded."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    sync_aliases(engine, builtin_aliases(), origin="builtin")
    return engine


def builtin_aliases() -> list[tuple[str, str]]:
    """(alias, canonical name) pairs of the organisations vocabulary."""
    return sorted(default_vocabulary().organization_aliases.items())


def load_alias_file(path: Path) -> list[tuple[str, str]]:
    """(alias, canonical name) pairs from a CSV file with the columns alias,canonical."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    pairs = []
    for row in csv.DictReader(rows):
        alias, canonical = (row.get("alias") or "").strip(), (row.get("canonical") or "").strip()
        if not alias or not canonical:
            raise ValueError(f"{path}: every row needs alias and canonical")
        pairs.append((alias, canonical))
    return pairs


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@task(
    name="load-sources",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def load_sources(sources_file: str) -> list[SourceSpec]:
    """The enabled sources of the sources file."""
    specs = parse_sources(Path(sources_file).read_text(encoding="utf-8"))
    return [s for s in specs if s.enabled]


@task(name="list-files", cache_policy=NO_CACHE)
def list_files(spec: SourceSpec, base_dir: str) -> list[str]:
    paths = list_local_files(spec.location, Path(base_dir))
    if spec.max_articles:
        paths = paths[: spec.max_articles]
    return [str(p) for p in paths]


@task(
    name="read-files",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def read_files(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    docs: list[RawDocument] = []
    failures: list[Failed] = []
    for item in iter_local_documents([Path(p) for p in paths]):
        if isinstance(item, LocalReadError):
            failures.append(Failed(spec.name, item.location, "read", str(item)))
        else:
            docs.append(item)
    return docs, failures


def extract_documents(
    spec: SourceSpec, docs: Sequence[RawDocument], main_text_extractor: str = "soup"
) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
    """Parse and extract each document; a bad one becomes a Failed with a one-line reason."""
    extractor = RuleBasedExtractor()
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    for doc in docs:
        try:
            for extracted in process_document(
                doc.data,
                doc.name,
                doc.fetched_at,
                extractor,
                url=doc.url,
                charset=doc.charset,
                is_html=doc.content_type == "text/html",
                keywords=spec.keywords,
                main_text_extractor=main_text_extractor,
            ):
                if extracted.article.published is None and doc.published_hint is not None:
                    article = dataclasses.replace(extracted.article, published=doc.published_hint)
                    extracted = dataclasses.replace(extracted, article=article)
                results.append((doc, extracted))
        except ParseError as exc:
            failures.append(Failed(spec.name, doc.location, "parse", str(exc), spec.optional))
        except Exception as exc:  # an extractor bug must not stop the run: record it
            failures.append(
                Failed(spec.name, doc.location, "extract", f"{type(exc).__name__}: {exc}", spec.optional)
            )
    return results, failures


@task(name="extract-batch", cache_policy=NO_CACHE)
def extract_batch(
    spec: SourceSpec, docs: Sequence[RawDocument], main_text_extractor: str = "soup"
) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
    return extract_documents(spec, docs, main_text_extractor)


def store_results(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
) -> BatchOutcome:
    """Store articles and claims (one transaction per article) and record failures."""
    outcome = BatchOutcome(failures=list(failures))
    for doc, extracted in results:
        if extracted.skipped:
            outcome.articles_skipped += 1
            continue
        try:
            result = store_article(
                engine,
                spec.name,
                spec.kind,
                spec.location,
                extracted.article,
                extracted.claims,
                location=doc.location,
            )
        except OperationalError:
            raise  # transient: the task's retry runs the batch again, which is repeat-safe
        except Exception as exc:
            outcome.failures.append(Failed(spec.name, doc.location, "store", f"{type(exc).__name__}: {exc}"))
            continue
        if result.article_new:
            outcome.articles_new += 1
        else:
            outcome.articles_seen += 1
        outcome.claims_new += result.claims_new
        outcome.claims_updated += result.claims_updated
        outcome.mentions_new += result.mentions_new
        outcome.new_claim_ids.extend(result.new_claim_ids)
    for failure in outcome.failures:
        record_failure(engine, failure.source, failure.location, failure.stage, failure.reason)
    return outcome


@task(
    name="store-batch",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def store_batch(
    database_url: str,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    states: Sequence[UrlState] = (),
) -> BatchOutcome:
    """Store a batch; URL states are saved after the articles, so a crash in between only
    means those pages are fetched and parsed again (and found already stored)."""
    engine = engine_for(database_url)
    outcome = store_results(engine, spec, results, failures)
    save_url_states(engine, states)
    return outcome


@task(name="discover-urls", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_is_transient)
async def discover_urls(spec: SourceSpec, fetcher: Fetcher, database_url: str, limit: int):  # type: ignore[no-untyped-def]
    """The article URLs a feed, sitemap or url source lists now."""
    states = get_url_states(engine_for(database_url), [spec.location])
    return await discover(spec, fetcher, states, limit)


@task(name="fetch-batch", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_is_transient)
async def fetch_batch(spec: SourceSpec, fetcher: Fetcher, database_url: str, entries: Sequence[Any]):  # type: ignore[no-untyped-def]
    """Fetch a batch of article pages (conditional requests where the URL was seen)."""
    states = get_url_states(engine_for(database_url), [e.url for e in entries])
    return await fetch_articles(spec, fetcher, entries, states)


def _ingest_files(spec: SourceSpec, settings: Settings, base_dir: str, summary: RunSummary) -> bool:
    """Returns True when the source produced anything but failures."""
    try:
        paths = list_files(spec, base_dir)
    except LocalReadError as exc:
        failure = Failed(spec.name, exc.location, "read", str(exc), spec.optional)
        summary.add(store_results(engine_for(settings.database_url), spec, [], [failure]))
        return False
    worked = False
    for batch in _chunks(paths, settings.batch_size):
        docs, read_failures = read_files(spec, batch)
        summary.documents += len(docs) + len(read_failures)
        results, parse_failures = extract_batch(spec, docs, settings.main_text_extractor)
        outcome = store_batch(settings.database_url, spec, results, read_failures + parse_failures)
        summary.add(outcome)
        worked = worked or bool(docs)
    return worked


async def _ingest_web(spec: SourceSpec, settings: Settings, fetcher: Fetcher, summary: RunSummary) -> bool:
    limit = spec.max_articles or settings.max_articles_per_source
    found = await discover_urls(spec, fetcher, settings.database_url, limit)
    summary.fetched += found.counts.fetched
    summary.not_modified += found.counts.not_modified
    summary.unchanged += found.counts.unchanged
    worked = bool(found.counts.fetched or found.counts.not_modified)
    if found.failures:
        summary.add(store_results(engine_for(settings.database_url), spec, [], found.failures))
    for batch in _chunks(found.entries, settings.batch_size):
        fetched = await fetch_batch(spec, fetcher, settings.database_url, batch)
        summary.fetched += fetched.counts.fetched
        summary.not_modified += fetched.counts.not_modified
        summary.unchanged += fetched.counts.unchanged
        summary.documents += len(fetched.documents)
        worked = worked or bool(fetched.counts.fetched or fetched.counts.not_modified)
        results, parse_failures = extract_batch(spec, fetched.documents, settings.main_text_extractor)
        failed_locations = {f.location for f in parse_failures}
        states = [s for url, s in fetched.states.items() if url not in failed_locations]
        summary.add(
            store_batch(settings.database_url, spec, results, fetched.failures + parse_failures, states)
        )
    # The feed's own validators are saved last: a run that stops early reads the feed again.
    save_url_states(engine_for(settings.database_url), found.states)
    return worked


@flow(
    name="ingest",
    description="Read the configured sources, extract dated CGT claims and store them, deduplicated, in SQL.",
)
async def ingest(sources_file: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run cgt-monitor once over ``sources_file`` into ``database_url`` (defaults: settings)."""
    settings = load_settings(sources_file=sources_file, database_url=database_url)
    logger = get_run_logger()
    engine = engine_for(settings.database_url)
    summary = RunSummary()
    try:
        specs = load_sources(settings.sources_file)
    except (OSError, ParseError) as exc:
        record_failure(engine, "(sources file)", settings.sources_file, "sources", str(exc))
        logger.error("cannot read sources file %s: %s", settings.sources_file, exc)
        raise
    base_dir = str(Path(settings.sources_file).resolve().parent)
    aliases_file = (
        Path(settings.aliases_file) if settings.aliases_file else Path(base_dir) / "institution_aliases.csv"
    )
    if aliases_file.is_file():
        try:
            loaded = sync_aliases(engine, load_alias_file(aliases_file), origin=aliases_file.name)
            logger.info("institution aliases: %d from %s", loaded, aliases_file)
        except (OSError, ValueError) as exc:
            record_failure(engine, "(aliases file)", str(aliases_file), "sources", str(exc))
            summary.add_failures([Failed("(aliases file)", str(aliases_file), "sources", str(exc))])
    async with Fetcher(settings.fetch_config()) as fetcher:
        for spec in specs:
            summary.sources += 1
            if spec.kind == "files":
                worked = _ingest_files(spec, settings, base_dir, summary)
            else:
                worked = await _ingest_web(spec, settings, fetcher, summary)
            if not worked:
                summary.sources_failed += 1
    logger.info(
        "sources %d (%d failed); documents %d; fetched %d, not modified %d, unchanged %d; "
        "articles new %d, already seen %d, skipped %d; claims new %d, updated %d; mentions new %d; "
        "failures %d, warnings %d",
        summary.sources,
        summary.sources_failed,
        summary.documents,
        summary.fetched,
        summary.not_modified,
        summary.unchanged,
        summary.articles_new,
        summary.articles_seen,
        summary.articles_skipped,
        summary.claims_new,
        summary.claims_updated,
        summary.mentions_new,
        summary.failed,
        summary.warnings,
    )
    for failure in summary.failures[:20]:
        logger.warning(
            "%s [%s] %s: %s",
            "unreachable optional source" if failure["optional"] else "failed",
            failure["stage"],
            failure["location"],
            failure["reason"],
        )
    return summary.as_dict()


def run_ingest(sources_file: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run the flow from synchronous code (the CLI, scripts)."""
    import asyncio

    return asyncio.run(ingest(sources_file=sources_file, database_url=database_url))
