"""Parsing and claim extraction of a batch of documents, in this process or spread over worker
processes.

Worker processes import this module by its package path (``flows.extraction``), whatever way
the flow itself was loaded (a file path entrypoint, ``python -m prefect.engine``, a served
flow): so it imports no Prefect and nothing from the flow's module, and everything sent to a
worker is defined in an importable module.

    with ParseWorkers(2) as workers:
        results, failures, seconds = await workers.extract(spec, docs, ExtractionOptions("lxml"))
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import pickle
import signal
import site
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from parsers.claims import DEFAULT_EXTRACTOR, claim_extractor
from parsers.errors import ParseError
from parsers.models import SourceSpec
from parsers.pages.html import DEFAULT_MAIN_TEXT_EXTRACTOR, PageOptions
from parsers.pages.urls import site_of
from parsers.pipeline import ExtractedArticle, process_document

from .local import RawDocument
from .summary import Failed

ExtractResult = tuple[list[tuple[RawDocument, ExtractedArticle]], list[Failed], dict[str, float]]
MIN_DOCS_PER_WORKER = 20  # smaller batches are parsed in-process (starting workers costs more)
# The folder that holds the ``flows`` package: added to each worker's import path, so a
# worker can import this module even when the project is not installed.
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)


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

    def add(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.seconds[stage] += value


@dataclasses.dataclass(frozen=True, slots=True)
class ExtractionOptions:
    """How a batch is read: the main-text mode of HTML pages and the claim extractor (with its
    model file; empty: the one shipped). Sent to worker processes with each batch."""

    main_text: str = DEFAULT_MAIN_TEXT_EXTRACTOR
    claims: str = DEFAULT_EXTRACTOR
    claim_model: str = ""


DEFAULT_OPTIONS = ExtractionOptions()


def extract_documents(
    spec: SourceSpec, docs: Sequence[RawDocument], options: ExtractionOptions = DEFAULT_OPTIONS
) -> ExtractResult:
    """Parse and extract each document; a bad one becomes a Failed with a one-line reason.
    Returns the results, the failures and the seconds spent per stage. A claim extractor that
    cannot be made (a damaged model file) fails every document of the batch with its reason."""
    try:
        extractor = claim_extractor(options.claims, options.claim_model or None)
    except Exception as exc:  # noqa: BLE001 - a bad setting or model file: recorded for each document
        reason = f"claim extractor {options.claims!r}: {exc}"
        return [], [Failed(spec.name, doc.address, "extract", reason, spec.optional) for doc in docs], {}
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
                options=PageOptions(
                    options.main_text, (listing,) if (listing := site_of(doc.listed_by)) else ()
                ),
                timer=clock,
            ):
                if extracted.article.published is None and doc.published_hint is not None:
                    article = dataclasses.replace(
                        extracted.article, published=doc.published_hint, date_source="feed"
                    )
                    extracted = dataclasses.replace(extracted, article=article)
                results.append((slim, extracted))
        except ParseError as exc:
            failures.append(Failed(spec.name, doc.address, "parse", str(exc), spec.optional))
        except Exception as exc:  # an extractor bug must not stop the run: record it
            failures.append(
                Failed(spec.name, doc.address, "extract", f"{type(exc).__name__}: {exc}", spec.optional)
            )
    return results, failures, dict(clock.seconds)


# -- worker processes ---------------------------------------------------------------------------
class WorkerSetupError(RuntimeError):
    """A worker process could not load the work it was sent (an import error, typically); the
    message is the worker's own error."""


def run_pickled(payload: bytes) -> Any:
    """Run ``(function, args)`` unpickled here, in the worker: an error while unpickling (a
    module the worker cannot import) comes back as a ``WorkerSetupError`` with the worker's
    message, where the process pool would only say that a process died."""
    try:
        function, args = pickle.loads(payload)
    except BaseException as exc:
        lines = traceback.format_exception_only(type(exc), exc)
        raise WorkerSetupError(lines[-1].strip()) from None
    return function(*args)


class ParseWorkers:
    """The parse worker processes of whoever starts them (a run, a benchmark): a process pool,
    started on first use and ended by ``close`` (or the ``with`` block), and the reason parsing
    moved into this process when workers cannot load the work. Nothing of it outlives its
    owner or is shared with another run in the same process.

        with ParseWorkers(2) as workers:
            results, failures, seconds = await workers.extract(spec, docs, options)
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.in_process_reason: str | None = None  # set when workers cannot run the extraction
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParseWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The live pool, if one was started (what tests and the benchmark look at)."""
        return self._pool

    def started_pool(self) -> ProcessPoolExecutor:
        """The pool for CPU-bound parsing ("spawn": the flow's process runs threads and an
        event loop, which forking would copy half-way)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=site.addsitedir,
                initargs=(_PROJECT_ROOT,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _discard(self) -> str:
        """Drop a broken pool; returns how its processes ended (exit codes, signals)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return ""
        processes = list((getattr(pool, "_processes", None) or {}).values())
        # Waiting lets the pool's own thread reap its processes first: reading an exit code
        # while that thread reaps the same process can find none.
        pool.shutdown(wait=True, cancel_futures=True)
        endings = []
        for process in processes:
            process.join(timeout=5)
            code = process.exitcode
            if code is None or code == 0:
                continue
            if code < 0:
                try:
                    endings.append(f"killed by {signal.Signals(-code).name}")
                except ValueError:
                    endings.append(f"killed by signal {-code}")
            else:
                endings.append(f"exit code {code}")
        return ", ".join(sorted(set(endings)))

    async def _in_pool(
        self, spec: SourceSpec, docs: Sequence[RawDocument], options: ExtractionOptions
    ) -> ExtractResult:
        loop = asyncio.get_running_loop()
        pool = self.started_pool()
        size = -(-len(docs) // self.workers)
        calls = [
            pickle.dumps((extract_documents, (spec, docs[i : i + size], options)))
            for i in range(0, len(docs), size)
        ]
        parts = await asyncio.gather(*(loop.run_in_executor(pool, run_pickled, call) for call in calls))
        return _merge(parts)

    async def extract(
        self, spec: SourceSpec, docs: Sequence[RawDocument], options: ExtractionOptions
    ) -> ExtractResult:
        """Parse and extract a batch; with more than one worker the documents are split over
        the processes (parsing HTML is CPU-bound: threads would not help).

        Workers that fail do not lose the batch: when they cannot load the work (an import
        error) the batch is parsed in this process, as is every later one of this owner; when
        a worker process dies, the batch goes once more to a fresh pool and, should that die
        too, its documents are recorded as failed (to be tried again next run) while the next
        batch gets a fresh pool. Either way the worker's error is recorded for the source."""
        workers = self.workers
        if workers <= 1 or len(docs) < MIN_DOCS_PER_WORKER * workers or self.in_process_reason:
            return await extract_in_process(spec, docs, options)
        try:
            return await self._in_pool(spec, docs, options)
        except WorkerSetupError as exc:
            await asyncio.to_thread(self._discard)
            self.in_process_reason = str(exc)
            results, failures, seconds = await extract_in_process(spec, docs, options)
            note = f"parse worker processes cannot run the extraction ({exc}); parsing in the flow's process"
            return (
                results,
                [*failures, Failed(spec.name, spec.address, "workers", note, optional=True)],
                seconds,
            )
        except BrokenProcessPool as exc:
            first = await asyncio.to_thread(self._discard) or str(exc)
        try:
            results, failures, seconds = await self._in_pool(spec, docs, options)
        except BrokenProcessPool as exc:
            again = await asyncio.to_thread(self._discard) or str(exc)
            reason = f"a parse worker process died twice on this batch ({first}; then {again})"
            return [], [Failed(spec.name, doc.address, "parse", reason, spec.optional) for doc in docs], {}
        note = f"a parse worker process died ({first}); the batch was parsed again in a fresh pool"
        return results, [*failures, Failed(spec.name, spec.address, "workers", note, optional=True)], seconds


async def extract_in_process(
    spec: SourceSpec, docs: Sequence[RawDocument], options: ExtractionOptions
) -> ExtractResult:
    """A batch parsed in this process, in a thread (the event loop goes on)."""
    return await asyncio.to_thread(extract_documents, spec, docs, options)


def parse_workers(setting: int) -> int:
    """Processes for parsing: the setting, or (0) one per core."""
    return setting or (os.cpu_count() or 1)


def _merge(parts: Sequence[ExtractResult]) -> ExtractResult:
    results: list[tuple[RawDocument, ExtractedArticle]] = []
    failures: list[Failed] = []
    clock = StageClock()
    for part_results, part_failures, part_seconds in parts:
        results.extend(part_results)
        failures.extend(part_failures)
        clock.add(part_seconds)
    return results, failures, dict(clock.seconds)
