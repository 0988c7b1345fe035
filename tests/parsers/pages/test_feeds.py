"""Feeds as real sites write them (HTML entities XML does not define, stray ampersands) and the
entity bomb that must still be refused; URLs cleaned to one form; dates from more layouts."""

from datetime import date

import lxml.html
import pytest

from parsers.pages.feeds import MAX_XML_BYTES, FeedError, parse_feed, parse_sitemap
from parsers.pages.html import clean_url, parse_html


def rss(item_title: str, description: str = "A story.") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"<item><title>{item_title}</title><link>https://example.org/news/1</link>"
        f"<pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate><description>{description}</description></item>"
        "<item><title>Second</title><link>https://example.org/news/2</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "feed",
    [
        rss("Doctors&rsquo; new trial"),
        rss("CAR-T&nbsp;for lupus", "Results &mdash; and what comes next"),
        rss("Stem cells & knees"),  # a bare ampersand
    ],
)
def test_feeds_with_html_entities_or_stray_ampersands_are_read(feed):
    entries = parse_feed(feed)
    assert [e.url for e in entries] == ["https://example.org/news/1", "https://example.org/news/2"]
    assert entries[0].published == date(2025, 3, 3)


def test_an_entity_bomb_is_still_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<rss><channel><item><title>&lol2;</title><link>https://example.org/a</link></item></channel></rss>"
    )
    with pytest.raises(FeedError, match="entity declarations are refused"):
        parse_feed(bomb)


def test_something_that_is_no_feed_at_all_is_an_error():
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>Not a feed</body></html> & more")


@pytest.mark.parametrize(
    "url,clean",
    [
        ("https://user:secret@Example.org:443/a?b=2&utm_source=x&a=1#top", "https://example.org/a?a=1&b=2"),
        ("HTTP://token@example.org:80/news/1?fbclid=abc", "http://example.org/news/1"),
        ("https://example.org/news/1?id=3&ref=twitter", "https://example.org/news/1?id=3"),
    ],
)
def test_urls_lose_credentials_tracking_fragments_and_parameter_order(url, clean):
    assert clean_url(url) == clean


@pytest.mark.parametrize(
    "dated",
    [
        '<div class="post-date">March 3, 2025</div>',
        '<p class="byline">By Jane Doe | Published 03/03/2025</p>',
        '<abbr class="published" title="2025-03-03">3 Mar</abbr>',
    ],
)
def test_publication_dates_from_layouts_beyond_meta_tags(dated):
    html = f"<html><body>{dated}<article><p>Doctors treated patients with stem cells in a trial here.</p></article></body></html>"
    assert parse_html(html).published == date(2025, 3, 3)


def test_a_copyright_year_is_no_publication_date():
    html = "<html><body><p>Doctors treated patients with stem cells in a trial here.</p><footer>Copyright 2019</footer></body></html>"
    assert parse_html(html).published is None
    assert lxml.html  # the tree-based path above parsed it


def test_a_sitemap_at_the_protocols_limit_is_read_whole_or_up_to_a_limit():
    import tracemalloc

    from tests.site_server import BIG_SITEMAP_URLS, big_sitemap

    data = big_sitemap("https://example.org")
    assert len(data) > 5 * 1024 * 1024  # larger than the page cap
    whole = parse_sitemap(data, base_url="https://example.org/sitemap.xml")
    assert len(whole.entries) == BIG_SITEMAP_URLS and whole.entries[-1].url.endswith("therapy-49999")
    tracemalloc.start()
    first = parse_sitemap(data, limit=100)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [e.url for e in first.entries] == [e.url for e in whole.entries[:100]]
    assert peak < 2_000_000  # reading stopped at the limit: no tree of the whole document


def test_a_feed_of_tens_of_thousands_of_items_is_read_up_to_a_limit():
    from tests.site_server import BIG_FEED_ITEMS, big_feed

    data = big_feed("https://example.org")
    assert len(parse_feed(data)) == BIG_FEED_ITEMS
    assert [e.url for e in parse_feed(data, limit=3)] == [
        f"https://example.org/archive/item-{n:05d}" for n in range(3)
    ]


def test_a_listing_over_the_cap_is_refused_with_the_cap_named():
    data = b'<?xml version="1.0"?><urlset>' + b" " * MAX_XML_BYTES + b"</urlset>"
    with pytest.raises(FeedError, match="too large"):
        parse_sitemap(data)
