"""Fetching against hostile servers on loopback: one bad link, body or robots.txt costs that
link alone; decoding stays bounded; canonicals cannot take over another site's article; one
fetch per article per run; credentials in links never leave the process; transient failures
are retried in later runs.

Two servers: "A" on 127.0.0.1 and "B" on 127.0.0.3 (another loopback address, so another
site); both are on the allow-list of these tests.
"""

from __future__ import annotations

import gzip
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from flows.ingest import run_ingest
from flows.pipeline import MAX_RETRY_ATTEMPTS
from storage.models import Article, Failure, RetryItem
from tests.conftest import engine_of
from tests.hostile_server import Hostile

BOMB = Path(__file__).resolve().parents[1] / "fixtures" / "zeros-2GiB.gz.gz"
# zeros-2GiB.gz.gz: 2 GiB of zero bytes, gzipped twice (3,477 bytes); made with
# zlib.compressobj(9, zlib.DEFLATED, 31) over 2048 x 1 MiB of zeros, then the result again.


def page(title: str, body: str, head: str = "") -> bytes:
    paragraphs = "".join(f"<p>{body} Sentence {i} of the report adds detail.</p>" for i in range(4))
    return (
        f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    ).encode()


STORY = "Doctors at Riverside Hospital gave CAR-T cell therapy to three patients with lupus."


@pytest.fixture
def hostile_env(monkeypatch):
    for key, value in {
        "CGT_MONITOR_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32,127.0.0.3/32",
        "CGT_MONITOR_READ_TIMEOUT": "0.5",
        "CGT_MONITOR_CONNECT_TIMEOUT": "1",
        "CGT_MONITOR_TOTAL_TIMEOUT": "5",
        "CGT_MONITOR_RETRIES": "1",
        "CGT_MONITOR_BACKOFF_BASE": "0.05",
        "CGT_MONITOR_PER_HOST_DELAY": "0",
        "CGT_MONITOR_PER_HOST_CONCURRENCY": "4",
    }.items():
        monkeypatch.setenv(key, value)


def sources(tmp_path: Path, *entries: tuple[str, str, str]) -> str:
    path = tmp_path / "sources.toml"
    path.write_text(
        "".join(f'[[source]]\nname = "{n}"\nkind = "{k}"\naddress = "{loc}"\n\n' for n, k, loc in entries)
    )
    return str(path)


def articles(database_url: str) -> dict[str, Article]:
    with Session(engine_of(database_url)) as session:
        return {a.url: a for a in session.exec(select(Article)).all()}


def failures(database_url: str) -> list[Failure]:
    with Session(engine_of(database_url)) as session:
        return list(session.exec(select(Failure)).all())


BAD_LINKS = {
    "port out of range": "http://127.0.0.1:99999/news/x",
    "unclosed IPv6": "http://[::1/news/x",
    "DEL character": "http://127.0.0.1/news/a\x7fb",
    "two ports": "http://127.0.0.1:80:80/news/x",
}


def test_good_links_are_stored_beside_every_kind_of_bad_link_and_each_bad_one_is_recorded(
    tmp_path, hostile_env, database_url
):
    with Hostile() as a, Hostile("127.0.0.3") as b:
        b.routes["/robots.txt"] = {
            "body": b"User-agent: *\n",
            "headers": {"Content-Type": "text/plain"},
            "stall": 2,
        }
        for n in range(3):
            a.routes[f"/news/good-{n}"] = {"body": page(f"Good {n}", f"{STORY} Report {n}.")}
        a.routes["/news/fake-gzip"] = {"body": page("Fake", STORY), "headers": {"Content-Encoding": "gzip"}}
        a.routes["/news/triple"] = {
            "body": gzip.compress(gzip.compress(gzip.compress(page("Triple", STORY)))),
            "headers": {"Content-Encoding": "gzip, gzip, gzip"},
        }
        links = [f"{a.base}/news/good-0", *BAD_LINKS.values(), f"{a.base}/news/good-1"]
        links += [f"{a.base}/news/fake-gzip", f"{b.base}/news/behind-stalled-robots", f"{a.base}/news/triple"]
        links += [f"{b.base}/news/also-behind-stalled-robots"]
        links += ["/news/good-2"]  # relative: resolved against the feed's URL
        a.feed("/feed.xml", links)
        summary = run_ingest(sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml")), database_url)

    stored = articles(database_url)
    assert {f"{a.base}/news/good-{n}" for n in range(3)} <= set(stored)
    reasons = {f.address: f.reason for f in failures(database_url)}
    for label, link in BAD_LINKS.items():
        assert reasons[link].startswith("invalid_url: "), (label, reasons)
    assert reasons[f"{a.base}/news/fake-gzip"].startswith("content_encoding: invalid gzip data")
    assert reasons[f"{a.base}/news/triple"].startswith("content_encoding: 3 content-coding layers")
    # the stalled robots.txt is one failure, recorded once; the links it held back are queued
    assert "robots.txt unavailable" in reasons[f"{b.base}/robots.txt"]
    held_back = {f"{b.base}/news/behind-stalled-robots", f"{b.base}/news/also-behind-stalled-robots"}
    assert not held_back & set(reasons)
    with Session(engine_of(database_url)) as session:
        assert {r.url for r in session.exec(select(RetryItem)).all()} == held_back
    assert summary.articles_new == 3
    assert summary.failed == len(BAD_LINKS) + 3


# Peak memory of the probe process itself: VmHWM belongs to the new process image, while
# ru_maxrss on Linux carries over across exec from the forked parent (the pytest process).
MEMORY_PROBE = """
import asyncio, re, sys
from flows.fetching.client import Fetcher, FetchConfig, TooLargeError
async def main():
    config = FetchConfig(user_agent="cgt-monitor-test/1", allowed_networks=("127.0.0.1/32",), per_host_delay=0, retries=0)
    async with Fetcher(config) as fetcher:
        try:
            await fetcher.fetch(sys.argv[1])
        except TooLargeError as exc:
            print("too_large", exc.reason)
asyncio.run(main())
status = open("/proc/self/status").read()
print("peak_mb", int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024)
"""


def test_a_double_gzip_bomb_is_stopped_at_the_size_cap_with_bounded_memory():
    with Hostile() as a:
        a.routes["/bomb"] = {"body": BOMB.read_bytes(), "headers": {"Content-Encoding": "gzip, gzip"}}
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, f"{a.base}/bomb"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert lines["too_large"].startswith("decoded body exceeds the 5242880-byte cap")
    assert int(lines["peak_mb"]) < 200, lines  # ~50 MB seen; 2 GiB decoded at once is > 2,000 MB


def test_a_cross_site_canonical_never_changes_a_stored_article(tmp_path, hostile_env, database_url):
    with Hostile() as a, Hostile("127.0.0.3") as b:
        a.routes["/news/original"] = {
            "body": page("Original", STORY, head="<meta name='date' content='2025-02-03'>")
        }
        a.feed("/feed.xml", [f"{a.base}/news/original"])
        run_ingest(sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml")), database_url)
        before = articles(database_url)[f"{a.base}/news/original"]

        fake = "Scam Clinic cured 500 patients of diabetes with stem cell injections, it says."
        b.routes["/copy"] = {
            "body": page("Fake", fake, head=f"<link rel='canonical' href='{a.base}/news/original'>")
        }
        b.feed("/feed.xml", [f"{b.base}/copy"])
        summary = run_ingest(
            sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml"), ("b", "feed", f"{b.base}/feed.xml")),
            database_url,
        )
    after = articles(database_url)
    original = after[f"{a.base}/news/original"]
    assert (original.text, original.published, original.claim_count) == (
        before.text,
        before.published,
        before.claim_count,
    )
    assert "Scam Clinic" in after[f"{b.base}/copy"].text  # stored under the URL it came from
    assert summary.articles_new == 1


def test_one_article_listed_by_a_feed_a_sitemap_and_with_tracking_variants_is_fetched_once(
    tmp_path, hostile_env, database_url
):
    with Hostile() as a:
        # The server answers with and without the trailing slash, as real sites do; which of the
        # spellings is fetched depends on which source is read first, but only one is.
        a.routes["/news/story"] = a.routes["/news/story/"] = {"body": page("Story", STORY)}
        a.feed(
            "/feed.xml",
            [
                f"{a.base}/news/story",
                f"{a.base}/news/story?utm_source=rss&utm_medium=feed",
                f"{a.base}/news/story#top",
            ],
        )
        sitemap = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{a.base}/news/story/</loc></url><url><loc>{a.base}/news/story?fbclid=x</loc></url></urlset>"
        )
        a.routes["/sitemap.xml"] = {"body": sitemap.encode(), "headers": {"Content-Type": "application/xml"}}
        summary = run_ingest(
            sources(
                tmp_path,
                ("feed", "feed", f"{a.base}/feed.xml"),
                ("map", "sitemap", f"{a.base}/sitemap.xml"),
                ("page", "url", f"{a.base}/news/story?utm_campaign=x"),
            ),
            database_url,
        )
        article_requests = sum(n for path, n in a.requests.items() if path.startswith("/news/story"))
    assert article_requests == 1, a.requests
    assert summary.already_listed == 5 and summary.articles_new == 1
    stored = list(articles(database_url))
    assert len(stored) == 1 and stored[0] in (f"{a.base}/news/story", f"{a.base}/news/story/")


def test_credentials_in_links_are_never_sent_stored_or_logged(tmp_path, hostile_env, database_url, caplog):
    with Hostile() as a:
        host = a.base.removeprefix("http://")
        a.routes["/news/private"] = {"body": page("Private", STORY)}
        a.routes["/news/moved"] = {
            "status": 302,
            "headers": {"Location": f"http://bob:hunter2@{host}/news/private2"},
        }
        a.routes["/news/private2"] = {"body": page("Private two", f"{STORY} A second report.")}
        a.feed(
            "/feed.xml",
            [
                f"http://alice:s3cret@{host}/news/private",
                f"{a.base}/news/moved",
                f"http://carol:pw9@{host}:99999/x",
            ],
        )
        # INFO includes httpx's "HTTP Request: GET <url>" lines (DEBUG adds httpcore's traces,
        # which echo the server's own response headers, a redirect's Location among them).
        caplog.set_level(logging.INFO)
        summary = run_ingest(
            sources(tmp_path, ("a", "feed", f"http://dave:t0ken@{host}/feed.xml")), database_url
        )
        sent = a.headers
    assert summary.articles_new == 2
    assert not any("authorization" in {k.lower() for k in h} for h in sent)
    dump = _dump(database_url)
    for secret in ("s3cret", "hunter2", "pw9", "t0ken", "alice", "bob:", "carol", "dave"):
        assert secret not in dump, secret
        assert secret not in caplog.text, secret


def _dump(database_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine(database_url)
    if database_url.startswith("sqlite"):
        connection = engine.raw_connection()
        try:
            return "\n".join(connection.driver_connection.iterdump())
        finally:
            connection.close()
    with engine.connect() as conn:
        tables = [
            r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ]
        return "\n".join(str(row) for t in tables for row in conn.execute(text(f'SELECT * FROM "{t}"')))


def test_a_utf8_page_declared_as_latin1_is_stored_as_utf8(tmp_path, hostile_env, database_url):
    with Hostile() as a:
        body = page(
            "Thérapie génique", "À l'hôpital de Genève, une thérapie génique a été appliquée à deux patients."
        )
        a.routes["/news/fr"] = {"body": body, "headers": {"Content-Type": "text/html; charset=iso-8859-1"}}
        run_ingest(sources(tmp_path, ("a", "url", f"{a.base}/news/fr")), database_url)
    stored = articles(database_url)[f"{a.base}/news/fr"]
    assert "À l'hôpital de Genève, une thérapie génique" in stored.text
    assert "Ã" not in stored.text


def test_a_transiently_failed_item_is_fetched_again_while_its_feed_answers_304(
    tmp_path, hostile_env, database_url
):
    with Hostile() as a:
        a.routes["/news/flaky"] = {"status": 503, "body": b"busy"}
        a.routes["/news/fine"] = {"body": page("Fine", STORY)}
        a.feed("/feed.xml", [f"{a.base}/news/flaky", f"{a.base}/news/fine"])
        feed = a.routes["/feed.xml"]

        def conditional_feed():  # 304 once the client has the feed's Last-Modified
            if a.headers[-1].get("If-Modified-Since"):
                return {"status": 304}
            return feed

        a.routes["/feed.xml"] = conditional_feed
        listed = sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml"))
        first = run_ingest(listed, database_url)
        with Session(engine_of(database_url)) as session:
            queued = [(r.url, r.attempts) for r in session.exec(select(RetryItem)).all()]
        assert first.articles_new == 1 and queued == [(f"{a.base}/news/flaky", 1)]

        a.routes["/news/flaky"] = {"body": page("Flaky", f"{STORY} Now it answers.")}
        second = run_ingest(listed, database_url)
        assert second.not_modified == 1  # the feed answered 304
        assert second.articles_new == 1 and f"{a.base}/news/flaky" in articles(database_url)
        with Session(engine_of(database_url)) as session:
            assert session.exec(select(RetryItem)).all() == []
        third = run_ingest(listed, database_url)
        assert a.requests["/news/flaky"] == 1 + 1 + 1  # one attempt (+1 retry) in run one, one in run two
        assert third.fetched == 0


def test_a_link_that_keeps_failing_leaves_the_retry_queue_with_a_recorded_reason(
    tmp_path, hostile_env, database_url
):
    with Hostile() as a:
        a.routes["/news/down"] = {"status": 503, "body": b"down"}
        a.feed("/feed.xml", [f"{a.base}/news/down"])
        listed = sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml"))
        for _ in range(MAX_RETRY_ATTEMPTS):
            run_ingest(listed, database_url)
        gave_up = [f for f in failures(database_url) if f.stage == "retry"]
        with Session(engine_of(database_url)) as session:
            assert session.exec(select(RetryItem)).all() == []
        run_ingest(listed, database_url)
        asked = a.requests["/news/down"]
    assert len(gave_up) == 1 and gave_up[0].reason.startswith(
        f"gave up after {MAX_RETRY_ATTEMPTS} failed attempts"
    )
    assert asked == MAX_RETRY_ATTEMPTS * 2  # two tries per run (one retry), none once given up


def test_each_article_says_how_its_date_was_found(tmp_path, hostile_env, database_url):
    with Hostile() as a:
        a.routes["/news/page-dated"] = {
            "body": page("Dated", STORY, head="<meta name='date' content='2025-02-03'>")
        }
        a.routes["/news/feed-dated"] = {"body": page("Feed dated", f"{STORY} Another report.")}
        a.routes["/news/undated"] = {"body": page("Undated", f"{STORY} A third report.")}
        items = (
            f"<item><title>a</title><link>{a.base}/news/page-dated</link></item>"
            f"<item><title>b</title><link>{a.base}/news/feed-dated</link>"
            "<pubDate>Tue, 04 Mar 2025 08:00:00 GMT</pubDate></item>"
            f"<item><title>c</title><link>{a.base}/news/undated</link></item>"
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
        a.routes["/feed.xml"] = {"body": body.encode(), "headers": {"Content-Type": "application/rss+xml"}}
        run_ingest(sources(tmp_path, ("a", "feed", f"{a.base}/feed.xml")), database_url)
    stored = articles(database_url)
    got = {url.removeprefix(a.base): (str(x.published), x.date_source) for url, x in stored.items()}
    assert got == {
        "/news/page-dated": ("2025-02-03", "page"),
        "/news/feed-dated": ("2025-03-04", "feed"),
        "/news/undated": ("None", "fetched"),
    }
