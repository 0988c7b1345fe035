"""Parsing in worker processes: the same results as in-process, and workers that cannot load the
work or die do not lose the batch (the worker's error is recorded instead)."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import os
import signal
import sys
import time
from datetime import UTC, datetime

import pytest

from flows import extraction
from flows.extraction import ExtractionOptions, ParseWorkers, extract_documents
from flows.local import RawDocument
from parsers.models import SourceSpec
from tests.corpus import make_corpus

WORKERS = 2
LXML = ExtractionOptions("lxml")


@pytest.fixture
def workers():
    """The parse workers of one test, as a run owns its own: ended with it."""
    with ParseWorkers(WORKERS) as owned:
        yield owned


def documents(folder, count):
    return [
        RawDocument(name=p.name, address=str(p), data=p.read_bytes(), fetched_at=datetime.now(UTC))
        for p in make_corpus(folder, count)
    ]


def claims_of(results):
    return sorted((doc.address, [c.indication for c in e.claims]) for doc, e in results)


SPEC = SourceSpec(name="corpus", kind="files", address="corpus")


def test_workers_give_the_in_process_results(tmp_path, workers):
    docs = documents(tmp_path / "c", extraction.MIN_DOCS_PER_WORKER * WORKERS + 10)
    pooled, failures, seconds = asyncio.run(workers.extract(SPEC, docs, LXML))
    assert workers.pool is not None  # the batch really went to worker processes
    single, _, _ = extract_documents(SPEC, docs)
    assert failures == [] and claims_of(pooled) == claims_of(single) and len(pooled) == len(docs)
    assert seconds["extract"] > 0


def unimportable_spec(tmp_path):
    """A SourceSpec subclass from a module loaded by file path under a name no other process
    can import: what a flow loaded from its file path used to send to the workers."""
    path = tmp_path / "loaded_by_path.py"
    path.write_text(
        "from dataclasses import dataclass\n"
        "from parsers.models import SourceSpec\n"
        "@dataclass(frozen=True)\n"
        "class LocalSpec(SourceSpec):\n"
        "    pass\n"
    )
    module_spec = importlib.util.spec_from_file_location("cgt_loaded_by_path_only", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["cgt_loaded_by_path_only"] = module
    module_spec.loader.exec_module(module)
    return module.LocalSpec(**{f.name: getattr(SPEC, f.name) for f in dataclasses.fields(SPEC)})


def test_workers_that_cannot_import_the_work_report_why_and_the_batch_is_parsed_here(tmp_path, workers):
    spec = unimportable_spec(tmp_path)
    docs = documents(tmp_path / "c", extraction.MIN_DOCS_PER_WORKER * WORKERS + 10)
    try:
        results, failures, _ = asyncio.run(workers.extract(spec, docs, LXML))
    finally:
        del sys.modules["cgt_loaded_by_path_only"]
    assert len(results) == len(docs)  # nothing lost: parsed in this process
    [warning] = failures
    assert warning.stage == "workers" and warning.optional
    assert "No module named 'cgt_loaded_by_path_only'" in warning.reason  # the worker's own error
    # Later batches of the same owner are parsed here at once, without trying the workers again ...
    more, failures, _ = asyncio.run(workers.extract(SPEC, docs, LXML))
    assert len(more) == len(docs) and failures == [] and workers.pool is None
    assert "cgt_loaded_by_path_only" in (workers.in_process_reason or "")
    # ... while another run's workers know nothing of it and start their processes.
    with ParseWorkers(WORKERS) as other:
        assert other.in_process_reason is None
        asyncio.run(other.extract(SPEC, docs, LXML))
        assert other.pool is not None


async def _kill_workers_while_parsing(workers, docs, kills):
    """Run a pooled batch and SIGKILL one worker of each of the first ``kills`` pools it uses."""
    task = asyncio.ensure_future(workers.extract(SPEC, docs, LXML))
    killed = []
    deadline = time.monotonic() + 60
    while len(killed) < kills and not task.done() and time.monotonic() < deadline:
        pool = workers.pool
        processes = list(getattr(pool, "_processes", {}).values()) if pool else []
        alive = [p for p in processes if p.pid and p.is_alive()]
        if alive and (not killed or killed[-1] is not pool):
            os.kill(alive[0].pid, signal.SIGKILL)
            killed.append(pool)
        await asyncio.sleep(0.01)
    result = await task
    return result, len(killed)


def test_a_worker_that_dies_is_recorded_and_the_batch_is_parsed_again(tmp_path, workers):
    docs = documents(tmp_path / "c", 400)
    (results, failures, _), killed = asyncio.run(_kill_workers_while_parsing(workers, docs, kills=1))
    assert killed == 1
    assert len(results) == len(docs)  # the fresh pool parsed the whole batch
    [warning] = failures
    assert warning.stage == "workers" and "killed by SIGKILL" in warning.reason


def test_a_batch_whose_workers_die_twice_is_recorded_per_document(tmp_path, workers):
    docs = documents(tmp_path / "c", 400)
    (results, failures, _), killed = asyncio.run(_kill_workers_while_parsing(workers, docs, kills=2))
    assert killed == 2 and results == []
    assert sorted(f.address for f in failures) == sorted(d.address for d in docs)
    assert all(f.stage == "parse" and "died twice" in f.reason and "SIGKILL" in f.reason for f in failures)
    # The next batch gets a fresh pool.
    again, failures, _ = asyncio.run(workers.extract(SPEC, docs, LXML))
    assert len(again) == len(docs) and failures == []


def test_closing_the_workers_ends_their_processes(tmp_path):
    docs = documents(tmp_path / "c", extraction.MIN_DOCS_PER_WORKER * WORKERS + 10)
    with ParseWorkers(WORKERS) as owned:
        asyncio.run(owned.extract(SPEC, docs, LXML))
        processes = list(owned.pool._processes.values())
        assert len(processes) == WORKERS and all(p.is_alive() for p in processes)
    for process in processes:
        process.join(timeout=10)
    assert owned.pool is None and not any(p.is_alive() for p in processes)
