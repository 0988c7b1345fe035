"""Scheduled runs as users run them: a real ``prefect server start`` on 127.0.0.1, the deployment
served by ``cgt-monitor serve`` (with the default parse workers, and with the Dask task runner)
and prefect.yaml's deployment run by ``prefect worker start`` on a process pool. Each run has
enough articles to reach the parse worker processes, which is where file-loaded flows broke."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from flows.extraction import MIN_DOCS_PER_WORKER
from tests.conftest import ROOT
from tests.corpus import make_corpus

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
DEPLOYMENT = "ingest/cgt-monitor-ingest"
ARTICLES = 120  # more than MIN_DOCS_PER_WORKER per core on any machine CI runs on
assert MIN_DOCS_PER_WORKER * min(os.cpu_count() or 1, 4) <= ARTICLES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrefectServer:
    """``prefect server start`` on a free loopback port with its own PREFECT_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CGT_MONITOR_"))},
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, cwd: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(args),
                cwd=cwd,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped with its children (flow runs, parse workers)
            )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):  # children left behind (flow runs, workers)
            os.killpg(process.pid, signal.SIGKILL)

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.processes[0].poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(
            f"prefect server did not start: {(self.home / 'server.log').read_text()[-3000:]}"
        )

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        """An API call; a server busy writing its SQLite database answers 503 now and then."""
        for attempt in range(10):
            try:
                answer = httpx.request(method, f"{self.api}{path}", timeout=30, **kwargs)
            except httpx.TransportError:
                if attempt == 9:
                    raise
            else:
                if answer.status_code != 503 or attempt == 9:
                    return answer
            time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def deployment_id(self, database: Path | None = None, timeout: float = 120) -> str:
        """The deployment's id once it is registered (with ``database`` as its parameter: an
        earlier test's registration of the same name does not count)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.call("GET", f"/deployments/name/{DEPLOYMENT}")
            if answer.status_code == 200 and (
                database is None or answer.json()["parameters"].get("database_url") == f"sqlite:///{database}"
            ):
                return answer.json()["id"]
            time.sleep(0.5)
        raise AssertionError(f"deployment {DEPLOYMENT} was not registered")

    def run_and_wait(self, deployment_id: str, parameters: dict | None = None, timeout: float = 600) -> dict:
        """Create a flow run of the deployment now and wait for its final state."""
        body = {"parameters": parameters} if parameters else {}
        created = self.call("POST", f"/deployments/{deployment_id}/create_flow_run", json=body)
        created.raise_for_status()
        run_id = created.json()["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call("GET", f"/flow_runs/{run_id}").json()
            if run["state"] and run["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
                return run
            time.sleep(1)
        raise AssertionError(f"flow run {run_id} did not finish in {timeout} s")

    def task_run_names(self, flow_run_id: str) -> list[str]:
        answer = self.call(
            "POST", "/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200}
        )
        answer.raise_for_status()
        return [t["name"] for t in answer.json()]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-server")
    server = PrefectServer(home)
    server.start(
        str(BIN / "prefect"),
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(server.port),
        cwd=home,
        log=home / "server.log",
    )
    try:
        server.wait_healthy()
        yield server
    finally:
        for process in reversed(server.processes):
            server.stop(process)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A sources file listing ARTICLES generated articles."""
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus(folder / "articles", ARTICLES)
    sources = folder / "sources.toml"
    sources.write_text(f'[[source]]\nname = "corpus"\nkind = "files"\naddress = "{folder / "articles"}"\n')
    return sources


def stored(database: Path) -> tuple[int, int, list[tuple[str, str]]]:
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
        claims = conn.execute(text("SELECT count(*) FROM claims")).scalar_one()
        failures = [tuple(r) for r in conn.execute(text("SELECT stage, reason FROM failures"))]
    engine.dispose()
    return articles, claims, failures


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _check_run(run: dict, database: Path, log: Path) -> None:
    assert run["state"]["type"] == "COMPLETED", f"{run['state']}\n{_log_tail(log)}"
    articles, claims, failures = stored(database)
    # Every generated article is stored (exact copies once), nothing failed, and no batch fell
    # back from the parse workers to the flow's process ("workers" failures).
    assert articles > ARTICLES * 0.8 and claims > 0
    assert failures == [], failures


def _serve(server: PrefectServer, corpus: Path, database: Path, log: Path, env: dict[str, str]):
    return server.start(
        str(BIN / "cgt-monitor"),
        "serve",
        "--sources",
        str(corpus),
        "--database-url",
        f"sqlite:///{database}",
        cwd=database.parent,
        log=log,
        env=env,
    )


def test_the_served_deployment_completes_a_run_that_reaches_the_parse_workers(
    prefect_server, corpus, tmp_path
):
    database, log = tmp_path / "served.db", tmp_path / "serve.log"
    serving = _serve(prefect_server, corpus, database, log, {})
    try:
        run = prefect_server.run_and_wait(prefect_server.deployment_id(database))
    finally:
        prefect_server.stop(serving)
    _check_run(run, database, log)


def test_the_served_deployment_on_the_dask_task_runner(prefect_server, corpus, tmp_path):
    database, log = tmp_path / "dask.db", tmp_path / "serve-dask.log"
    env = {"CGT_MONITOR_TASK_RUNNER": "dask", "CGT_MONITOR_DASK_WORKERS": "2"}
    serving = _serve(prefect_server, corpus, database, log, env)
    try:
        run = prefect_server.run_and_wait(prefect_server.deployment_id(database))
        names = prefect_server.task_run_names(run["id"])
    finally:
        prefect_server.stop(serving)
    _check_run(run, database, log)
    assert any(name.startswith("extract-batch") for name in names), names  # parsed on Dask


def test_prefect_yaml_deployment_run_by_a_process_worker(prefect_server, corpus, tmp_path):
    project = tmp_path / "project"  # prefect deploy and the worker run here, not in the clone
    project.mkdir()
    shutil.copy(ROOT / "prefect.yaml", project / "prefect.yaml")
    log = tmp_path / "worker.log"
    prefect = str(BIN / "prefect")
    for command in (
        [prefect, "work-pool", "create", "cgt-monitor-pool", "--type", "process", "--overwrite"],
        [prefect, "--no-prompt", "deploy", "--all"],
    ):
        done = subprocess.run(command, cwd=project, env=prefect_server.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    deployment_id = prefect_server.deployment_id()
    worker = prefect_server.start(
        prefect, "worker", "start", "--pool", "cgt-monitor-pool", cwd=project, log=log
    )
    database = tmp_path / "worker.db"
    try:
        run = prefect_server.run_and_wait(
            deployment_id, {"sources_file": str(corpus), "database_url": f"sqlite:///{database}"}
        )
    finally:
        prefect_server.stop(worker)
    _check_run(run, database, log)
