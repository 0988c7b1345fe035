"""A loopback HTTP server whose every answer a test writes (status, body, headers, a stall):
for sites that misbehave (tests/flows/test_ingest_hostile_sites.py, the HTTP client's tests)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hostile:
    """A server on ``host`` answering each path as ``routes`` says: a dict with status, body
    (bytes), headers (dict) and stall (seconds to sleep after the body). Counts requests per
    path and keeps each request's headers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, dict] = {}
        self.requests: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site.requests[self.path] = site.requests[self.path] + 1
                site.headers.append(dict(self.headers))
                route = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0])
                if route is None:
                    route = {"status": 404, "body": b"not found"}
                if callable(route):
                    route = route()
                body = route.get("body", b"")
                self.send_response(route.get("status", 200))
                headers = {"Content-Type": "text/html; charset=utf-8", **route.get("headers", {})}
                for key, value in headers.items():
                    self.send_header(key, value)
                extra = 100 if route.get("stall") else 0
                self.send_header("Content-Length", str(len(body) + extra))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if route.get("stall"):
                    time.sleep(route["stall"])
                    self.close_connection = True

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.routes["/robots.txt"] = {
            "body": b"User-agent: *\nAllow: /\n",
            "headers": {"Content-Type": "text/plain"},
        }

    def feed(self, path: str, links: list[str]) -> None:
        items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
        self.routes[path] = {
            "body": body.encode(),
            "headers": {
                "Content-Type": "application/rss+xml",
                "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT",
            },
        }

    def __enter__(self) -> Hostile:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
