"""End-to-end check of the Prefect integration on this machine (not part of the test suite):

    .venv/bin/python scripts/e2e_prefect.py [--sources FILE] [--keep]

1. starts `prefect server start` on 127.0.0.1 (a free port, a temporary PREFECT_HOME),
2. starts `cgt-monitor serve` against it,
3. triggers a run of the deployment cgt-monitor-ingest through the Prefect API and waits,
4. prints the run's final state and the artifact keys read back from the API,
5. registers prefect.yaml's deployment with `prefect deploy` onto a process work pool and
   reads it back (schedule and parameters),
6. creates the example automation (automations/notify-on-failure.yaml) with a webhook block
   on loopback.

The default sources are the seed article only (no network needed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def stop_processes(procs: list[subprocess.Popen[Any]]) -> None:
    """Stop the processes this script started, the last started first (killed after 30 s)."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(api: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the Prefect server did not answer at {api}")


DEPLOYMENT = "ingest/cgt-monitor-ingest"


async def wait_for_deployment(client: Any, timeout: float = 120) -> Any:
    """The deployment, once `cgt-monitor serve` has registered it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await client.read_deployment_by_name(DEPLOYMENT)
        except Exception:
            if time.monotonic() > deadline:
                raise SystemExit("cgt-monitor serve did not register its deployment") from None
            await asyncio.sleep(1)


async def wait_until_final(client: Any, flow_run_id: Any, timeout: float) -> Any:
    """The flow run, once it is in a final state."""
    deadline = time.monotonic() + timeout
    while True:
        flow_run = await client.read_flow_run(flow_run_id)
        if flow_run.state and flow_run.state.is_final():
            return flow_run
        if time.monotonic() > deadline:
            raise SystemExit(f"the flow run did not finish in {timeout:.0f} s")
        await asyncio.sleep(1)


async def trigger_and_wait(api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    async with get_client() as client:
        deployment = await wait_for_deployment(client)
        print(f"deployment: {deployment.name}  schedule: {[s.schedule.cron for s in deployment.schedules]}")
        print(f"parameters: {deployment.parameters}")
        flow_run = await run_deployment(DEPLOYMENT, timeout=0)
        print(f"triggered flow run {flow_run.id}")
        flow_run = await wait_until_final(client, flow_run.id, 600)
        print(f"final state: {flow_run.state.type.value} ({flow_run.state.name})")
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        )
        print(f"artifact keys: {sorted(a.key for a in artifacts if a.key)}")


async def read_yaml_deployment() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deployment = await client.read_deployment_by_name(DEPLOYMENT)
        print(
            f"prefect.yaml deployment: pool={deployment.work_pool_name} "
            f"schedule={[s.schedule.cron for s in deployment.schedules]} parameters={deployment.parameters}"
        )


def create_example_automation(env: dict[str, str], tmp: Path) -> None:
    """Create automations/notify-on-failure.yaml with a webhook block on loopback (validates
    the example against the API; no notification leaves the machine)."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    block_id = CustomWebhookNotificationBlock(
        name="cgt-monitor-alerts", url="http://127.0.0.1:9/", json_data={"text": "{{subject}}: {{body}}"}
    ).save("cgt-monitor-alerts", overwrite=True)
    text = (ROOT / "automations" / "notify-on-failure.yaml").read_text()
    path = tmp / "automation.yaml"
    path.write_text(text.replace("00000000-0000-0000-0000-000000000000", str(block_id)))
    subprocess.run(
        [str(BIN / "prefect"), "automation", "create", "--from-file", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    asyncio.run(print_automation())


async def print_automation() -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        [automation] = await client.read_automations_by_name("cgt-monitor run failed")
        print(
            f"automation: {automation.name!r} enabled={automation.enabled} "
            f"expects={sorted(automation.trigger.expect)} actions={[a.type for a in automation.actions]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=Path, help="sources file (default: the seed article only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cgt-monitor-e2e-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    os.environ.update({k: env[k] for k in ("PREFECT_HOME", "PREFECT_API_URL")})
    sources = args.sources
    if sources is None:
        sources = tmp / "sources.toml"
        seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
        sources.write_text(f'[[source]]\nname = "seed-articles"\nkind = "files"\naddress = "{seed}"\n')
    procs: list[subprocess.Popen] = []
    try:
        print(f"starting prefect server on 127.0.0.1:{port}")
        procs.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
        wait_healthy(api)
        print("starting cgt-monitor serve")
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "cgt-monitor"),
                    "serve",
                    "--sources",
                    str(sources),
                    "--database-url",
                    f"sqlite:///{tmp}/cgt.db",
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
        asyncio.run(trigger_and_wait(api))
        procs[-1].terminate()
        procs[-1].wait(timeout=30)
        print("registering prefect.yaml with prefect deploy")
        subprocess.run(
            [
                str(BIN / "prefect"),
                "work-pool",
                "create",
                "cgt-monitor-pool",
                "--type",
                "process",
                "--overwrite",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        asyncio.run(read_yaml_deployment())
        create_example_automation(env, tmp)
    finally:
        stop_processes(procs)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
