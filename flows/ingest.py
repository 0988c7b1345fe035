"""The ``ingest`` flow: sources -> read or fetch -> parse + extract -> store.

Work is grouped per source and per batch of articles (``batch_size``), so Prefect's per-task
cost stays small; per-article logic lives in plain functions (``parsers.pipeline``,
``flows.web``). Every bad input is recorded in the ``failures`` table and counted; the run
goes on. The flow is async so that one ``httpx.AsyncClient`` serves every web source.

    asyncio.run(ingest(sources_file="seeds/sources.toml"))
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
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
    ArticleToStore,
    UrlState,
    describe_claims,
    get_url_states,
    monthly_claims_by_therapy,
    record_failure,
    save_url_states,
    store_articles,
    sync_aliases,
)

from .artifacts import (
    DIGEST_KEY,
    PROGRESS_KEY,
    TABLE_KEY,
    TIMELINE_KEY,
    digest_markdown,
    new_claims_table,
    timeline_markdown,
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


_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool for CPU-bound parsing, created once per process ("spawn": the flow's
    process runs threads and an event loop, which forking would copy half-way)."""
    if workers not in _POOLS:
        _POOLS[workers] = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )
    return _POOLS[workers]


def shutdown_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


@task(name="extract-batch", cache_policy=NO_CACHE, persist_result=False)
def extract_batch(
    spec: SourceSpec, docs: Sequence[RawDocument], main_text_extractor: str = "soup", workers: int = 1
) -> tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed]]:
    """Parse and extract a batch; with ``workers`` > 1 the documents are split over that many
    processes (parsing HTML is CPU-bound: threads would not help)."""
    if workers <= 1 or len(docs) < 2 * workers:
        return extract_documents(spec, docs, main_text_extractor)
    size = max(1, len(docs) // (workers * 2))
    chunks = [docs[i : i + size] for i in range(0, len(docs), size)]
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    for chunk_results, chunk_failures in _pool(workers).map(
        extract_documents, [spec] * len(chunks), chunks, [main_text_extractor] * len(chunks)
    ):
        results.extend(chunk_results)
        failures.extend(chunk_failures)
    return results, failures


def store_results(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
) -> BatchOutcome:
    """Store a batch of articles in one transaction (each article whole, so an interruption
    loses no half article) and record failures. Should the batch fail for one bad article,
    the articles are stored one by one so that only that one is recorded as failed."""
    outcome = BatchOutcome(failures=list(failures))
    kept = [(doc, extracted) for doc, extracted in results if not extracted.skipped]
    outcome.articles_skipped = len(results) - len(kept)
    items = [ArticleToStore(e.article, e.claims, doc.location, e.fingerprint) for doc, e in kept]
    try:
        stored = store_articles(engine, spec.name, spec.kind, spec.location, items)
    except OperationalError:
        raise  # transient: the task's retry runs the batch again, which is repeat-safe
    except Exception:
        stored = []
        for (doc, _), item in zip(kept, items, strict=True):
            try:
                stored.extend(store_articles(engine, spec.name, spec.kind, spec.location, [item]))
            except OperationalError:
                raise
            except Exception as exc:
                outcome.failures.append(
                    Failed(spec.name, doc.location, "store", f"{type(exc).__name__}: {exc}")
                )
    for result in stored:
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


@task(
    name="fetch-batch",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=1,
    retry_condition_fn=_is_transient,
)
async def fetch_batch(spec: SourceSpec, fetcher: Fetcher, database_url: str, entries: Sequence[Any]):  # type: ignore[no-untyped-def]
    """Fetch a batch of article pages (conditional requests where the URL was seen)."""
    states = get_url_states(engine_for(database_url), [e.url for e in entries])
    return await fetch_articles(spec, fetcher, entries, states)


async def _extract(spec: SourceSpec, docs: Sequence[RawDocument], settings: Settings):  # type: ignore[no-untyped-def]
    """Run extract-batch through the flow's task runner (threads by default, Dask workers
    when configured) without blocking the event loop that serves the HTTP fetches."""
    future = extract_batch.submit(spec, list(docs), settings.main_text_extractor, settings.parse_workers)
    return await asyncio.to_thread(future.result)


async def _ingest_files(spec: SourceSpec, settings: Settings, base_dir: str, summary: RunSummary) -> bool:
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
        results, parse_failures = await _extract(spec, docs, settings)
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
    host = urlsplit(spec.location).hostname or "unknown"
    for batch in _chunks(found.entries, settings.batch_size):
        # Tagged per host: a Prefect concurrency limit on "fetch:<host>" caps parallel runs.
        with tags(f"fetch:{host}"):
            fetched = await fetch_batch(spec, fetcher, settings.database_url, batch)
        summary.fetched += fetched.counts.fetched
        summary.not_modified += fetched.counts.not_modified
        summary.unchanged += fetched.counts.unchanged
        summary.documents += len(fetched.documents)
        worked = worked or bool(fetched.counts.fetched or fetched.counts.not_modified)
        results, parse_failures = await _extract(spec, fetched.documents, settings)
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
    progress = await acreate_progress_artifact(
        0.0, key=PROGRESS_KEY, description=f"sources done of {len(specs)}"
    )
    async with Fetcher(settings.fetch_config()) as fetcher:
        for done, spec in enumerate(specs, start=1):
            summary.sources += 1
            if spec.kind == "files":
                worked = await _ingest_files(spec, settings, base_dir, summary)
            else:
                worked = await _ingest_web(spec, settings, fetcher, summary)
            if not worked:
                summary.sources_failed += 1
            await aupdate_progress_artifact(progress, 100.0 * done / len(specs))
    if not specs:
        await aupdate_progress_artifact(progress, 100.0)
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
    result = summary.as_dict()
    await publish_artifacts(engine, result)
    if summary.sources and summary.sources_failed == summary.sources:
        # Every source failed: end Failed so Prefect automations and notifications can act.
        raise AllSourcesFailedError(result)
    return result


class AllSourcesFailedError(RuntimeError):
    """Every source of the run failed; ``summary`` holds the run summary."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__(
            f"all {summary['sources']} source(s) failed; {summary['failed'] + summary['warnings']} failure(s)"
        )
        self.summary = summary


async def publish_artifacts(engine: Engine, summary: dict[str, Any]) -> None:
    """The digest, the new-claims table and the timeline chart (see ``flows.artifacts``)."""
    new_claims = describe_claims(engine, summary["new_claim_ids"])
    await acreate_markdown_artifact(
        digest_markdown(summary, new_claims),
        key=DIGEST_KEY,
        description="New claims, stage changes, failures and counts of this run",
    )
    await acreate_table_artifact(
        new_claims_table(new_claims), key=TABLE_KEY, description="Claims first stored in this run"
    )
    since = f"{datetime.now(UTC).year - 3}-01"
    await acreate_markdown_artifact(
        timeline_markdown(monthly_claims_by_therapy(engine, since)),
        key=TIMELINE_KEY,
        description="Claims reported per month by therapy",
    )


def flow_for(settings: Settings):  # type: ignore[no-untyped-def]
    """The ingest flow with the task runner the settings ask for (Dask: extraction batches run
    on a Dask cluster, local processes or ``dask_address``)."""
    if settings.task_runner == "default":
        return ingest
    if settings.task_runner != "dask":
        raise ValueError(f"unknown task runner {settings.task_runner!r} (default or dask)")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("the Dask task runner needs: pip install 'cgt-monitor[dask]'") from exc
    if settings.dask_address:
        runner = DaskTaskRunner(address=settings.dask_address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": settings.dask_workers,
                "processes": True,
                "threads_per_worker": 1,
                "dashboard_address": None,
            }
        )
    return ingest.with_options(task_runner=runner)


def run_ingest(sources_file: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run the flow from synchronous code (the CLI, scripts)."""
    settings = load_settings(sources_file=sources_file, database_url=database_url)
    try:
        return asyncio.run(flow_for(settings)(sources_file=sources_file, database_url=database_url))
    finally:
        shutdown_pools()
