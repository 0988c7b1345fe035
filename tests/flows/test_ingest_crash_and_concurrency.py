"""Crash and concurrency safety: a run killed with SIGKILL and run again leaves exactly the
database of an uninterrupted run; two simultaneous runs leave no duplicate rows."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

from prefect.settings import PREFECT_API_URL
from sqlalchemy import text

from flows.ingest import run_ingest
from storage.database import make_engine
from tests.conftest import ROOT
from tests.corpus import make_corpus

ARTICLES = 150


def sources_for(tmp_path):
    make_corpus(tmp_path / "corpus", ARTICLES)
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "corpus"\nkind = "files"\naddress = "corpus"\n')
    return path


def child(sources, database_url):
    """``cgt-monitor run`` in a separate process, reporting to this session's Prefect API."""
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "CGT_MONITOR_BATCH_SIZE": "5"}
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--database-url", database_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def count(database_url, table):
    if database_url.startswith("sqlite:///"):
        # A plain read (WAL: never waits for the writer); the engine's BEGIN IMMEDIATE would
        # queue behind a run that writes batch after batch.
        try:
            with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)) as conn:
                return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        except sqlite3.Error:
            return 0
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


SNAPSHOT_QUERIES = {
    "articles": "SELECT a.article_key, a.content_hash, d.article_key, a.duplicate_kind, a.title, a.published, "
    "a.claim_count FROM articles a LEFT JOIN articles d ON d.id = a.duplicate_of_id",
    "claims": "SELECT institution_key, therapy, indication, stage, first_seen, last_seen, mention_count, "
    "source_count, patients, outcome FROM claims",
    "developments": "SELECT institution_key, therapy, indication FROM developments",
    "mentions": "SELECT c.institution_key, c.therapy, c.indication, c.stage, a.article_key, m.seen_on, "
    "m.seen_month, m.evidence FROM mentions m JOIN claims c ON c.id = m.claim_id "
    "JOIN articles a ON a.id = m.article_id",
    "bands": "SELECT a.article_key, b.band, b.bucket FROM article_bands b JOIN articles a ON a.id = b.article_id",
    "claim_months": "SELECT c.institution_key, c.therapy, c.indication, c.stage, cm.month FROM claim_months cm "
    "JOIN claims c ON c.id = cm.claim_id",
    "monthly_counts": "SELECT month, therapy, indication, stage, claims, mentions FROM monthly_counts",
}


def snapshot(database_url):
    """The database's content without ids, timestamps or the failure log."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        out = {
            name: sorted(tuple(str(v) for v in row) for row in conn.execute(text(sql)).all())
            for name, sql in SNAPSHOT_QUERIES.items()
        }
    engine.dispose()
    return out


def reference(tmp_path, sources, database_url):
    url = database_url.replace("cgt.db", "reference.db") if database_url.startswith("sqlite") else None
    if url is None:  # PostgreSQL: a second database beside the test's own
        from tests.storage.conftest import second_database

        url = second_database(database_url)
    run_ingest(sources_file=str(sources), database_url=url)
    return snapshot(url)


def test_a_run_killed_with_sigkill_then_run_again_equals_an_uninterrupted_run(tmp_path, database_url):
    sources = sources_for(tmp_path)
    expected = reference(tmp_path, sources, database_url)
    assert len(expected["articles"]) == ARTICLES

    proc = child(sources, database_url)
    deadline = time.monotonic() + 120
    while count(database_url, "articles") < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, (
        "the run ended before it could be killed: " + proc.stderr.read().decode()[-500:]
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    interrupted = count(database_url, "articles")
    assert 20 <= interrupted < ARTICLES

    summary = run_ingest(sources_file=str(sources), database_url=database_url)
    assert summary.articles_new == ARTICLES - interrupted
    assert snapshot(database_url) == expected


def test_two_runs_at_the_same_time_leave_no_duplicates(tmp_path, database_url):
    sources = sources_for(tmp_path)
    expected = reference(tmp_path, sources, database_url)
    runs = [child(sources, database_url), child(sources, database_url)]
    for proc in runs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-2000:]
    got = snapshot(database_url)
    for table in ("articles", "claims", "developments", "mentions"):
        assert len(got[table]) == len(expected[table]), table
    # unique keys hold and every claim's counters agree with its mentions
    keys = [row[0] for row in got["articles"]]
    assert len(keys) == len(set(keys))
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT COUNT(*) FROM claims c WHERE c.mention_count <> "
                    "(SELECT COUNT(*) FROM mentions m WHERE m.claim_id = c.id)"
                )
            ).scalar_one()
            == 0
        )
        assert conn.execute(
            text("SELECT SUM(mentions) FROM claims_by_month WHERE therapy IS NOT NULL")
        ).scalar_one() == len(got["mentions"])
    engine.dispose()


def test_a_sigkilled_run_leaves_no_process_behind(tmp_path):
    """``cgt-monitor run`` without PREFECT_API_URL starts Prefect's temporary server and the
    parse workers; killed with SIGKILL, its orphan guard ends them all."""
    import psutil

    make_corpus(tmp_path / "corpus", 1000)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "corpus"\nkind = "files"\naddress = "corpus"\n')
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"CGT_MONITOR_BATCH_SIZE": "40", "CGT_MONITOR_PARSE_WORKERS": "2"})
    database_url = f"sqlite:///{tmp_path / 'killed.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--database-url", database_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = psutil.Process(proc.pid)
    deadline = time.monotonic() + 180
    commands: list[str] = []
    # Wait until the guard, the temporary server and the parse workers are all up.
    while proc.poll() is None and time.monotonic() < deadline:
        descendants = run.children(recursive=True)
        try:
            commands = [" ".join(p.cmdline()) for p in descendants]
        except psutil.Error:
            continue
        if all(any(m in c for c in commands) for m in ("orphan_guard", "multiprocessing", "uvicorn")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {commands}"
    for mark in ("orphan_guard", "multiprocessing", "uvicorn"):  # guard, parse workers, server
        assert any(mark in c for c in commands), (mark, commands)
    time.sleep(1)  # the guard notes descendants every half second
    descendants = run.children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gone, alive = psutil.wait_procs(descendants, timeout=20)
    left = [" ".join(p.cmdline()) for p in alive if p.is_running()]
    for p in alive:  # do not leave them to the next test either
        p.kill()
    assert left == []
