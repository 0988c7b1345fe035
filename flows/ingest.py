"""The ``ingest`` flow: sources -> read or fetch -> parse + extract -> store.

Prefect's unit of work is the source: one task run per source (a few at a time), inside which
the articles go in batches (``batch_size``) through a bounded pipeline — the next batch is
fetched while the previous one is parsed (in worker processes when there are several cores)
and the one before is stored — so memory stays flat whatever the corpus size. Per-article
logic lives in plain functions (``parsers.pipeline``, ``flows.web``). Every bad input is
recorded in the ``failures`` table and counted; the run goes on. The flow is async so that one
``httpx.AsyncClient`` serves every web source.

    asyncio.run(ingest(sources_file="seeds/sources.toml"))
    asyncio.run(run_pipeline(load_settings(), prefect=False))   # the same work without Prefect
"""

from __future__ import annotations

import asyncio
import contextvars
import csv
import dataclasses
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar
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
from parsers.feeds import FeedEntry
from parsers.html import DEFAULT_MAIN_TEXT_EXTRACTOR
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
from .web import Discovery, FetchedBatch, discover, fetch_articles

_log = logging.getLogger(__name__)
T = TypeVar("T")
_PIPELINE_DEPTH = 2  # batches of a source waiting to be stored
_BATCHES_IN_FLIGHT = 3  # batches of pages held at once (being fetched, queued, being parsed): bounds memory
_STORE_ATTEMPTS = 3  # a locked database is retried
_MIN_DOCS_PER_WORKER = 20  # smaller batches are parsed in-process (starting workers costs more)
ExtractResult = tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed], dict[str, float]]


def _is_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass: I/O hiccups and a locked or unreachable database."""
    try:
        state.result(_sync=True)  # the state's exception (sync: this hook may run in an event loop)
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


class StageClock:
    """Seconds spent per stage (parse, date, extract, dedup, fetch, read, store), summed over
    batches and worker processes. Pipelined stages overlap in wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started


# -- plain steps (the tasks below wrap them) -------------------------------------------------
def extract_documents(
    spec: SourceSpec, docs: Sequence[RawDocument], main_text_extractor: str = DEFAULT_MAIN_TEXT_EXTRACTOR
) -> ExtractResult:
    """Parse and extract each document; a bad one becomes a Failed with a one-line reason.
    Returns the results, the failures and the seconds spent per stage."""
    extractor = RuleBasedExtractor()
    clock = StageClock()
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    for doc in docs:
        # The page's bytes are not needed after parsing: not sending them back from a worker
        # process saves a copy of the batch in memory and its pickling.
        slim = dataclasses.replace(doc, data=b"")
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
                timer=clock,
            ):
                if extracted.article.published is None and doc.published_hint is not None:
                    article = dataclasses.replace(extracted.article, published=doc.published_hint)
                    extracted = dataclasses.replace(extracted, article=article)
                results.append((slim, extracted))
        except ParseError as exc:
            failures.append(Failed(spec.name, doc.location, "parse", str(exc), spec.optional))
        except Exception as exc:  # an extractor bug must not stop the run: record it
            failures.append(
                Failed(spec.name, doc.location, "extract", f"{type(exc).__name__}: {exc}", spec.optional)
            )
    return results, failures, dict(clock.seconds)


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


def parse_workers(settings: Settings) -> int:
    """Processes for parsing: the setting, or (0) one per core."""
    return settings.parse_workers or (os.cpu_count() or 1)


class Payload(Generic[T]):
    """An opaque box for a batch's items passed to and from tasks: Prefect walks through
    lists, tuples and dataclasses in task arguments looking for futures, which for 200 pages
    costs ~15 ms per task run; it does not look inside this box."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


# -- steps of one source (plain functions: Prefect's unit of work is the source, below) ------
async def list_files(spec: SourceSpec, base_dir: str) -> list[str]:
    paths = await asyncio.to_thread(list_local_files, spec.location, Path(base_dir))
    if spec.max_articles:
        paths = paths[: spec.max_articles]
    return [str(p) for p in paths]


def _read(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    docs: list[RawDocument] = []
    failures: list[Failed] = []
    for item in iter_local_documents([Path(p) for p in paths]):
        if isinstance(item, LocalReadError):
            failures.append(Failed(spec.name, item.location, "read", str(item)))
        else:
            docs.append(item)
    return docs, failures


async def read_files(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    return await asyncio.to_thread(_read, spec, paths)


async def discover_urls(spec: SourceSpec, fetcher: Fetcher, database_url: str, limit: int) -> Discovery:
    """The article URLs a feed, sitemap or url source lists now."""
    states = await asyncio.to_thread(get_url_states, engine_for(database_url), [spec.location])
    return await discover(spec, fetcher, states, limit)


async def fetch_batch(
    spec: SourceSpec, fetcher: Fetcher, database_url: str, entries: Sequence[FeedEntry]
) -> FetchedBatch:
    """Fetch a batch of article pages (conditional requests where the URL was seen)."""
    states = await asyncio.to_thread(get_url_states, engine_for(database_url), [e.url for e in entries])
    return await fetch_articles(spec, fetcher, entries, states)


async def _extract_batch(
    spec: SourceSpec, docs: Sequence[RawDocument], main_text_extractor: str, workers: int
) -> ExtractResult:
    """Parse and extract a batch; with ``workers`` > 1 the documents are split over that many
    processes (parsing HTML is CPU-bound: threads would not help)."""
    if workers <= 1 or len(docs) < _MIN_DOCS_PER_WORKER * workers:
        return await asyncio.to_thread(extract_documents, spec, docs, main_text_extractor)
    loop = asyncio.get_running_loop()
    size = -(-len(docs) // workers)
    parts = await asyncio.gather(
        *(
            loop.run_in_executor(
                _pool(workers), extract_documents, spec, docs[i : i + size], main_text_extractor
            )
            for i in range(0, len(docs), size)
        )
    )
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    seconds: dict[str, float] = defaultdict(float)
    for part_results, part_failures, part_seconds in parts:
        results.extend(part_results)
        failures.extend(part_failures)
        for stage, value in part_seconds.items():
            seconds[stage] += value
    return results, failures, dict(seconds)


def _store(
    database_url: str,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    states: Sequence[UrlState],
) -> BatchOutcome:
    engine = engine_for(database_url)
    outcome = store_results(engine, spec, results, failures)
    save_url_states(engine, states)
    return outcome


async def store_batch(
    database_url: str,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    states: Sequence[UrlState],
) -> BatchOutcome:
    """Store a batch (results, failures, URL states); the states are saved after the articles,
    so a crash in between only means those pages are fetched and parsed again (and found
    already stored). A locked database is waited for and retried a few times."""
    for attempt in range(_STORE_ATTEMPTS):
        try:
            return await asyncio.to_thread(_store, database_url, spec, results, failures, states)
        except OperationalError:
            if attempt == _STORE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")


# -- tasks -------------------------------------------------------------------------------------
# One task run per source (and one for the sources file): a task run costs ~40 ms of the API
# server's CPU and a tagged one two round trips for its concurrency lease (measured with prefect
# 3.9 on this machine), so per-batch task runs made Prefect a fifth of the run time. Tasks are
# async: in an async flow an awaited async task costs ~2 ms of the flow's time, a sync one
# 25-50 ms. Blocking work inside them runs in threads, or in worker processes for parsing.
@task(
    name="load-sources",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
async def load_sources(sources_file: str) -> list[SourceSpec]:
    """The enabled sources of the sources file."""
    text = await asyncio.to_thread(Path(sources_file).read_text, encoding="utf-8")
    return [s for s in parse_sources(text) if s.enabled]


@task(name="extract-batch", cache_policy=NO_CACHE, persist_result=False)
async def extract_batch(
    spec: SourceSpec,
    box: Payload[Sequence[RawDocument]],
    main_text_extractor: str = DEFAULT_MAIN_TEXT_EXTRACTOR,
    workers: int = 1,
) -> Payload[ExtractResult]:
    """A batch's parsing and extraction as a task of its own: used only with a Dask task
    runner, which runs it on the cluster's workers."""
    return Payload(await _extract_batch(spec, box.value, main_text_extractor, workers))


@dataclasses.dataclass
class SourceRun:
    """What a source's task needs from the flow (passed in a ``Payload``: the fetcher holds an
    open HTTP client)."""

    settings: Settings
    base_dir: str
    fetcher: Fetcher
    in_flight: asyncio.Semaphore  # batches of pages held in memory, across the run's sources
    # One batch stored at a time per run: concurrent SQLite writers would wait on the file lock
    # by polling; this hands over at once (and PostgreSQL loses nothing).
    storing: asyncio.Lock
    # With a Dask task runner extraction batches are submitted to it from the flow's context
    # (a submission from inside the source's task would ship that task's context, fetcher and
    # all, to the cluster).
    flow_context: contextvars.Context | None = None


@task(
    name="ingest-source",
    task_run_name="ingest-source-{spec.name}",
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
    persist_result=False,
)
async def ingest_source(
    spec: SourceSpec, box: Payload[SourceRun]
) -> Payload[tuple[RunSummary, dict[str, float]]]:
    """Read or fetch one source's articles in batches, parse and extract them and store them,
    pipelined: the next batch is fetched while the previous one is parsed and the one before
    is stored. Returns the source's summary and seconds per stage. Repeat-safe: a retry finds
    what the first attempt stored (conditional requests, content hashes, upserts)."""
    run = box.value
    summary = RunSummary(sources=1)
    clock = StageClock()
    if spec.kind == "files":
        batches = _file_batches(spec, run, summary, clock)
    else:
        batches = _web_batches(spec, run, summary, clock)
    await _pipeline(batches, run, summary, clock)
    return Payload((summary, dict(clock.seconds)))


# -- the pipeline of one source -------------------------------------------------------------
@dataclasses.dataclass
class _Batch:
    spec: SourceSpec
    docs: list[RawDocument]
    failures: list[Failed]
    states: list[UrlState] = dataclasses.field(default_factory=list)


async def _extract(spec: SourceSpec, docs: list[RawDocument], run: SourceRun) -> ExtractResult:
    settings = run.settings
    if run.flow_context is not None:
        submit = extract_batch.submit
        future = run.flow_context.copy().run(submit, spec, Payload(docs), settings.main_text_extractor, 1)
        return (await asyncio.to_thread(future.result)).value
    return await _extract_batch(spec, docs, settings.main_text_extractor, parse_workers(settings))


async def _pipeline(
    batches: AsyncIterator[_Batch], run: SourceRun, summary: RunSummary, clock: StageClock
) -> None:
    """Extract and store batches, in order, while the next ones are produced (fetched or
    read); at most ``_PIPELINE_DEPTH`` batches wait between the stages, which bounds memory."""
    queue: asyncio.Queue[tuple[_Batch, asyncio.Future[ExtractResult] | None] | None] = asyncio.Queue(
        _PIPELINE_DEPTH
    )

    async def storer() -> None:
        while (item := await queue.get()) is not None:
            batch, extraction = item
            results: list[tuple[RawDocument, ExtractedArticle]] = []
            parse_failures: list[Failed] = []
            if extraction is not None:
                results, parse_failures, seconds = await extraction
                for stage, value in seconds.items():
                    clock.seconds[stage] += value
            failed = {f.location for f in parse_failures}
            states = [s for s in batch.states if s.url not in failed]
            if results or batch.failures or parse_failures or states:
                async with run.storing:
                    started = time.perf_counter()
                    outcome = await store_batch(
                        run.settings.database_url,
                        batch.spec,
                        results,
                        batch.failures + parse_failures,
                        states,
                    )
                    clock.seconds["store"] += time.perf_counter() - started
                summary.add(outcome)

    storing = asyncio.create_task(storer())

    async def hand_over(item: tuple[_Batch, asyncio.Future[ExtractResult] | None] | None) -> bool:
        """Queue an item unless storing has stopped (an error): never wait on a dead consumer."""
        put = asyncio.ensure_future(queue.put(item))
        await asyncio.wait({put, storing}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            return False
        return True

    def release(_: object = None) -> None:
        run.in_flight.release()

    iterator = aiter(batches)
    try:
        while True:
            # A batch's pages take a slot from fetching until they are parsed.
            await run.in_flight.acquire()
            try:
                batch = await anext(iterator)
            except BaseException:
                release()
                raise
            summary.documents += len(batch.docs)
            extraction = None
            if batch.docs:
                extraction = asyncio.ensure_future(_extract(batch.spec, batch.docs, run))
                extraction.add_done_callback(release)
                batch.docs = []  # the extraction holds the pages until parsed; the queue need not
            else:
                release()
            if not await hand_over((batch, extraction)):
                if extraction is not None:
                    extraction.cancel()
                break
    except StopAsyncIteration:
        pass
    finally:
        if not storing.done():
            await hand_over(None)
        await storing


async def _file_batches(
    spec: SourceSpec, run: SourceRun, summary: RunSummary, clock: StageClock
) -> AsyncIterator[_Batch]:
    try:
        paths = await list_files(spec, run.base_dir)
    except LocalReadError as exc:
        yield _Batch(spec, [], [Failed(spec.name, exc.location, "read", str(exc), spec.optional)])
        return
    if paths:
        summary.reached.add(spec.name)
    for chunk in _chunks(paths, run.settings.batch_size):
        started = time.perf_counter()
        docs, failures = await read_files(spec, chunk)
        clock.seconds["read"] += time.perf_counter() - started
        yield _Batch(spec, docs, failures)


async def _web_batches(
    spec: SourceSpec, run: SourceRun, summary: RunSummary, clock: StageClock
) -> AsyncIterator[_Batch]:
    settings = run.settings
    limit = spec.max_articles or settings.max_articles_per_source
    started = time.perf_counter()
    found = await discover_urls(spec, run.fetcher, settings.database_url, limit)
    clock.seconds["fetch"] += time.perf_counter() - started
    summary.fetched += found.counts.fetched
    summary.not_modified += found.counts.not_modified
    summary.unchanged += found.counts.unchanged
    if found.counts.fetched or found.counts.not_modified:
        summary.reached.add(spec.name)
    if found.failures:
        yield _Batch(spec, [], list(found.failures))
    chunks = list(_chunks(found.entries, settings.batch_size))
    for n, chunk in enumerate(chunks, start=1):
        started = time.perf_counter()
        fetched = await fetch_batch(spec, run.fetcher, settings.database_url, chunk)
        clock.seconds["fetch"] += time.perf_counter() - started
        summary.fetched += fetched.counts.fetched
        summary.not_modified += fetched.counts.not_modified
        summary.unchanged += fetched.counts.unchanged
        if fetched.counts.fetched or fetched.counts.not_modified:
            summary.reached.add(spec.name)
        states = list(fetched.states.values())
        if n == len(chunks):
            # The feed's own validators are saved with the last pages, after every earlier
            # batch (batches are stored in order): a run that stops early reads the feed again.
            yield _Batch(spec, fetched.documents, fetched.failures, states + list(found.states))
            return
        yield _Batch(spec, fetched.documents, fetched.failures, states)
    yield _Batch(spec, [], [], list(found.states))


def fetch_tag(spec: SourceSpec) -> str | None:
    """The Prefect tag of a web source's task run, "fetch:<host>" (None for local files)."""
    if spec.kind == "files":
        return None
    return f"fetch:{urlsplit(spec.location).hostname or 'unknown'}"


async def concurrency_limit_tags() -> set[str]:
    """The tags that have a Prefect (tag) concurrency limit."""
    from prefect.client.orchestration import get_client

    found: set[str] = set()
    async with get_client() as client:
        offset = 0
        while True:  # the API pages concurrency limits, at most 200 at a time
            page = await client.read_concurrency_limits(limit=200, offset=offset)
            found.update(limit.tag for limit in page)
            if len(page) < 200:
                return found
            offset += 200


async def _fetch_limit_tags(logger: Any) -> set[str]:
    try:
        return {tag for tag in await concurrency_limit_tags() if tag.startswith("fetch:")}
    except Exception as exc:  # the limits are a courtesy to sites; the run goes on without
        logger.warning("cannot read Prefect concurrency limits (%s: %s)", type(exc).__name__, exc)
        return set()


async def run_pipeline(settings: Settings, *, prefect: bool = True) -> dict[str, Any]:
    """The body of the ``ingest`` flow; ``prefect=False`` runs the same steps as plain
    functions (no task runs, no artifacts), to measure what orchestration costs. The parse
    worker processes stay up for the next run in this process: ``shutdown_pools()`` ends them."""
    logger = get_run_logger() if prefect else _log
    engine = engine_for(settings.database_url)
    summary = RunSummary()
    clock = StageClock()
    try:
        specs = await (load_sources if prefect else load_sources.fn)(settings.sources_file)
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
    progress = None
    if prefect:
        progress = await acreate_progress_artifact(
            0.0, key=PROGRESS_KEY, description=f"sources done of {len(specs)}"
        )
    done: list[str] = []
    last_update = time.monotonic()

    async def source_done(spec: SourceSpec) -> None:
        """Move the progress bar: when the last source is done, else at most once a second
        (each update is a call to the API; a quick run needs none in between)."""
        nonlocal last_update
        done.append(spec.name)
        if progress is not None and (len(done) == len(specs) or time.monotonic() - last_update >= 1.0):
            last_update = time.monotonic()
            await aupdate_progress_artifact(progress, 100.0 * len(done) / len(specs))

    # Sources run a few at a time (each one's batches pipelined): while one source's pages are
    # fetched, another's are parsed, so neither the network nor the parse workers wait.
    running = asyncio.Semaphore(settings.source_concurrency)
    # A source's task run is tagged "fetch:<host>" when that tag has a concurrency limit
    # (`cgt-monitor serve` creates one per host): each tagged run asks the API for a slot, a
    # round trip that a busy server makes slow, so it is not paid where no limit exists.
    limited = await _fetch_limit_tags(logger) if prefect else set()

    async def run_source(spec: SourceSpec, run: SourceRun) -> None:
        async with running:
            try:
                if not prefect:
                    part, seconds = (await ingest_source.fn(spec, Payload(run))).value
                elif (tag := fetch_tag(spec)) in limited:
                    with tags(tag):  # the limit caps the sources fetched from one host at a time
                        part, seconds = (await ingest_source(spec, Payload(run))).value
                else:
                    part, seconds = (await ingest_source(spec, Payload(run))).value
            except Exception as exc:  # a source that breaks must not stop the others
                failure = Failed(
                    spec.name, spec.location, "source", f"{type(exc).__name__}: {exc}", spec.optional
                )
                await asyncio.to_thread(
                    record_failure, engine, failure.source, failure.location, failure.stage, failure.reason
                )
                summary.sources += 1
                summary.add_failures([failure])
            else:
                summary.merge(part)
                for stage, value in seconds.items():
                    clock.seconds[stage] += value
            await source_done(spec)

    async with Fetcher(settings.fetch_config()) as fetcher:
        run = SourceRun(
            settings,
            base_dir,
            fetcher,
            asyncio.Semaphore(_BATCHES_IN_FLIGHT),
            asyncio.Lock(),
            flow_context=contextvars.copy_context() if prefect and settings.task_runner == "dask" else None,
        )
        await asyncio.gather(*(run_source(spec, run) for spec in specs))
    if progress is not None and not specs:
        await aupdate_progress_artifact(progress, 100.0)
    summary.sources_failed = summary.sources - len(summary.reached)
    summary.stage_seconds = {k: round(v, 3) for k, v in sorted(clock.seconds.items())}
    logger.info(
        "sources %d (%d failed); documents %d; fetched %d, not modified %d, unchanged %d; articles new %d, "
        "already seen %d, skipped %d; claims new %d, updated %d; mentions new %d; failures %d, warnings %d",
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
    if prefect:
        await publish_artifacts(engine, result)
    if summary.sources and summary.sources_failed == summary.sources:
        # Every source failed: end Failed so Prefect automations and notifications can act.
        raise AllSourcesFailedError(result)
    return result


@flow(
    name="ingest",
    description="Read the configured sources, extract dated CGT claims and store them, deduplicated, in SQL.",
)
async def ingest(sources_file: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run cgt-monitor once over ``sources_file`` into ``database_url`` (defaults: settings)."""
    return await run_pipeline(
        load_settings(sources_file=sources_file, database_url=database_url), prefect=True
    )


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
