"""parsers/pages/urls.py: links as they may be fetched, one URL per article, sites and redaction."""

import re

import pytest

from parsers.pages.urls import InvalidURLError, checked_url, clean_url, redacted, site_of, url_key


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("HTTP://Example.ORG:80/a/b?x=1#top", None, "http://example.org/a/b?x=1"),
        ("https://example.org:443", None, "https://example.org/"),
        ("https://example.org:8443/a", None, "https://example.org:8443/a"),
        ("https://user:secret@example.org/a", None, "https://example.org/a"),
        ("/news/a b", "https://example.org/feed.xml", "https://example.org/news/a%20b"),
        ("story.html", "https://example.org/news/", "https://example.org/news/story.html"),
        ("https://exa\nmple.org/a\t", None, "https://example.org/a"),
        ("https://Bücher.example/a", None, "https://bücher.example/a"),  # checked as IDNA, kept as written
        ("https://example.org./a", None, "https://example.org/a"),
    ],
)
def test_checked_url_gives_the_link_as_fetched(link, base, expected):
    assert checked_url(link, base) == expected


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("", "empty link"),
        ("ftp://example.org/a", "not an http(s) link"),
        ("javascript:alert(1)", "not an http(s) link"),
        ("https:///a", "link without a host"),
        ("https://exa mple.org/a", "invalid host name"),
        ("https://example.org:99999/a", "malformed link"),
        ("https://example.org/\x00a", "control character"),
        ("https://example.org/" + "a" * 5000, "longer than 4096"),
    ],
)
def test_checked_url_refuses_what_cannot_be_fetched_and_says_why(link, reason):
    with pytest.raises(InvalidURLError, match=re.escape(reason)):
        checked_url(link)


def test_a_refused_link_never_shows_its_credentials():
    with pytest.raises(InvalidURLError) as err:
        checked_url("ftp://user:hunter2@example.org/a")
    assert "hunter2" not in str(err.value) and "example.org/a" in str(err.value)


def test_clean_url_drops_tracking_parameters_and_orders_the_rest():
    assert (
        clean_url("https://example.org/a?utm_source=rss&b=2&fbclid=x&a=1&UTM_Campaign=y&gclid=z#c")
        == "https://example.org/a?a=1&b=2"
    )
    assert clean_url("https://example.org/a?id=7&ref=home") == "https://example.org/a?id=7"
    assert clean_url("https://example.org/a?empty=") == "https://example.org/a?empty="


def test_url_key_makes_the_trailing_slash_one_article():
    assert url_key("https://example.org/a/") == url_key("https://example.org/a") == "https://example.org/a"
    assert url_key("https://example.org/") == "https://example.org/"
    assert url_key("https://example.org/a/?x=1") == "https://example.org/a?x=1"
    assert url_key("https://example.org/a") != url_key("https://example.org/b")


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.example.org/a", "example.org"),
        ("https://m.example.org/a", "example.org"),
        ("https://amp.example.co.uk/a", "example.co.uk"),
        ("https://news.example.org/a", "news.example.org"),
        ("https://www.org/a", "www.org"),  # a prefix is only dropped from a longer name
        ("https://example.org./a", "example.org"),
        (None, None),
        ("", None),
        ("https://[::1/a", None),
    ],
)
def test_site_of(url, site):
    assert site_of(url) == site


def test_redacted_drops_credentials_only():
    assert redacted("https://user:pw@example.org/a?x=1") == "https://example.org/a?x=1"
    assert redacted("https://example.org/a@b") == "https://example.org/a@b"
    assert redacted("not a url") == "not a url"
