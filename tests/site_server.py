"""A real HTTP server on 127.0.0.1 serving the fixture news site, with the failures a crawler
meets in the wild. Used by the web-ingestion tests; start it with ``FixtureSite().start()``.

Paths:
    /robots.txt                 disallows /private/
    /feed.xml                   RSS 2.0 listing good, skipped and failing articles
    /feed-bomb.xml              an entity-expansion ("billion laughs") feed
    /sitemap_index.xml          sitemap index -> /sitemap-news.xml (Google News urlset)
    /big-sitemap.xml[.gz]       a urlset at the protocol's limit: 50,000 URLs, ~7 MB (and gzipped)
    /big-feed.xml               an RSS feed of 20,000 items, ~3 MB
    /news/<slug>                fixture pages from tests/fixtures/site (ETag, Last-Modified)
    /gbk                        a GBK page with neither a charset header nor a meta charset
    /flaky                      503 twice (Retry-After: 0), then the article
    /slow                       sleeps past the client's read timeout
    /huge                       streams 20 MB of HTML
    /binary                     PNG bytes served as text/html
    /loop-a, /loop-b            redirect to each other
    /to-private                 redirects to 127.0.0.2 (not on the tests' allow-list)
    /gone                       404
    /private/secret             disallowed by robots.txt
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parent / "fixtures" / "site"
LAST_MODIFIED = formatdate(1735689600, usegmt=True)  # 2025-01-01

GOOD_FEED_ITEMS = [  # slug, feed pubDate (RFC 822)
    ("car-t-lupus-trial", "Fri, 14 Mar 2025 09:30:00 GMT"),
    ("gene-therapy-approval", "Sat, 02 Nov 2024 07:00:00 GMT"),
    ("stem-cell-knee", "Wed, 08 Jan 2025 10:00:00 GMT"),
    ("city-budget", "Thu, 20 Feb 2025 10:00:00 GMT"),
]
FAILING_PATHS = ["/flaky", "/slow", "/huge", "/binary", "/loop-a", "/to-private", "/gone", "/private/secret"]


def _rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{slug}</title><link>{base}/news/{slug}</link><pubDate>{date}</pubDate>"
        f"<description>Story {slug}</description></item>"
        for slug, date in GOOD_FEED_ITEMS
    )
    items += "".join(
        f"<item><title>{path}</title><link>{base}{path}</link>"
        f"<pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate></item>"
        for path in FAILING_PATHS
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fixture news</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>&lol3;</title><link>http://127.0.0.1/x</link></item></channel></rss>"""

SITEMAP_SLUGS = [("split-body", "2025-05-05"), ("comment-heavy", "2025-04-02"), ("br-layout", "2025-01-20")]
BIG_SITEMAP_URLS = 50_000  # the sitemap protocol's cap on one file
BIG_FEED_ITEMS = 20_000


def big_sitemap(base: str) -> bytes:
    urls = "".join(
        f"<url><loc>{base}/archive/2025/03/01/a-rather-long-story-slug-about-cell-and-gene-therapy-{n:05d}</loc>"
        "<lastmod>2025-03-01</lastmod></url>"
        for n in range(BIG_SITEMAP_URLS)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + urls
        + "</urlset>"
    ).encode()


def big_feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/archive/item-{n:05d}</link>"
        f"<pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate><description>Item number {n} of a long feed.</description></item>"
        for n in range(BIG_FEED_ITEMS)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    ).encode()


class FixtureSite:
    """The fixture site; ``requests`` counts requests per path, ``conditional`` per path the
    requests that carried If-None-Match or If-Modified-Since."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site._record(self)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    site._route(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FixtureSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- bookkeeping ----------------------------------------------------------------------
    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests[path] += 1
            if handler.headers.get("If-None-Match") or handler.headers.get("If-Modified-Since"):
                self.conditional[path] += 1
            self.user_agents.add(handler.headers.get("User-Agent", ""))

    # -- responses --------------------------------------------------------------------------
    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        validators: bool = False,
    ) -> None:
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if validators and (
            h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        if validators:
            h.send_header("ETag", etag)
            h.send_header("Last-Modified", LAST_MODIFIED)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _redirect(self, h: BaseHTTPRequestHandler, location: str) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        html = "text/html"
        if path == "/robots.txt":
            self._send(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path == "/feed.xml":
            self._send(h, 200, _rss(self.base), "application/rss+xml", validators=True)
        elif path == "/feed-bomb.xml":
            self._send(h, 200, BOMB, "application/rss+xml")
        elif path == "/sitemap_index.xml":
            body = (
                f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{self.base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
            ).encode()
            self._send(h, 200, body, "application/xml", validators=True)
        elif path == "/sitemap-news.xml":
            urls = "".join(
                f"<url><loc>{self.base}/news/{slug}</loc><news:news><news:publication>"
                f"<news:name>Fixture</news:name></news:publication><news:publication_date>{d}"
                f"</news:publication_date><news:title>{slug}</news:title></news:news></url>"
                for slug, d in SITEMAP_SLUGS
            )
            body = (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>"
            ).encode()
            self._send(h, 200, body, "application/xml", validators=True)
        elif path == "/big-sitemap.xml":
            self._send(h, 200, big_sitemap(self.base), "application/xml")
        elif path == "/big-sitemap.xml.gz":
            import gzip

            self._send(h, 200, gzip.compress(big_sitemap(self.base)), "application/x-gzip")
        elif path == "/big-feed.xml":
            self._send(h, 200, big_feed(self.base), "application/rss+xml")
        elif path.startswith("/news/") and (SITE / f"{path[6:]}.html").is_file():
            self._send(
                h, 200, (SITE / f"{path[6:]}.html").read_bytes(), "text/html; charset=utf-8", validators=True
            )
        elif path == "/gbk":
            self._send(h, 200, (SITE / "gbk-news.html").read_bytes(), html, validators=True)
        elif path == "/flaky":
            if self.requests[path] <= 2:
                self._send(h, 503, b"busy", "text/plain", {"Retry-After": "0"})
            else:
                self._send(
                    h,
                    200,
                    (SITE / "car-t-lupus-trial.html")
                    .read_bytes()
                    .replace(b"car-t-lupus-trial", b"flaky-copy")
                    .replace(b"all six patients", b"all seven patients"),
                    html,
                    validators=True,
                )
        elif path == "/slow":
            time.sleep(3)
            self._send(h, 200, b"<html><body><p>late</p></body></html>", html)
        elif path == "/huge":
            h.send_response(200)
            h.send_header("Content-Type", html)
            h.send_header("Connection", "close")
            h.end_headers()
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            for _ in range(20 * 16):  # 20 MB
                h.wfile.write(chunk)
        elif path == "/binary":
            self._send(h, 200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, html)
        elif path == "/loop-a":
            self._redirect(h, f"{self.base}/loop-b")
        elif path == "/loop-b":
            self._redirect(h, f"{self.base}/loop-a")
        elif path == "/to-private":
            port = self.server.server_address[1]
            self._redirect(h, f"http://127.0.0.2:{port}/news/car-t-lupus-trial")
        elif path == "/retry-after":
            if self.requests[path] == 1:
                self._send(h, 429, b"slow down", "text/plain", {"Retry-After": "1"})
            else:
                self._send(h, 200, (SITE / "stem-cell-knee.html").read_bytes(), html)
        else:
            self._send(h, 404, b"not found", "text/plain")
