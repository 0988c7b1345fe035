from datetime import UTC, date, datetime

from sqlalchemy import inspect
from sqlmodel import Session, select

from parsers.models import Claim, ParsedArticle
from storage.database import init_db, make_engine
from storage.failures import record_failure
from storage.models import Claim as ClaimRow
from storage.models import Failure, Mention
from storage.queries import list_claims, table_counts
from storage.writer import store_article

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def article(text: str, published: date | None) -> ParsedArticle:
    return ParsedArticle(text=text, fetched_at=NOW, published=published, title="t")


def claim(evidence: str = "Evidence.", patients: int | None = None) -> Claim:
    return Claim(
        institution="Nansha Hospital",
        therapy="cell therapy",
        indication="knee osteoarthritis",
        stage="clinical_use",
        evidence=evidence,
        patients=patients,
    )


def engine_at(url):
    engine = make_engine(url)
    init_db(engine)
    return engine


def test_database_file_and_tables_are_created(tmp_path):
    make_engine(f"sqlite:///{tmp_path / 'sub' / 'cgt.db'}")
    engine = engine_at(f"sqlite:///{tmp_path / 'sub' / 'cgt.db'}")
    assert (tmp_path / "sub" / "cgt.db").exists()
    assert {"sources", "articles", "developments", "claims", "mentions", "failures"} <= set(
        inspect(engine).get_table_names()
    )


def test_storing_twice_adds_nothing(database_url):
    engine = engine_at(database_url)
    first = store_article(engine, "seed", "files", ".", article("Text one.", date(2026, 1, 19)), [claim()])
    counts = table_counts(engine)
    second = store_article(engine, "seed", "files", ".", article("Text one.", date(2026, 1, 19)), [claim()])
    assert first.article_new and first.claims_new == 1 and first.mentions_new == 1
    assert not second.article_new and second.claims_new == 0 and second.mentions_new == 0
    assert table_counts(engine) == counts
    # init_db again on an existing database keeps the data
    init_db(engine)
    assert table_counts(engine) == counts


def test_same_claim_in_two_articles_is_one_claim_with_dates_and_counts(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "files", ".", article("Later report.", date(2026, 2, 1)), [claim()])
    result = store_article(
        engine,
        "b",
        "files",
        ".",
        article("Earlier report.", date(2026, 1, 19)),
        [claim("Other evidence.", patients=2)],
    )
    assert result.claims_new == 0 and result.claims_updated == 1
    [row] = list_claims(engine)
    assert (row.first_seen, row.last_seen) == (date(2026, 1, 19), date(2026, 2, 1))
    assert (row.mention_count, row.source_count) == (2, 2)
    assert row.patients == 2
    with Session(engine) as session:
        assert len(session.exec(select(Mention)).all()) == 2
        assert session.exec(select(ClaimRow)).one().first_seen == date(2026, 1, 19)


def test_undated_article_uses_the_day_it_was_read(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "files", ".", article("Undated.", None), [claim()])
    assert list_claims(engine)[0].first_seen == NOW.date()


def test_failures_are_recorded_with_time(database_url):
    engine = engine_at(database_url)
    record_failure(engine, "seed", "/x/empty.txt", "parse", "empty document")
    with Session(engine) as session:
        row = session.exec(select(Failure)).one()
    assert (row.source_name, row.stage, row.reason) == ("seed", "parse", "empty document")
    assert row.occurred_at.tzinfo is not None


def test_filters(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "files", ".", article("One.", date(2025, 1, 1)), [claim()])
    store_article(
        engine,
        "a",
        "files",
        ".",
        article("Two.", date(2026, 3, 1)),
        [
            Claim(
                institution="X University",
                therapy="gene therapy",
                indication="hemophilia B",
                stage="approved",
                evidence="e",
            )
        ],
    )
    assert [c.indication for c in list_claims(engine, since=date(2026, 1, 1))] == ["hemophilia B"]
    assert [c.therapy for c in list_claims(engine, therapy="GENE")] == ["gene therapy"]
    assert [c.stage for c in list_claims(engine, stage="clinical_use")] == ["clinical_use"]
    assert [c.indication for c in list_claims(engine, indication="knee")] == ["knee osteoarthritis"]
