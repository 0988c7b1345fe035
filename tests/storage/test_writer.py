from datetime import UTC, date, datetime

from sqlalchemy import inspect
from sqlmodel import Session, select

from parsers.models import Claim, ParsedArticle
from storage.database import init_db, make_engine
from storage.failures import record_failure
from storage.models import ClaimRecord as ClaimRow
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


# -- copies: a copy's claims are its original's ----------------------------------------------------
COPY_BODY = "\n\n".join(
    f"Paragraph {i}: doctors followed patient group {i} for months and logged symptoms, blood counts, "
    f"liver tests and daily activity on forms {i}a and {i}b, the report of case series {i} says."
    for i in range(30)
)


def _copy_variants(body: str) -> dict[str, str]:
    """The ways a wire copy differs from its original: words swapped, a prefix, a tail, cut."""
    return {
        "word swaps": body.replace("followed", "tracked", 3).replace("months", "weeks", 2),
        "prefix": "UPDATE 2 - Health news from our correspondents. " + body,
        "tail": body + "\n\nReporting by a correspondent; editing by the desk. Our standards: the Trust.",
        "cut": body[: int(len(body) * 0.8)],
    }


def _original_claims() -> list[Claim]:
    return [
        Claim(
            institution="Riverside Hospital",
            therapy="CAR-T cell therapy",
            indication="systemic lupus erythematosus",
            stage="clinical_trial",
            evidence="e1.",
            patients=6,
        ),
        Claim(
            institution=None,
            therapy="gene therapy",
            indication="hemophilia B",
            stage="clinical_use",
            evidence="e2.",
        ),
    ]


def _copy_claims(body: str = COPY_BODY) -> list[Claim]:
    """What an extractor may read in a copy: the party lost or another named, another therapy
    word of the family, another stage, and a condition the original's claims do not name; the
    evidence is the copy's words (here, its first and fifth paragraphs)."""
    paragraphs = body.split("\n\n")
    first, fifth = paragraphs[0], paragraphs[4]
    return [
        Claim(
            institution=None,
            therapy="cell therapy",
            indication="systemic lupus erythematosus",
            stage="clinical_use",
            evidence=first,
        ),
        Claim(
            institution="Harbor Clinic",
            therapy="gene editing",
            indication="hemophilia B",
            stage="clinical_trial",
            evidence=fifth,
            patients=1,
        ),
        Claim(
            institution=None,
            therapy="gene therapy",
            indication="sickle cell disease",
            stage="approved",
            evidence=fifth,
        ),
    ]


def test_a_copy_never_adds_a_development_or_claim_its_original_lacks(database_url):
    engine = engine_at(database_url)
    store_article(
        engine,
        "a",
        "feed",
        "a",
        ParsedArticle(COPY_BODY, NOW, published=date(2025, 3, 1), url="https://a.org/1"),
        _original_claims(),
    )
    before = {(r.id, r.stage, r.therapy, r.indication) for r in list_claims(engine)}
    assert len(before) == 2
    for k, (name, body) in enumerate(_copy_variants(COPY_BODY).items()):
        published = date(2025, 3, 2 + k)  # each copy on another day
        result = store_article(
            engine,
            f"copy-{k}",
            "feed",
            "x",
            ParsedArticle(body, NOW, published=published, url=f"https://copy{k}.org/{name}"),
            _copy_claims(body),
        )
        assert result.duplicate_of is not None, name
        assert result.claims_new == 0 and result.mentions_new == 2, name
    after = list_claims(engine)
    assert {(r.id, r.stage, r.therapy, r.indication) for r in after} == before
    assert sorted(r.mention_count for r in after) == [5, 5]  # the original's and four copies'
    counts = table_counts(engine)
    assert counts["developments"] == 2 and counts["claims"] == 2


def test_a_copy_of_an_article_without_claims_stores_none(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "feed", "a", ParsedArticle(COPY_BODY, NOW, url="https://a.org/1"), [])
    copy = _copy_variants(COPY_BODY)["prefix"]
    result = store_article(
        engine, "b", "feed", "b", ParsedArticle(copy, NOW, url="https://b.org/1"), _copy_claims()
    )
    assert result.duplicate_of is not None and result.claims_new == 0 and result.mentions_new == 0
    assert table_counts(engine)["developments"] == 0


def test_a_copy_that_adds_a_paragraph_may_report_a_new_stage_of_the_same_development(database_url):
    engine = engine_at(database_url)
    store_article(
        engine, "a", "feed", "a", ParsedArticle(COPY_BODY, NOW, url="https://a.org/1"), _original_claims()
    )
    added = "The regulator has since approved the treatment for adults with lupus, the hospital said today."
    longer = COPY_BODY + "\n\n" + added
    approval = Claim(
        institution="Riverside Hospital",
        therapy="CAR-T cell therapy",
        indication="lupus",
        condition="systemic lupus erythematosus",
        stage="approved",
        evidence=added,
    )
    result = store_article(
        engine, "b", "feed", "b", ParsedArticle(longer, NOW, url="https://b.org/1"), [approval]
    )
    assert result.duplicate_of is not None and result.claims_new == 1
    rows = {(r.indication, r.stage) for r in list_claims(engine)}
    assert ("systemic lupus erythematosus", "approved") in rows  # the original's development, a new stage
    assert table_counts(engine)["developments"] == 2


def test_copies_read_by_the_extractor_store_no_claim_their_original_lacks(database_url):
    """End to end with the learned extractor: an article whose claim names no party, then copies
    of it (words swapped, a prefix, a tail, cut, other dates) as the extractor reads them."""
    from parsers.claims import claim_extractor

    extractor = claim_extractor("learned")
    body = (
        "A nine-year-old girl with acute lymphoblastic leukemia is in remission after receiving "
        "CAR-T cells at a children's hospital in the capital, her doctors said on Monday.\n\n"
        "The girl's cancer had come back twice after chemotherapy, and a bone marrow transplant "
        "had failed to keep it away. Doctors collected her T cells, engineered them to find the "
        "cancer and infused them back in a single dose.\n\n"
        "Three months later tests found no trace of leukemia, and she has gone back to school. "
        "Her mother said the family was grateful to the medical team.\n\n" + COPY_BODY
    )
    engine = engine_at(database_url)

    def stored(text, k, published):
        doc = ParsedArticle(text, NOW, published=published, url=f"https://outlet{k}.org/story")
        return store_article(engine, f"s{k}", "feed", "x", doc, extractor.extract(doc))

    first = stored(body, 0, date(2025, 5, 1))
    assert first.claims_new == 1
    before = {(r.id, r.stage, r.indication) for r in list_claims(engine)}
    developments = table_counts(engine)["developments"]
    for k, text in enumerate(_copy_variants(body).values(), start=1):
        result = stored(text, k, date(2025, 5, 1 + k))
        assert result.duplicate_of is not None and result.claims_new == 0
    assert {(r.id, r.stage, r.indication) for r in list_claims(engine)} == before
    assert table_counts(engine)["developments"] == developments
