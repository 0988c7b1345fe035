"""Honest dates: undated reports never move a claim's first/last reported dates, are marked
as undated, and stay out of the monthly counts."""

from datetime import UTC, date, datetime

from sqlalchemy import text

from parsers.models import Claim, ParsedArticle
from storage.queries import list_claims
from storage.writer import store_article
from tests.storage.conftest import distinct_body, engine_at

CLAIM = Claim(
    institution="Institute of Haematology",
    therapy="gene therapy",
    indication="hemophilia B",
    stage="clinical_trial",
    evidence="e.",
)


def store(engine, n, published, read_on):
    article = ParsedArticle(
        text=distinct_body(n),
        fetched_at=datetime.combine(read_on, datetime.min.time(), tzinfo=UTC),
        published=published,
        url=f"https://outlet{n}.example/a",
    )
    store_article(engine, "s", "feed", "https://outlet.example/feed", article, [CLAIM])


def test_an_undated_report_is_marked_and_never_moves_a_dated_claim(database_url):
    engine = engine_at(database_url)
    store(engine, 1, None, date(2026, 11, 1))
    [claim] = list_claims(engine)
    assert (claim.first_seen, claim.dated, claim.reported) == (
        date(2026, 11, 1),
        False,
        "undated (read 2026-11-01)",
    )

    store(engine, 2, date(2022, 5, 27), date(2026, 11, 2))
    store(engine, 3, None, date(2026, 11, 29))
    [claim] = list_claims(engine)
    assert (claim.first_seen, claim.last_seen, claim.dated) == (date(2022, 5, 27), date(2022, 5, 27), True)
    assert claim.mention_count == 3 and claim.reported == "2022-05-27"


def test_undated_reports_stay_out_of_the_monthly_counts_and_say_how_dates_were_found(database_url):
    engine = engine_at(database_url)
    store(engine, 1, None, date(2026, 11, 1))
    store(engine, 2, date(2022, 5, 27), date(2026, 11, 2))
    with engine.connect() as conn:
        months = conn.execute(
            text("SELECT month, mentions FROM claims_by_month WHERE stage IS NOT NULL")
        ).all()
        timeline = conn.execute(
            text("SELECT reported_on, dated, date_source FROM claim_timeline ORDER BY mention_id")
        ).all()
        stages = conn.execute(text("SELECT first_reported, dated FROM development_stages")).all()
    assert [tuple(m) for m in months] == [("2022-05", 1)]
    assert [(str(d), bool(dated), source) for d, dated, source in timeline] == [
        ("2026-11-01", False, "fetched"),
        ("2022-05-27", True, "page"),
    ]
    assert [(str(d), bool(dated)) for d, dated in stages] == [("2022-05-27", True)]
