"""The served deployment: ``cgt-monitor serve`` runs the ``ingest`` flow on a cron schedule.

    deployment = build_deployment(load_settings())    # inspect without serving
    serve_forever(load_settings())                     # blocks; Ctrl-C stops it

For Prefect workers instead of ``serve``, see ``prefect.yaml`` (same deployment, process pool).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType
from sqlalchemy.engine import make_url

from parsers.sources import parse_sources

from .ingest import concurrency_limit_tags, ingest
from .settings import Settings

DEPLOYMENT_NAME = "cgt-monitor-ingest"


def deployment_parameters(settings: Settings) -> dict[str, Any]:
    """The run parameters, with paths made absolute (scheduled runs may start elsewhere)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).expanduser().resolve()))
    return {
        "sources_file": str(Path(settings.sources_file).expanduser().resolve()),
        "database_url": url.render_as_string(hide_password=False),
    }


def build_deployment(settings: Settings) -> RunnerDeployment:
    """The RunnerDeployment ``serve`` would register (built without contacting the API). Its
    entrypoint is the module path ``flows.ingest:ingest``: each flow run imports the flow as
    part of its package, so the parse worker processes it starts can import what they run."""
    return ingest.to_deployment(  # type: ignore[return-value]  # sync caller: the deployment, not a coroutine
        name=DEPLOYMENT_NAME,
        entrypoint_type=EntrypointType.MODULE_PATH,
        schedule=Cron(settings.schedule_cron, timezone=settings.schedule_timezone),
        parameters=deployment_parameters(settings),
        description="Scheduled cgt-monitor run: fetch the sources, extract CGT claims, store them.",
        tags=["cgt-monitor"],
    )


def fetch_hosts(settings: Settings) -> list[str]:
    """Hosts of the web sources (for per-host concurrency limits)."""
    try:
        specs = parse_sources(Path(settings.sources_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return sorted({urlsplit(s.address).hostname or "" for s in specs if s.kind != "files"} - {""})


async def ensure_fetch_limits(settings: Settings) -> list[str]:
    """Create a tag concurrency limit "fetch:<host>" (per_host_concurrency) for each source host
    that has none, so parallel runs do not hammer a site. Returns the tags created."""
    from prefect.client.orchestration import get_client

    created = []
    existing = await concurrency_limit_tags()
    async with get_client() as client:
        for host in fetch_hosts(settings):
            tag = f"fetch:{host}"
            if tag not in existing:
                await client.create_concurrency_limit(
                    tag=tag, concurrency_limit=settings.per_host_concurrency
                )
                created.append(tag)
    return created


def serve_forever(settings: Settings) -> None:
    """Register the deployment and run its scheduled flow runs until stopped."""
    import asyncio

    from prefect import serve

    try:
        created = asyncio.run(ensure_fetch_limits(settings))
        if created:
            print(f"created concurrency limits: {', '.join(created)}")
    except Exception as exc:  # limits are a courtesy: serving goes on without them
        print(f"warning: could not create per-host concurrency limits: {exc}", file=sys.stderr)
    # pause_on_shutdown=False: stopping the server process must not pause the schedule.
    serve(build_deployment(settings), pause_on_shutdown=False)
