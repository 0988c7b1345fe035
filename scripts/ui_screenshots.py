"""Screenshots of the Prefect UI after two served runs (not part of the test suite):

    .venv/bin/python scripts/ui_screenshots.py [--articles DIR] [--split YYYY-MM-DD] [--out docs/ui]

1. starts `prefect server start` on 127.0.0.1 (a free port, a temporary PREFECT_HOME, with
   PREFECT_API_URL set before the server starts: the UI then works on any port),
2. starts `cgt-monitor serve`,
3. runs the deployment twice: first over the articles of DIR dated before --split (and a
   source that does not exist, to show a failure), then over all of them,
4. saves, with headless Chromium at 1600 px wide: the second run's page, its digest, its
   new-claims table, its chart, the deployment page and the deployment's parameters (a run
   page's tabs cannot be chosen by URL: its task runs and artifacts tabs are not taken).

DIR holds articles the `files` source reads (.txt, .html, .json); JSON articles are split by
their `published` field (undated ones go to the second run), the others go to the first run.
The default, `scripts/ui_demo/`, holds short articles written for this demo about fictional
institutions (nothing quoted from real news, so the screenshots may be kept in the
repository): a trial that is approved by the second run (a stage move), an animal study of a
development already in clinical use (an earlier stage, not a move), a second patient of a
trial the first run stored (a new happening of a known development), a new development and an
undated report. Needs `chromium` (Debian/Ubuntu package) on the PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_prefect import (  # noqa: E402
    BIN,
    DEPLOYMENT,
    ROOT,
    free_port,
    stop_processes,
    wait_for_deployment,
    wait_healthy,
    wait_until_final,
)


def split_articles(articles: Path, first: Path, second: Path, split: str) -> None:
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    for path in sorted(articles.iterdir()):
        if not path.is_file():
            continue
        early = True
        if path.suffix == ".json":
            published = json.loads(path.read_text(encoding="utf-8")).get("published")
            early = bool(published) and published < split
        shutil.copy(path, second / path.name)
        if early:
            shutil.copy(path, first / path.name)


def sources_file(path: Path, folder: Path, with_failure: bool) -> Path:
    text = f'[[source]]\nname = "articles"\nkind = "files"\naddress = "{folder}"\n'
    if with_failure:
        text += '\n[[source]]\nname = "missing-folder"\nkind = "files"\naddress = "does-not-exist"\n'
    path.write_text(text)
    return path


async def run_deployment_with(sources: Path, database_url: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    async with get_client() as client:
        await wait_for_deployment(client)
        flow_run = await run_deployment(
            DEPLOYMENT,
            parameters={"sources_file": str(sources), "database_url": database_url},
            timeout=0,
        )
        flow_run = await wait_until_final(client, flow_run.id, 900)
        print(f"run {flow_run.name}: {flow_run.state.name} - {flow_run.state.message}")
        return str(flow_run.id)


async def artifact_ids(flow_run_id: str) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
        deployment = await client.read_deployment_by_name(DEPLOYMENT)
    return {**{a.key: str(a.id) for a in artifacts if a.key}, "deployment": str(deployment.id)}


def screenshot(chromium: str, url: str, path: Path, height: int = 1200) -> None:
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size=1600,{height}",
            "--virtual-time-budget=20000",
            f"--screenshot={path}",
            url,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=180,
    )
    print(f"saved {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles",
        type=Path,
        default=Path(__file__).resolve().parent / "ui_demo",
        help="folder of articles (.json, .txt, .html)",
    )
    parser.add_argument("--split", default="2025-06-01", help="JSON articles published before go to run one")
    parser.add_argument("--out", type=Path, default=Path("ui-screenshots"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    tmp = Path(tempfile.mkdtemp(prefix="cgt-monitor-ui-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_API_URL": f"{base}/api",  # set before the server starts: the UI reads it
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    os.environ.update({k: env[k] for k in ("PREFECT_HOME", "PREFECT_API_URL")})
    split_articles(args.articles, tmp / "first", tmp / "all", args.split)
    first = sources_file(tmp / "first.toml", tmp / "first", with_failure=True)
    second = sources_file(tmp / "second.toml", tmp / "all", with_failure=True)
    database_url = f"sqlite:///{tmp}/cgt.db"
    args.out.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
        wait_healthy(f"{base}/api")
        procs.append(
            subprocess.Popen(
                [str(BIN / "cgt-monitor"), "serve", "--sources", str(first), "--database-url", database_url],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
        asyncio.run(run_deployment_with(first, database_url))
        run_id = asyncio.run(run_deployment_with(second, database_url))
        ids = asyncio.run(artifact_ids(run_id))
        shots = [
            ("1-run-page.png", f"{base}/runs/flow-run/{run_id}", 1200),
            ("2-digest.png", f"{base}/artifacts/artifact/{ids['cgt-monitor-digest']}", 3200),
            ("3-new-claims-table.png", f"{base}/artifacts/artifact/{ids['cgt-monitor-new-claims']}", 1400),
            ("4-chart.png", f"{base}/artifacts/artifact/{ids['cgt-monitor-timeline']}", 1100),
            ("5-deployment.png", f"{base}/deployments/deployment/{ids['deployment']}", 1200),
            (
                "8-deployment-parameters.png",
                f"{base}/deployments/deployment/{ids['deployment']}?tab=Parameters",
                1000,
            ),
        ]
        for name, url, height in shots:
            screenshot(chromium, url, args.out / name, height)
    finally:
        stop_processes(procs)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")


if __name__ == "__main__":
    main()
