"""An analyst's merges and splits of developments (storage.curation): what moves, what the
counters and monthly counts say afterwards, and that later runs keep the correction."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from storage.curation import CurationError, merge_developments, split_mention
from tests.storage.conftest import distinct_body, engine_at, report


def rows(engine, sql, **params):
    with Session(engine) as session:
        return session.execute(text(sql), params).all()


def development_of(engine, url):
    [(development_id,)] = rows(
        engine,
        "SELECT DISTINCT c.development_id FROM mentions m JOIN claims c ON c.id = m.claim_id "
        "JOIN articles a ON a.id = m.article_id WHERE a.url = :url",
        url=url,
    )
    return development_id


def monthly(engine):
    return {
        (month, stage): (claims, mentions)
        for month, stage, claims, mentions in rows(
            engine, "SELECT month, stage, claims, mentions FROM monthly_counts WHERE stage <> ''"
        )
    }


def test_a_merge_makes_two_developments_one_and_later_reports_follow(database_url):
    engine = engine_at(database_url)
    report(engine, 1, "Nansha Hospital")
    report(engine, 2, "Guangzhou Regenerative Medicine Centre")
    report(engine, 3, "Guangzhou Regenerative Medicine Centre", stage="clinical_trial")
    kept, folded = (
        development_of(engine, "https://outlet1.example/a"),
        development_of(engine, "https://outlet2.example/a"),
    )
    assert kept != folded
    assert monthly(engine)[("2026-01", "clinical_use")] == (2, 2)

    done = merge_developments(engine, folded, into=kept, note="one programme, two names")

    assert (done.action, done.development_id, done.mentions) == ("merge", kept, 2)
    assert rows(engine, "SELECT id FROM developments") == [(kept,)]
    claims = dict(rows(engine, "SELECT stage, mention_count FROM claims WHERE development_id = :d", d=kept))
    assert claims == {"clinical_use": 2, "clinical_trial": 1}  # the same stage joined, another moved
    assert monthly(engine)[("2026-01", "clinical_use")] == (1, 2)  # one claim now, two reports
    assert rows(engine, "SELECT action, development_id, other_id, note FROM development_overrides") == [
        ("merge", kept, folded, "one programme, two names")
    ]
    # The folded development's keys name the kept one: a later report of its party joins it.
    report(engine, 4, "Guangzhou Regenerative Medicine Centre", published=date(2026, 2, 3))
    assert development_of(engine, "https://outlet4.example/a") == kept
    assert monthly(engine)[("2026-02", "clinical_use")] == (1, 1)


def test_a_split_report_stays_apart_when_its_article_is_read_again(database_url):
    engine = engine_at(database_url)
    report(engine, 1, "Nansha Hospital")
    report(engine, 2, "Nansha Hospital", published=date(2026, 1, 25))
    original = development_of(engine, "https://outlet1.example/a")
    assert development_of(engine, "https://outlet2.example/a") == original
    [(mention_id,)] = rows(
        engine,
        "SELECT m.id FROM mentions m JOIN articles a ON a.id = m.article_id WHERE a.url = :u",
        u="https://outlet2.example/a",
    )

    done = split_mention(engine, mention_id, note="another clinic of the same name")

    new = done.development_id
    assert new != original and development_of(engine, "https://outlet2.example/a") == new
    counts = dict(rows(engine, "SELECT development_id, mention_count FROM claims"))
    assert counts == {original: 1, new: 1}
    assert monthly(engine)[("2026-01", "clinical_use")] == (2, 2)
    [(why,)] = rows(engine, "SELECT link_why FROM mentions WHERE id = :m", m=mention_id)
    assert f"split from {original}" in why
    # The page changes and is read again: its report keeps to the split development.
    report(engine, 2, "Nansha Hospital", published=date(2026, 1, 25), body=distinct_body(2) + " Updated.")
    assert development_of(engine, "https://outlet2.example/a") == new
    # Another article of the party still joins the original development (its keys stayed).
    report(engine, 5, "Nansha Hospital", published=date(2026, 1, 28))
    assert development_of(engine, "https://outlet5.example/a") == original
    assert dict(rows(engine, "SELECT development_id, mention_count FROM claims")) == {original: 2, new: 1}


def test_corrections_that_cannot_be_made_are_refused_and_change_nothing(database_url):
    engine = engine_at(database_url)
    report(engine, 1, "Nansha Hospital")
    development_id = development_of(engine, "https://outlet1.example/a")
    with pytest.raises(CurationError, match="itself"):
        merge_developments(engine, development_id, into=development_id)
    with pytest.raises(CurationError, match="no development 999"):
        merge_developments(engine, 999, into=development_id)
    with pytest.raises(CurationError, match="no mention 999"):
        split_mention(engine, 999)
    assert rows(engine, "SELECT COUNT(*) FROM development_overrides") == [(0,)]
    assert rows(engine, "SELECT id FROM developments") == [(development_id,)]
