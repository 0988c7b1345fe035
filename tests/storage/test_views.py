"""storage/views.py: what each SQL view says about a development reported three times - twice
dated at one stage by two outlets, once undated at a later stage - on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import text

from parsers.models import Stage
from storage.views import STAGE_ORDER, VIEWS
from tests.storage.conftest import engine_at, report

READ_ON = date(2026, 11, 25)  # tests.storage.conftest.NOW: the day the undated report was read


@pytest.fixture
def engine(database_url):
    engine = engine_at(database_url)
    report(engine, 1, "Nansha Hospital", "clinical_use", date(2026, 1, 19))
    report(engine, 2, "Nansha Hospital", "clinical_use", date(2026, 2, 3))
    report(engine, 3, "Nansha Hospital", "approved", None)
    return engine


def rows(engine, sql):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def as_date(value):
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def test_every_view_exists_and_the_stage_order_is_the_enums(engine):
    counts = {name: rows(engine, f"SELECT COUNT(*) FROM {name}")[0][0] for name in VIEWS}
    assert counts == {
        "claim_timeline": 3,  # one per mention
        "development_stages": 2,  # one per stage reached
        "development_outlets": 3,
        "development_events": 2,
        "claims_by_month": 6,  # two dated months, each by therapy, by indication and by stage
        "mentions_by_month": 2,
    }
    for stage in Stage:
        assert STAGE_ORDER.count(f"WHEN '{stage.value}' THEN {stage.order}") == 1


def test_claim_timeline_has_one_row_per_mention_with_its_date_and_how_it_was_found(engine):
    got = rows(
        engine,
        "SELECT reported_on, month, dated, stage, outlet, institution FROM claim_timeline ORDER BY mention_id",
    )
    assert [(as_date(r[0]), r[1], bool(r[2]), r[3], r[4], r[5]) for r in got] == [
        (date(2026, 1, 19), "2026-01", True, "clinical_use", "outlet1.example", "Nansha Hospital"),
        (date(2026, 2, 3), "2026-02", True, "clinical_use", "outlet2.example", "Nansha Hospital"),
        (READ_ON, "2026-11", False, "approved", "outlet3.example", "Nansha Hospital"),
    ]


def test_development_stages_keep_dated_reports_apart_from_the_undated(engine):
    got = rows(
        engine,
        "SELECT stage, stage_order, first_reported, last_reported, dated, mention_count, outlet_count "
        "FROM development_stages ORDER BY stage_order",
    )
    assert [(r[0], r[1], as_date(r[2]), as_date(r[3]), bool(r[4]), r[5], r[6]) for r in got] == [
        ("clinical_use", 3, date(2026, 1, 19), date(2026, 2, 3), True, 2, 2),
        ("approved", 4, READ_ON, READ_ON, False, 1, 1),
    ]
    assert len({r[0] for r in rows(engine, "SELECT development_id FROM development_stages")}) == 1


def test_development_outlets_count_mentions_and_leave_undated_reports_out_of_reported_dates(engine):
    got = rows(
        engine,
        "SELECT outlet, mentions, first_reported, first_read_or_reported FROM development_outlets ORDER BY outlet",
    )
    assert [(r[0], r[1], as_date(r[2]), as_date(r[3])) for r in got] == [
        ("outlet1.example", 1, date(2026, 1, 19), date(2026, 1, 19)),
        ("outlet2.example", 1, date(2026, 2, 3), date(2026, 2, 3)),
        ("outlet3.example", 1, None, READ_ON),
    ]


def test_monthly_views_count_dated_reports_only(engine):
    by_stage = rows(
        engine,
        "SELECT month, stage, claims, mentions FROM claims_by_month WHERE stage IS NOT NULL ORDER BY month",
    )
    assert by_stage == [("2026-01", "clinical_use", 1, 1), ("2026-02", "clinical_use", 1, 1)]
    mentions = rows(
        engine,
        "SELECT month, stage, stage_order, claims, developments, mentions FROM mentions_by_month ORDER BY month",
    )
    assert mentions == [("2026-01", "clinical_use", 3, 1, 1, 1), ("2026-02", "clinical_use", 3, 1, 1, 1)]


def test_development_events_group_the_reports_of_one_happening(engine):
    got = rows(
        engine,
        "SELECT stage, occurrence, dated, mentions, outlets, articles FROM development_events ORDER BY stage_order",
    )
    assert [(r[0], r[1], bool(r[2]), r[3], r[4], r[5]) for r in got] == [
        ("clinical_use", 1, True, 2, 2, 2),
        ("approved", 1, False, 1, 1, 1),
    ]
