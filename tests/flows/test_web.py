"""flows/web.py: what a web source lists (scheduling, feeds, sitemaps, validators) and the
fetching of its article pages, against the fixture site on 127.0.0.1."""

import asyncio

from flows.fetching.client import Fetcher
from flows.web import discover, fetch_articles, schedule
from parsers.models import SourceSpec
from parsers.pages.feeds import FeedEntry
from tests.flows.fetching.conftest import config
from tests.site_server import FAILING_PATHS, GOOD_FEED_ITEMS, SITEMAP_SLUGS


def run(coro_fn):
    async def go():
        async with Fetcher(config(read_timeout=0.3, retries=1)) as fetcher:
            return await coro_fn(fetcher)

    return asyncio.run(go())


def test_schedule_cleans_limits_and_skips_what_the_run_already_scheduled():
    spec = SourceSpec("feed", "feed", "https://example.org/feed.xml")
    scheduled = {"https://example.org/seen"}
    found = [
        FeedEntry("https://example.org/a?utm_source=rss#top"),
        FeedEntry("https://example.org/seen/"),  # the trailing slash: the same article
        FeedEntry("ftp://example.org/x"),
        FeedEntry("https://example.org/a"),  # a repeat of the first, once cleaned
        FeedEntry("https://example.org/b"),
        FeedEntry("https://example.org/c"),
    ]
    entries, failures, repeats = schedule(spec, found, 2, scheduled)
    assert [e.url for e in entries] == ["https://example.org/a", "https://example.org/b"]
    assert repeats == 2
    assert [(f.address, f.stage, f.reason.split(":")[0]) for f in failures] == [
        ("ftp://example.org/x", "url", "invalid_url")
    ]
    assert scheduled == {"https://example.org/seen", "https://example.org/a", "https://example.org/b"}


def test_a_feed_lists_its_links_once_and_nothing_when_it_answers_304(site):
    spec = SourceSpec("feed", "feed", f"{site.base}/feed.xml")
    first = run(lambda f: discover(spec, f, {}, 100))
    expected = [f"{site.base}/news/{slug}" for slug, _ in GOOD_FEED_ITEMS] + [
        f"{site.base}{p}" for p in FAILING_PATHS
    ]
    assert [e.url for e in first.entries] == expected
    assert all(e.listed_by == f"{site.base}/feed.xml" for e in first.entries)
    assert (first.counts.fetched, first.counts.not_modified, first.failures) == (1, 0, [])
    [state] = first.states
    again = run(lambda f: discover(spec, f, {state.url: state}, 100))
    assert again.entries == [] and again.counts.not_modified == 1 and again.counts.fetched == 0


def test_a_sitemap_index_is_followed_to_its_urlset_and_the_limit_holds(site):
    spec = SourceSpec("map", "sitemap", f"{site.base}/sitemap_index.xml")
    found = run(lambda f: discover(spec, f, {}, 100))
    assert [e.url for e in found.entries] == [f"{site.base}/news/{slug}" for slug, _ in SITEMAP_SLUGS]
    assert found.counts.fetched == 2  # the index and its one child
    limited = run(lambda f: discover(spec, f, {}, 1))
    assert [e.url for e in limited.entries] == [f"{site.base}/news/{SITEMAP_SLUGS[0][0]}"]


def test_a_url_source_lists_itself_without_a_request(site):
    spec = SourceSpec("page", "url", f"{site.base}/news/stem-cell-knee?utm_medium=x")
    found = run(lambda f: discover(spec, f, {}, 5))
    assert [e.url for e in found.entries] == [f"{site.base}/news/stem-cell-knee"]
    assert site.requests == {}


def test_fetching_articles_returns_pages_and_sorts_failures_into_retry_and_settled(site):
    spec = SourceSpec("feed", "feed", f"{site.base}/feed.xml")
    good = FeedEntry(f"{site.base}/news/stem-cell-knee", listed_by=f"{site.base}/feed.xml")
    gone = FeedEntry(f"{site.base}/gone")
    slow = FeedEntry(f"{site.base}/slow")
    batch = run(lambda f: fetch_articles(spec, f, [good, gone, slow], {}))
    [doc] = batch.documents
    assert (doc.address, doc.url, doc.content_type, doc.listed_by) == (
        good.url,
        good.url,
        "text/html",
        f"{site.base}/feed.xml",
    )
    assert b"<html" in doc.data.lower()
    assert sorted(f.address for f in batch.failures) == [gone.url, slow.url]
    assert [r.url for r in batch.retry] == [slow.url]  # a timeout may pass: fetched again next run
    assert sorted(batch.settled) == sorted([good.url, gone.url])  # done with, for good or ill
    # the page again with its validators: counted as not modified, not returned
    again = run(lambda f: fetch_articles(spec, f, [good], batch.states))
    assert again.documents == [] and again.counts.not_modified == 1
