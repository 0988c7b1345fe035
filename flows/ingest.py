"""The ``ingest`` flow: sources -> read or fetch -> parse + extract -> store.

Prefect's unit of work is the source: one task run per source (a few at a time), inside which
the articles go in batches through a bounded pipeline (``flows.pipeline``). Every bad input is
recorded in the ``failures`` table and counted; the run goes on. The flow is async so that one
``httpx.AsyncClient`` serves every web source. Deployments load this module by its package
path (entrypoint ``flows.ingest:ingest``); imports here are absolute so that loading it from
its file path works as well.

    asyncio.run(ingest(sources_file="seeds/sources.toml"))
    asyncio.run(run_pipeline(load_settings(), prefect=False))   # the same work without Prefect
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
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
from prefect.client.schemas.objects import State
from prefect.states import Completed
from prefect.states import Failed as FailedState
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from flows.artifacts import (
    DIGEST_KEY,
    PROGRESS_KEY,
    TABLE_KEY,
    TIMELINE_KEY,
    chart_window,
    digest_markdown,
    headline,
    new_claims_table,
    timeline_markdown,
)
from flows.bootstrap import load_alias_file, prepare_database
from flows.extraction import ParseWorkers, StageClock, parse_workers
from flows.fetching.client import Fetcher
from flows.llm import LIMIT_NAME, LlmRefiner, ensure_shared_limit
from flows.local import LocalReadError
from flows.pipeline import (
    BATCHES_IN_FLIGHT,
    Payload,
    SourceRun,
    file_batches,
    run_batches,
    web_batches,
)
from flows.settings import Settings, load_settings
from flows.summary import Failed, RunSummary
from parsers.errors import ParseError
from parsers.linkage import LinkModelError, load_link_model
from parsers.models import SourceSpec
from parsers.sources import parse_sources
from storage.failures import record_failure
from storage.queries import describe_claims, describe_events, monthly_claims_by_therapy
from storage.reference import sync_aliases

_log = logging.getLogger(__name__)


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
) -> Payload[tuple[RunSummary, dict[str, float]]] | State[Any]:
    """Read or fetch one source's articles in batches, parse and extract them and store them,
    pipelined: the next batch is fetched while the previous one is parsed and the one before
    is stored. Returns the source's summary and seconds per stage. Repeat-safe: a retry finds
    what the first attempt stored (conditional requests, content hashes, upserts)."""
    run = box.value
    summary = RunSummary(sources=1)
    clock = StageClock()
    if spec.kind == "files":
        batches = file_batches(spec, run, summary, clock)
    else:
        batches = web_batches(spec, run, summary, clock)
    await run_batches(batches, run, summary, clock)
    result = Payload((summary, dict(clock.seconds)))
    if summary.failed or summary.warnings:
        # Visible on the run page: a source that produced nothing but failures ends Failed (red
        # in the graph; the flow goes on), one with some failures has a state named for them;
        # both carry the first reason as their message.
        first = summary.failures[0]
        problems = summary.failed + summary.warnings
        message = f"{problems} failure(s); first: [{first.stage}] {first.address}: {first.reason[:160]}"
        if not summary.reached and summary.failed:
            return FailedState(message=f"nothing read: {message}", data=result)
        name = "Completed with failures" if summary.failed else "Completed with warnings"
        return Completed(name=name, message=message, data=result)
    return result


async def _source_result(outcome: Any) -> Payload[tuple[RunSummary, dict[str, float]]]:
    """A source task's Payload, also when the task returned a named state around it."""
    if isinstance(outcome, State):
        if isinstance(outcome.data, Payload):
            return outcome.data
        result = await outcome.aresult(raise_on_failure=False)
        if isinstance(result, BaseException):
            raise result
        return result
    return outcome


def fetch_tag(spec: SourceSpec) -> str | None:
    """The Prefect tag of a web source's task run, "fetch:<host>" (None for local files)."""
    if spec.kind == "files":
        return None
    return f"fetch:{urlsplit(spec.address).hostname or 'unknown'}"


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


async def run_pipeline(settings: Settings, *, prefect: bool = True) -> RunSummary:
    """The body of the ``ingest`` flow; ``prefect=False`` runs the same steps as plain
    functions (no task runs, no artifacts), to measure what orchestration costs. The run owns
    its database engine and its parse worker processes: both end with it."""
    engine = await asyncio.to_thread(prepare_database, settings.database_url)
    try:
        with ParseWorkers(parse_workers(settings.parse_workers)) as workers:
            return await _run(settings, engine, workers, prefect)
    finally:
        engine.dispose()


async def _run(settings: Settings, engine: Engine, workers: ParseWorkers, prefect: bool) -> RunSummary:
    logger = get_run_logger() if prefect else _log
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
            0.0, key=PROGRESS_KEY, description=f"Share of the run's {len(specs)} source(s) done"
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
                    outcome = await ingest_source.fn(spec, Payload(run))
                else:
                    # A concurrency-limit tag caps the sources fetched from one host at a time.
                    tag = fetch_tag(spec)
                    with tags(tag) if tag in limited else contextlib.nullcontext():
                        outcome = await ingest_source(spec, Payload(run), return_state=True)  # type: ignore[misc]  # Prefect types an async task's state as returned, not awaited
                part, seconds = (await _source_result(outcome)).value
            except Exception as exc:  # a source that breaks must not stop the others
                failure = Failed(
                    spec.name, spec.address, "source", f"{type(exc).__name__}: {exc}", spec.optional
                )
                await asyncio.to_thread(
                    record_failure, engine, failure.source, failure.address, failure.stage, failure.reason
                )
                summary.sources += 1
                summary.add_failures([failure])
            else:
                summary.merge(part)
                clock.add(seconds)
            await source_done(spec)

    try:
        load_link_model(settings.link_model or None)
    except LinkModelError as exc:  # a setting to mend: say so before reading anything
        record_failure(engine, "(linkage model)", settings.link_model, "sources", str(exc))
        logger.error("%s", exc)
        raise
    llm = None
    if settings.extractor == "llm":
        llm = LlmRefiner.from_settings(settings, engine, shared_limit=prefect)
        if prefect:
            try:
                await ensure_shared_limit(settings.llm_concurrency)
            except Exception as exc:  # the limit spares the model's server; the run goes on without
                logger.warning("cannot create the concurrency limit %s (%s)", LIMIT_NAME, type(exc).__name__)
    with dask_task_runner(settings if prefect else None) as dask:
        async with Fetcher(settings.fetch_config()) as fetcher:
            run = SourceRun(
                settings,
                base_dir,
                engine,
                fetcher,
                workers,
                asyncio.Semaphore(BATCHES_IN_FLIGHT),
                asyncio.Lock(),
                dask=dask,
                flow_context=contextvars.copy_context() if dask is not None else None,
                llm=llm,
            )
            try:
                await asyncio.gather(*(run_source(spec, run) for spec in specs))
            finally:
                if llm is not None:
                    await llm.aclose()
                    summary.llm = llm.stats.as_dict()
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
    if summary.llm:
        stats = summary.llm
        logger.info(
            "language model: %d articles sent, %d answered (%d from the cache), %d fell back to the offline "
            "extractor %s; %d requests, %d tokens",
            stats["sent"],
            stats["answered"],
            stats["cached"],
            sum(stats["fell_back"].values()),
            stats["fell_back"] or "",
            stats["requests"],
            stats["tokens"],
        )
    for failure in summary.failures[:20]:
        logger.warning(
            "%s [%s] %s: %s",
            "warning" if failure.optional else "failed",
            failure.stage,
            failure.address,
            failure.reason,
        )
    if prefect:
        summary.headline = await publish_artifacts(engine, summary)
    return summary


def _run_name() -> str:
    return f"ingest {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


@flow(
    name="ingest",
    flow_run_name=_run_name,
    description="Read the configured sources, extract dated CGT claims and store them, deduplicated, in SQL.",
)
async def ingest(sources_file: str = "", database_url: str = "") -> Any:
    """Run cgt-monitor once over the sources into the database.

    Args:
        sources_file: The sources file (TOML, one [[source]] table per feed, sitemap, URL or
            folder). Empty: CGT_MONITOR_SOURCES_FILE, else seeds/sources.toml.
        database_url: Where claims are stored (SQLAlchemy URL, e.g. sqlite:///data/cgt.db or
            postgresql+psycopg://user@host/db). Empty: CGT_MONITOR_DATABASE_URL.
    """
    result = await run_pipeline(
        load_settings(sources_file=sources_file or None, database_url=database_url or None), prefect=True
    )
    if result.all_sources_failed:
        # Every source failed: the run ends Failed (automations and notifications can act) with
        # a one-line reason, not a traceback: an offline network is an expected situation.
        first = result.failures[0] if result.failures else None
        reason = f"; first: [{first.stage}] {first.address}: {first.reason[:200]}" if first else ""
        return FailedState(message=f"all {result.sources} source(s) failed{reason}", data=result)
    return Completed(message=(result.headline or "done").replace("**", ""), data=result)


class AllSourcesFailedError(RuntimeError):
    """Every source of the run failed; ``summary`` holds the run summary."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(
            f"all {summary.sources} source(s) failed; {summary.failed + summary.warnings} failure(s)"
        )
        self.summary = summary


async def publish_artifacts(engine: Engine, summary: RunSummary) -> str:
    """The digest, the new-claims table and the timeline chart (see ``flows.artifacts``);
    returns the digest's headline (the run's state message)."""
    new_claims = describe_claims(engine, summary.new_claim_ids)
    new_events = describe_events(engine, summary.new_event_ids)
    line = headline(summary, new_claims, new_events)
    await acreate_markdown_artifact(
        digest_markdown(summary, new_claims, new_events), key=DIGEST_KEY, description=f"What is new: {line}"
    )
    await acreate_table_artifact(
        new_claims_table(new_claims, new_events),
        key=TABLE_KEY,
        description=f"{len(new_claims)} claim(s) first stored in this run, {len(new_events)} new happening(s)",
    )
    today = datetime.now(UTC).date()
    first_month = chart_window(today)[0]
    await acreate_markdown_artifact(
        timeline_markdown(monthly_claims_by_therapy(engine), today),
        key=TIMELINE_KEY,
        description=f"Claims reported per month by therapy, {first_month} to {today:%Y-%m}",
    )
    return line


@contextmanager
def dask_task_runner(settings: Settings | None) -> Iterator[Any]:
    """A started Dask task runner when the settings ask for one (``task_runner = "dask"``),
    else None. Chosen per run from the settings rather than fixed on the flow, so that served,
    worker-deployed and CLI runs all honour ``CGT_MONITOR_TASK_RUNNER``: extraction batches
    then run on a Dask cluster (``dask_address``) or on local Dask worker processes."""
    if settings is None or settings.task_runner == "default":
        yield None
        return
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
    with runner:
        yield runner


def run_ingest(sources_file: str | None = None, database_url: str | None = None) -> RunSummary:
    """Run the flow from synchronous code (the CLI, scripts); raises AllSourcesFailedError
    (with the summary) when every source failed."""

    async def run() -> State[Any]:
        return await ingest(
            sources_file=sources_file or "", database_url=database_url or "", return_state=True
        )

    state = asyncio.run(run())
    summary = state.data if isinstance(state.data, RunSummary) else state.result(raise_on_failure=False)
    if not isinstance(summary, RunSummary):
        raise RuntimeError(f"the ingest flow run ended {state.name}: {state.message}")
    if state.is_failed():
        raise AllSourcesFailedError(summary)
    return summary
