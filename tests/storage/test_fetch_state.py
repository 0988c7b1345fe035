"""storage/fetch_state.py: URL validators across runs, the retry queue, stored article URLs."""

from datetime import UTC, date, datetime

from parsers.models import ParsedArticle
from storage.database import init_db, make_engine
from storage.fetch_state import (
    RetryLink,
    UrlState,
    get_url_states,
    known_article_urls,
    queued_retries,
    save_url_states,
    update_retry_queue,
)
from storage.writer import store_article


def engine_at(url):
    engine = make_engine(url)
    init_db(engine)
    return engine


def test_url_states_are_saved_updated_and_read_back(database_url):
    engine = engine_at(database_url)
    assert get_url_states(engine, ["https://example.org/a"]) == {}
    save_url_states(
        engine,
        [
            UrlState("https://example.org/a", etag='"v1"', status=200),
            UrlState(
                "https://example.org/b", last_modified="Mon, 07 Dec 2026 10:00:00 GMT", content_hash="h"
            ),
            UrlState("https://example.org/a", etag='"v2"', status=200),  # listed twice: the last wins
        ],
    )
    save_url_states(engine, [])  # nothing to do, no error
    states = get_url_states(
        engine, ["https://example.org/a", "https://example.org/b", "https://example.org/c"]
    )
    assert states == {
        "https://example.org/a": UrlState("https://example.org/a", '"v2"', None, None, 200),
        "https://example.org/b": UrlState(
            "https://example.org/b", None, "Mon, 07 Dec 2026 10:00:00 GMT", "h", None
        ),
    }
    save_url_states(engine, [UrlState("https://example.org/b", status=304)])
    assert get_url_states(engine, ["https://example.org/b"])["https://example.org/b"] == UrlState(
        "https://example.org/b", status=304
    )


def test_url_states_are_read_in_chunks_beyond_the_parameter_limit(database_url):
    engine = engine_at(database_url)
    urls = [f"https://example.org/{i}" for i in range(1203)]
    save_url_states(engine, [UrlState(u, etag=str(i)) for i, u in enumerate(urls)])
    states = get_url_states(engine, urls)
    assert len(states) == 1203 and states[urls[1202]].etag == "1202"


def test_the_retry_queue_counts_attempts_gives_up_and_forgets_what_is_done(database_url):
    engine = engine_at(database_url)
    a = RetryLink(
        "https://example.org/a",
        listed_by="https://example.org/feed",
        published=date(2026, 12, 1),
        reason="timeout",
    )
    b = RetryLink("https://example.org/b", reason="HTTP 503")
    assert update_retry_queue(engine, "feed", [a, b], done=[], max_attempts=3) == []
    assert queued_retries(engine, "feed", 10) == [
        RetryLink(a.url, a.listed_by, a.published, 1, "timeout"),
        RetryLink(b.url, None, None, 1, "HTTP 503"),
    ]
    assert queued_retries(engine, "other source", 10) == []
    assert len(queued_retries(engine, "feed", 1)) == 1
    # b fails again, a was fetched
    assert update_retry_queue(engine, "feed", [b], done=[a.url], max_attempts=3) == []
    assert queued_retries(engine, "feed", 10) == [RetryLink(b.url, None, None, 2, "HTTP 503")]
    # the third failure gives b up: returned with its attempts, and no longer queued
    given_up = update_retry_queue(engine, "feed", [b], done=[], max_attempts=3)
    assert given_up == [RetryLink(b.url, None, None, 3, "HTTP 503")]
    assert queued_retries(engine, "feed", 10) == []


def test_a_long_reason_is_cut_to_what_the_column_holds(database_url):
    engine = engine_at(database_url)
    update_retry_queue(engine, "feed", [RetryLink("https://example.org/a", reason="x" * 2000)], [], 5)
    assert queued_retries(engine, "feed", 1)[0].reason == "x" * 500


def test_known_article_urls(database_url):
    engine = engine_at(database_url)
    article = ParsedArticle(
        text="Doctors treated two patients with stem cell injections.",
        fetched_at=datetime(2026, 12, 7, tzinfo=UTC),
        url="https://example.org/a",
    )
    store_article(engine, "feed", "feed", "https://example.org/feed", article, [])
    assert known_article_urls(engine, ["https://example.org/a", "https://example.org/b"]) == {
        "https://example.org/a"
    }
    assert known_article_urls(engine, []) == set()
