"""robots.txt as RFC 9309 reads it (Protego), against a real server on 127.0.0.1 whose
robots.txt each test sets: wildcards, redirects, 4xx, 5xx and a body that stalls."""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows.fetching.client import Fetcher, RobotsDisallowedError
from tests.flows.fetching.conftest import config


class RobotsSite:
    """Serves /robots.txt as ``robots`` says, /moved-robots.txt, and any other path as a page."""

    def __init__(self, robots: dict) -> None:
        self.robots = robots
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site.requests.append(self.path)
                if self.path == "/robots.txt":
                    site.answer(self, site.robots)
                elif self.path == "/moved-robots.txt":
                    site.answer(self, {"status": 200, "body": site.robots.get("moved", "")})
                else:
                    site.answer(
                        self,
                        {
                            "status": 200,
                            "body": "<html><body><p>A page.</p></body></html>",
                            "type": "text/html",
                        },
                    )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, h: BaseHTTPRequestHandler, spec: dict) -> None:
        body = spec.get("body", "").encode()
        h.send_response(spec.get("status", 200))
        if spec.get("location"):
            h.send_header("Location", spec["location"])
        h.send_header("Content-Type", spec.get("type", "text/plain"))
        h.send_header("Content-Length", str(len(body) + (100 if spec.get("stall") else 0)))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        if spec.get("stall"):
            time.sleep(spec["stall"])

    def __enter__(self) -> RobotsSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def outcomes(site: RobotsSite, paths: list[str]) -> dict[str, str]:
    """'ok' or the failure's reason for each path, all fetched by one fetcher."""

    async def go() -> dict[str, str]:
        out = {}
        async with Fetcher(config(read_timeout=0.3, total_timeout=2, retries=0)) as fetcher:
            for path in paths:
                try:
                    await fetcher.fetch(site.base + path)
                    out[path] = "ok"
                except RobotsDisallowedError as exc:
                    out[path] = exc.reason
        return out

    return asyncio.run(go())


@pytest.mark.parametrize(
    "rules,disallowed,allowed",
    [
        (
            "User-agent: *\nDisallow: /*?print=\n",
            ["/news/a?print=1", "/b?print=yes"],
            ["/news/a", "/news/a?page=2"],
        ),
        ("User-agent: *\nDisallow: /*.pdf$\n", ["/files/report.pdf"], ["/files/report.pdf.html", "/files/"]),
        (
            "User-agent: *\nDisallow: /private/\nAllow: /private/press/\n",
            ["/private/x"],
            ["/private/press/y"],
        ),
    ],
)
def test_wildcards_and_the_longest_match_are_followed(rules, disallowed, allowed):
    with RobotsSite({"body": rules}) as site:
        got = outcomes(site, disallowed + allowed)
    assert all(got[p] == "disallowed by robots.txt" for p in disallowed), got
    assert all(got[p] == "ok" for p in allowed), got


@pytest.mark.parametrize("status", [301, 308])
def test_a_redirected_robots_txt_is_followed(status):
    with RobotsSite(
        {"status": status, "location": "/moved-robots.txt", "moved": "User-agent: *\nDisallow: /secret\n"}
    ) as site:
        got = outcomes(site, ["/secret", "/open"])
        assert "/secret" not in site.requests  # never asked for
    assert got == {"/secret": "disallowed by robots.txt", "/open": "ok"}


@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_client_error_means_no_rules(status):
    with RobotsSite({"status": status}) as site:
        assert outcomes(site, ["/a", "/b"]) == {"/a": "ok", "/b": "ok"}


@pytest.mark.parametrize(
    "spec,reason",
    [
        ({"status": 503}, "HTTP 503"),
        ({"status": 500}, "HTTP 500"),
        ({"status": 200, "body": "User-agent: *\n", "stall": 1.5}, "timed out reading the body"),
    ],
)
def test_a_server_error_or_a_stalled_robots_txt_keeps_the_origin_out_of_this_run(spec, reason):
    with RobotsSite(spec) as site:
        got = outcomes(site, ["/a", "/b"])
        pages_asked = [p for p in site.requests if p != "/robots.txt"]
        robots_asked = site.requests.count("/robots.txt")
    assert pages_asked == [] and robots_asked == 1  # asked once per run, then not again
    assert all(v.startswith("robots.txt unavailable (") and reason in v for v in got.values()), got
