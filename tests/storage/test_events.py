"""News events below the development: reports of one happening are one event; a later
happening at the same stage, or a report that numbers another occurrence, is another event of
the same development. Real databases (SQLite, and PostgreSQL when configured)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Boolean, Date, text

from parsers.models import Claim, ParsedArticle
from storage.events import EVENT_WINDOW_DAYS, matching_event
from storage.writer import store_article
from tests.storage.conftest import BODY, distinct_body, engine_at

READ = datetime(2026, 11, 25, tzinfo=UTC)


def death(evidence="A patient with the disease has died after receiving the gene therapy.", **changes):
    values = {
        "institution": "Example Therapeutics",
        "therapy": "gene therapy",
        "indication": "Duchenne muscular dystrophy",
        "stage": "clinical_use",
        "outcome": "adverse",
        "patients": 1,
        "evidence": evidence,
    }
    return Claim(**{**values, **changes})


def store(engine, n, published, claim, body=None):
    article = ParsedArticle(
        text=body or distinct_body(n),
        fetched_at=READ,
        published=published,
        url=f"https://outlet{n}.example/a",
    )
    return store_article(engine, "s", "feed", "https://outlet.example/feed", article, [claim])


def events(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT development_id, occurrence, first_reported, last_reported, dated, mentions, outlets "
                "FROM development_events ORDER BY event_id"
            ).columns(first_reported=Date, last_reported=Date, dated=Boolean)
        ).all()


def test_reports_of_one_happening_within_the_window_are_one_event(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2025, 3, 18), death())
    # another outlet's words for the same death (a report of another story is another event)
    store(
        engine,
        2,
        date(2025, 3, 20),
        death("A patient with the disease died after the gene therapy, the company said."),
    )
    store(engine, 3, date(2025, 3, 18) + timedelta(days=EVENT_WINDOW_DAYS), death())
    [event] = events(engine)
    assert event[1:] == (1, date(2025, 3, 18), date(2025, 4, 17), True, 3, 3)


def test_a_later_happening_at_the_same_stage_is_another_event_of_the_same_development(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2017, 8, 31), death())
    store(engine, 2, date(2025, 4, 17), death())
    store(engine, 3, date(2025, 4, 18), death())
    first, second = events(engine)
    assert first[0] == second[0]  # one development ...
    assert (first[2], first[5]) == (date(2017, 8, 31), 1)  # ... with two events
    assert (second[2], second[3], second[5]) == (date(2025, 4, 17), date(2025, 4, 18), 2)


@pytest.mark.parametrize(
    "second",
    [
        "The company halted shipments after a second death due to acute liver failure.",
        "A second patient with the disease has died after receiving the gene therapy.",
    ],
)
def test_a_report_that_numbers_another_occurrence_is_another_event_even_undated(database_url, second):
    engine = engine_at(database_url)
    store(engine, 1, None, death())
    # Undated: reports join an event of their occurrence when they tell the same story (the
    # linkage model), not by their dates.
    store(
        engine,
        2,
        None,
        death("A patient with the disease has died after receiving the gene therapy, the company said."),
    )
    store(engine, 3, None, death(second))
    store(engine, 4, None, death(f"{second} The first death was reported in March."))
    first, later = events(engine)
    assert first[0] == later[0]
    assert (first[1], first[5], first[4]) == (1, 2, False)
    assert (later[1], later[5], later[4]) == (2, 2, False)


def test_an_undated_report_joins_the_latest_event_and_never_dates_it(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2017, 8, 31), death())
    store(engine, 2, date(2025, 4, 17), death())
    store(engine, 3, None, death())
    old, latest = events(engine)
    assert old[5] == 1 and latest[5:] == (2, 2)
    assert (latest[2], latest[3]) == (date(2025, 4, 17), date(2025, 4, 17))


def test_a_copy_joins_its_originals_event_whatever_date_it_carries(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2025, 3, 18), death(), body=BODY)
    copy = store(engine, 2, date(2025, 9, 1), death(), body=BODY + " Republished with permission.")
    assert copy.duplicate_of is not None
    [event] = events(engine)
    assert event[2:4] == (date(2025, 3, 18), date(2025, 9, 1)) and event[5] == 2


def test_storing_again_adds_no_events(database_url):
    engine = engine_at(database_url)
    for _ in range(2):
        store(engine, 1, date(2025, 3, 18), death())
        store(engine, 2, None, death("A second patient has died."))
    assert [e[5] for e in events(engine)] == [1, 1]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one() == 2
        assert conn.execute(text("SELECT COUNT(*) FROM mentions WHERE event_id IS NULL")).scalar_one() == 0


def test_matching_event_prefers_the_nearest_dated_event_and_keeps_the_span_within_the_window():
    d = date(2025, 1, 1)
    week = timedelta(days=7)
    events_ = [(1, d, d + week), (2, d + 3 * week, d + 3 * week), (3, None, None)]
    assert matching_event(events_, d + 2 * week) == 1  # 7 days from each: the older one
    assert matching_event(events_, d + 3 * week + timedelta(days=1)) == 2
    # no dated event can take it without its span exceeding the window: the undated one does
    assert matching_event(events_, d + timedelta(days=200)) == 3
    assert matching_event(events_[:2], d + timedelta(days=200)) is None
    assert matching_event(events_[:2], None) == 2  # undated: the latest
    assert matching_event([], None) is None


def test_a_run_reports_the_happenings_it_started_under_known_claims(database_url):
    from storage.queries import describe_events

    engine = engine_at(database_url)
    first = store(engine, 1, date(2025, 3, 18), death())
    again = store(engine, 2, date(2025, 3, 19), death())
    second = store(engine, 3, date(2025, 6, 20), death("A second patient has died of liver failure."))
    assert first.new_claim_ids and not first.new_event_ids  # the claim is new, not a happening of it
    assert not again.new_event_ids  # a further report of the same happening
    [event_id] = second.new_event_ids
    [row] = describe_events(engine, [*first.new_event_ids, event_id])
    assert (row.event_id, row.occurrence, row.reported, row.previous) == (
        event_id,
        2,
        "2025-06-20",
        "2025-03-18",
    )
    assert (row.institution, row.stage, row.outlet, row.url) == (
        "Example Therapeutics",
        "clinical_use",
        "outlet3.example",
        "https://outlet3.example/a",
    )
    assert describe_events(engine, []) == []


@pytest.mark.parametrize(
    ("earlier", "later"),
    [("clinical_trial", "approved"), ("preclinical", "clinical_trial")],
)
def test_a_later_stage_story_recalling_an_earlier_stage_adds_no_happening(database_url, earlier, later):
    """An approval story recalls the trial, a trial story the animal work: background, not news."""
    engine = engine_at(database_url)
    first = store(engine, 1, date(2025, 3, 12), death(stage=earlier, outcome=None))
    article = ParsedArticle(
        text=distinct_body(2), fetched_at=READ, published=date(2025, 9, 18), url="https://outlet2.example/a"
    )
    claims = [death(stage=s, outcome=None) for s in (later, earlier)]
    story = store_article(engine, "s", "feed", "https://outlet.example/feed", article, claims)
    assert first.new_claim_ids and story.new_event_ids == ()
    by_stage = {}
    with engine.connect() as conn:
        for stage, n, first_reported in conn.execute(
            text("SELECT stage, mentions, first_reported FROM development_events").columns(
                first_reported=Date
            )
        ):
            by_stage.setdefault(stage, []).append((n, first_reported))
    # The recalled stage's report belongs to no happening: its event keeps one report.
    assert by_stage == {earlier: [(1, date(2025, 3, 12))], later: [(1, date(2025, 9, 18))]}
    with engine.connect() as conn:
        [(event_id, why)] = conn.execute(
            text(
                "SELECT m.event_id, m.link_why FROM mentions m JOIN claims c ON c.id = m.claim_id "
                "WHERE m.article_id = :a AND c.stage = :s"
            ),
            {"a": story.article_id, "s": earlier},
        ).all()
    assert event_id is None and "a later stage's story recalls it" in why
