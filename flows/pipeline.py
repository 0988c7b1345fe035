"""One source's articles in batches through a bounded pipeline: read or fetch the next batch
while the previous one is parsed (in worker processes, see ``flows.extraction``) and the one
before is stored, so memory stays flat whatever the corpus size. Every bad input becomes a
recorded failure; the source goes on.

    await run_batches(file_batches(spec, run, summary, clock), run, summary, clock)

The Prefect task that runs this for a source is in ``flows.ingest``.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from flows.extraction import (
    DEFAULT_OPTIONS,
    ExtractionOptions,
    ExtractResult,
    ParseWorkers,
    StageClock,
    extract_in_process,
)
from flows.fetching.client import Fetcher
from flows.llm import LlmRefiner
from flows.local import LocalReadError, RawDocument, iter_local_documents, list_local_files
from flows.settings import Settings
from flows.summary import BatchOutcome, Failed, RunSummary
from flows.web import Discovery, FetchedBatch, WebCounts, discover, fetch_articles, schedule
from parsers.linkage import LinkModel, load_link_model
from parsers.models import SourceSpec
from parsers.pages.feeds import FeedEntry
from parsers.pages.urls import InvalidURLError, checked_url
from parsers.pipeline import ExtractedArticle
from storage.failures import record_failure
from storage.fetch_state import (
    RetryLink,
    UrlState,
    get_url_states,
    queued_retries,
    save_url_states,
    update_retry_queue,
)
from storage.writer import ArticleToStore, store_articles

T = TypeVar("T")
PIPELINE_DEPTH = 2  # batches of a source waiting to be stored
BATCHES_IN_FLIGHT = 3  # batches of pages held at once (being fetched, queued, being parsed): bounds memory
_STORE_ATTEMPTS = 3  # a locked database is retried
RETRY_QUEUE_CAP = 100  # queued links of a source fetched again per run
MAX_RETRY_ATTEMPTS = 5  # runs in which a link may fail transiently before it leaves the queue


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Payload(Generic[T]):
    """An opaque box for a batch's items passed to and from tasks: Prefect walks through
    lists, tuples and dataclasses in task arguments looking for futures, which for 200 pages
    costs ~15 ms per task run; it does not look inside this box."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


def store_results(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    link_model: LinkModel | None = None,
) -> BatchOutcome:
    """Store a batch of articles in one transaction (each article whole, so an interruption
    loses no half article) and record failures. Should the batch fail for one bad article,
    the articles are stored one by one so that only that one is recorded as failed."""
    outcome = BatchOutcome(failures=list(failures))
    kept = [(doc, extracted) for doc, extracted in results if not extracted.skipped]
    outcome.articles_skipped = len(results) - len(kept)
    items = [ArticleToStore(e.article, e.claims, doc.address, e.fingerprint) for doc, e in kept]
    try:
        stored = store_articles(engine, spec.name, spec.kind, spec.address, items, link_model)
    except OperationalError:
        raise  # transient: the task's retry runs the batch again, which is repeat-safe
    except Exception:
        stored = []
        for (doc, _), item in zip(kept, items, strict=True):
            try:
                stored.extend(store_articles(engine, spec.name, spec.kind, spec.address, [item], link_model))
            except OperationalError:
                raise
            except Exception as exc:
                outcome.failures.append(
                    Failed(spec.name, doc.address, "store", f"{type(exc).__name__}: {exc}")
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
        outcome.new_event_ids.extend(result.new_event_ids)
    for failure in outcome.failures:
        record_failure(engine, failure.source, failure.address, failure.stage, failure.reason)
    return outcome


# -- steps of one source (plain functions: Prefect's unit of work is the source, below) ------
async def list_files(spec: SourceSpec, base_dir: str) -> list[str]:
    paths = await asyncio.to_thread(list_local_files, spec.address, Path(base_dir))
    if spec.max_articles:
        paths = paths[: spec.max_articles]
    return [str(p) for p in paths]


def _read(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    docs: list[RawDocument] = []
    failures: list[Failed] = []
    for item in iter_local_documents([Path(p) for p in paths]):
        if isinstance(item, LocalReadError):
            failures.append(Failed(spec.name, item.address, "read", item.reason, spec.optional))
        else:
            docs.append(item)
    return docs, failures


async def read_files(spec: SourceSpec, paths: Sequence[str]) -> tuple[list[RawDocument], list[Failed]]:
    return await asyncio.to_thread(_read, spec, paths)


async def discover_urls(
    spec: SourceSpec, fetcher: Fetcher, engine: Engine, limit: int, scheduled: set[str] | None = None
) -> Discovery:
    """The article URLs a feed, sitemap or url source lists now, then the links of its retry
    queue (failed transiently in earlier runs; fetched again even when the feed answers 304),
    each scheduled once per run across sources."""
    try:
        address = checked_url(spec.address)
    except InvalidURLError:
        address = spec.address
    states = await asyncio.to_thread(get_url_states, engine, [address])
    found = await discover(spec, fetcher, states, limit, scheduled)
    queued = await asyncio.to_thread(queued_retries, engine, spec.name, RETRY_QUEUE_CAP)
    if queued:
        retries, _failures, repeats = schedule(
            spec,
            [FeedEntry(q.url, published=q.published, listed_by=q.listed_by) for q in queued],
            RETRY_QUEUE_CAP,
            scheduled,
        )
        found.entries.extend(retries)
        found.counts.already_listed += repeats
    return found


async def fetch_batch(
    spec: SourceSpec, fetcher: Fetcher, engine: Engine, entries: Sequence[FeedEntry]
) -> FetchedBatch:
    """Fetch a batch of article pages (conditional requests where the URL was seen)."""
    states = await asyncio.to_thread(get_url_states, engine, [e.url for e in entries])
    return await fetch_articles(spec, fetcher, entries, states)


def _store(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    states: Sequence[UrlState],
    retry: Sequence[RetryLink] = (),
    settled: Sequence[str] = (),
    link_model: str = "",
) -> BatchOutcome:
    failures = list(failures)
    if retry or settled:
        for link in update_retry_queue(engine, spec.name, retry, settled, MAX_RETRY_ATTEMPTS):
            failures.append(
                Failed(
                    spec.name,
                    link.url,
                    "retry",
                    f"gave up after {link.attempts} failed attempts in as many runs: {link.reason}",
                    spec.optional,
                )
            )
    outcome = store_results(engine, spec, results, failures, load_link_model(link_model or None))
    save_url_states(engine, states)
    return outcome


async def store_batch(
    engine: Engine,
    spec: SourceSpec,
    results: Sequence[tuple[RawDocument, ExtractedArticle]],
    failures: Sequence[Failed],
    states: Sequence[UrlState],
    retry: Sequence[RetryLink] = (),
    settled: Sequence[str] = (),
    link_model: str = "",
) -> BatchOutcome:
    """Store a batch (results, failures, URL states, the retry queue's changes); the states are
    saved after the articles, so a crash in between only means those pages are fetched and
    parsed again (and found already stored). A locked database is waited for and retried a
    few times."""
    for attempt in range(_STORE_ATTEMPTS):
        try:
            return await asyncio.to_thread(
                _store, engine, spec, results, failures, states, retry, settled, link_model
            )
        except OperationalError:
            if attempt == _STORE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")


@task(name="extract-batch", cache_policy=NO_CACHE, persist_result=False)
async def extract_batch_task(
    spec: SourceSpec,
    box: Payload[Sequence[RawDocument]],
    options: ExtractionOptions = DEFAULT_OPTIONS,
) -> Payload[ExtractResult]:
    """A batch's parsing and extraction as a task run of its own: used only with the Dask task
    runner, which runs it on the cluster's workers (one process each: no pool inside)."""
    return Payload(await extract_in_process(spec, box.value, options))


@dataclasses.dataclass
class SourceRun:
    """What a source's task needs from the flow (passed in a ``Payload``: the fetcher holds an
    open HTTP client)."""

    settings: Settings
    base_dir: str
    engine: Engine  # the run's, created once by the run (``flows.bootstrap.prepare_database``)
    fetcher: Fetcher
    workers: ParseWorkers  # the run's parse worker processes
    in_flight: asyncio.Semaphore  # batches of pages held in memory, across the run's sources
    # One batch stored at a time per run: concurrent SQLite writers would wait on the file lock
    # by polling; this hands over at once (and PostgreSQL loses nothing).
    storing: asyncio.Lock
    # With the Dask task runner, extraction batches are submitted to it from the flow's context
    # (a submission from inside the source's task would ship that task's context, fetcher and
    # all, to the cluster).
    dask: Any = None  # a started prefect_dask.DaskTaskRunner
    flow_context: contextvars.Context | None = None
    # The url_key of every article link scheduled this run, across sources: one fetch each.
    scheduled: set[str] = dataclasses.field(default_factory=set)
    llm: LlmRefiner | None = None  # the language model's side of the llm extractor


# -- the pipeline of one source -------------------------------------------------------------
@dataclasses.dataclass
class Batch:
    spec: SourceSpec
    docs: list[RawDocument]
    failures: list[Failed]
    states: list[UrlState] = dataclasses.field(default_factory=list)
    retry: list[RetryLink] = dataclasses.field(default_factory=list)
    settled: list[str] = dataclasses.field(default_factory=list)


async def _extract(spec: SourceSpec, docs: list[RawDocument], run: SourceRun) -> ExtractResult:
    """Parse and extract a batch; with the language model extractor, its answers then replace the
    offline claims where they can (``flows/llm.py``)."""
    settings = run.settings
    if run.dask is not None and run.flow_context is not None:
        parameters = {"spec": spec, "box": Payload(docs), "options": settings.extraction_options()}
        future = run.flow_context.copy().run(run.dask.submit, extract_batch_task, parameters)
        results, failures, seconds = (await asyncio.to_thread(future.result)).value
    else:
        results, failures, seconds = await run.workers.extract(spec, docs, settings.extraction_options())
    if run.llm is not None and results:
        started = time.perf_counter()
        results, asked = await run.llm.refine(spec, results)
        failures = [*failures, *asked]
        seconds = {**seconds, "llm": seconds.get("llm", 0.0) + time.perf_counter() - started}
    return results, failures, seconds


async def run_batches(
    batches: AsyncIterator[Batch], run: SourceRun, summary: RunSummary, clock: StageClock
) -> None:
    """Extract and store batches, in order, while the next ones are produced (fetched or
    read); at most ``PIPELINE_DEPTH`` batches wait between the stages, which bounds memory."""
    queue: asyncio.Queue[tuple[Batch, asyncio.Future[ExtractResult] | None] | None] = asyncio.Queue(
        PIPELINE_DEPTH
    )

    async def storer() -> None:
        while (item := await queue.get()) is not None:
            batch, extraction = item
            results: list[tuple[RawDocument, ExtractedArticle]] = []
            parse_failures: list[Failed] = []
            if extraction is not None:
                results, parse_failures, seconds = await extraction
                clock.add(seconds)
            # A page that failed to parse is fetched again next run: its URL state is not saved.
            failed = {f.address for f in parse_failures if f.stage in ("parse", "extract")}
            states = [s for s in batch.states if s.url not in failed]
            if results or batch.failures or parse_failures or states or batch.retry or batch.settled:
                async with run.storing:
                    with clock("store"):
                        outcome = await store_batch(
                            run.engine,
                            batch.spec,
                            results,
                            batch.failures + parse_failures,
                            states,
                            batch.retry,
                            batch.settled,
                            run.settings.link_model,
                        )
                summary.add(outcome)

    storing = asyncio.create_task(storer())

    async def hand_over(item: tuple[Batch, asyncio.Future[ExtractResult] | None] | None) -> bool:
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


async def file_batches(
    spec: SourceSpec, run: SourceRun, summary: RunSummary, clock: StageClock
) -> AsyncIterator[Batch]:
    try:
        paths = await list_files(spec, run.base_dir)
    except LocalReadError as exc:
        yield Batch(spec, [], [Failed(spec.name, exc.address, "read", exc.reason, spec.optional)])
        return
    if paths:
        summary.reached.add(spec.name)
    for chunk in _chunks(paths, run.settings.batch_size):
        with clock("read"):
            docs, failures = await read_files(spec, chunk)
        yield Batch(spec, docs, failures)


def _count_web(summary: RunSummary, spec: SourceSpec, counts: WebCounts) -> None:
    summary.fetched += counts.fetched
    summary.not_modified += counts.not_modified
    summary.unchanged += counts.unchanged
    summary.already_listed += counts.already_listed
    if counts.fetched or counts.not_modified:
        summary.reached.add(spec.name)


async def web_batches(
    spec: SourceSpec, run: SourceRun, summary: RunSummary, clock: StageClock
) -> AsyncIterator[Batch]:
    settings = run.settings
    limit = spec.max_articles or settings.max_articles_per_source
    with clock("fetch"):
        found = await discover_urls(spec, run.fetcher, run.engine, limit, run.scheduled)
    _count_web(summary, spec, found.counts)
    if found.failures:
        yield Batch(spec, [], list(found.failures))
    chunks = list(_chunks(found.entries, settings.batch_size))
    for n, chunk in enumerate(chunks, start=1):
        with clock("fetch"):
            fetched = await fetch_batch(spec, run.fetcher, run.engine, chunk)
        _count_web(summary, spec, fetched.counts)
        states = list(fetched.states.values())
        if n == len(chunks):
            # The feed's own validators are saved with the last pages, after every earlier
            # batch (batches are stored in order): a run that stops early reads the feed again.
            yield Batch(
                spec,
                fetched.documents,
                fetched.failures,
                states + list(found.states),
                fetched.retry,
                fetched.settled,
            )
            return
        yield Batch(spec, fetched.documents, fetched.failures, states, fetched.retry, fetched.settled)
    yield Batch(spec, [], [], list(found.states))
