"""Article deduplication, institution resolution, tracking over time and the SQL views."""

from datetime import date

from sqlalchemy import text
from sqlmodel import Session, select

from parsers.models import Claim
from storage.models import Article
from storage.models import ClaimRecord as ClaimRow
from storage.queries import development_history, list_claims
from storage.reference import sync_aliases
from storage.writer import store_article
from tests.storage.conftest import BODY, article, distinct_body, engine_at


def claim(institution="Nansha Hospital", stage="clinical_use", indication="knee osteoarthritis"):
    return Claim(
        institution=institution, therapy="cell therapy", indication=indication, stage=stage, evidence="e."
    )


def articles(engine):
    with Session(engine) as session:
        return {a.url: a for a in session.exec(select(Article)).all()}


def test_syndicated_exact_copy_is_a_duplicate_and_a_further_mention(database_url):
    engine = engine_at(database_url)
    store_article(engine, "outlet-a", "feed", "a", article(BODY, "https://a.org/1"), [claim()])
    copy = store_article(
        engine, "outlet-b", "feed", "b", article(BODY, "https://b.org/9", date(2026, 1, 21)), [claim()]
    )
    stored = articles(engine)
    assert copy.article_new and copy.duplicate_of == stored["https://a.org/1"].id
    assert stored["https://b.org/9"].duplicate_kind == "exact"
    [row] = list_claims(engine)
    assert (row.mention_count, row.source_count) == (2, 2)
    assert (row.first_seen, row.last_seen) == (date(2026, 1, 19), date(2026, 1, 21))


def test_near_duplicate_with_new_headline_and_edited_sentences(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "feed", "a", article(BODY, "https://a.org/1"), [claim()])
    edited = "Breaking: a new headline. " + BODY.replace("Sentence 3 of", "The third sentence of").replace(
        "blood tests", "laboratory tests", 2
    )
    result = store_article(engine, "b", "feed", "b", article(edited, "https://b.org/2"), [claim()])
    copy = articles(engine)["https://b.org/2"]
    assert result.duplicate_of == articles(engine)["https://a.org/1"].id
    assert copy.duplicate_kind == "near" and copy.similarity >= 0.6


def test_different_articles_are_not_merged(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "feed", "a", article(BODY, "https://a.org/1"), [])
    other = " ".join(
        f"Paragraph {i}: the city council discussed roads, schools and the budget {i}." for i in range(40)
    )
    result = store_article(engine, "a", "feed", "a", article(other, "https://a.org/2"), [])
    assert result.duplicate_of is None


def test_changed_page_updates_the_article_and_keeps_earlier_mentions(database_url):
    engine = engine_at(database_url)
    store_article(engine, "a", "url", "u", article(BODY, "https://a.org/1"), [claim()])
    again = store_article(engine, "a", "url", "u", article(BODY, "https://a.org/1"), [claim()])
    assert not again.article_new
    changed = store_article(
        engine,
        "a",
        "url",
        "u",
        article(BODY + " An update was added.", "https://a.org/1"),
        [claim(), claim(indication="ischemic stroke")],
    )
    assert changed.claims_new == 1
    assert len(articles(engine)) == 1
    assert {c.indication for c in list_claims(engine)} == {"knee osteoarthritis", "ischemic stroke"}


def test_institution_spellings_resolve_to_one_claim(database_url):
    engine = engine_at(database_url)
    sync_aliases(engine, [("GIBH", "Guangzhou Institute of Biomedicine and Health")], origin="test")
    names = [
        "Nansha Hospital of Guangzhou First People's Hospital",
        "Nansha Hospital",
        "NANSHA HOSPITAL",
        "Guangzhou Institute of Biomedicine and Health, Chinese Academy of Sciences",
        "GIBH",
        "Guangzhou Institute of Biomedicine and Health",
    ]
    for n, name in enumerate(names):  # separate reports (copies would join their original)
        store_article(
            engine, "s", "files", ".", article(distinct_body(n), f"https://x.org/{n}"), [claim(name)]
        )
    keys = {(c.institution_key) for c in _claims(engine)}
    assert keys == {"nansha hospital", "guangzhou institute of biomedicine and health"}
    assert sorted(c.mention_count for c in _claims(engine)) == [3, 3]


def _claims(engine):
    with Session(engine) as session:
        return session.exec(select(ClaimRow)).all()


def test_stage_history_of_a_development_in_date_order(database_url):
    engine = engine_at(database_url)
    steps = [
        ("clinical_trial", date(2024, 3, 1)),
        ("approved", date(2025, 6, 2)),
        ("clinical_trial", date(2024, 9, 9)),
    ]
    for n, (stage, day) in enumerate(steps):
        store_article(
            engine,
            "s",
            "feed",
            ".",
            article(f"{BODY} {n}", f"https://x.org/{n}", day),
            [claim("Summit Biosciences", stage, "hemophilia B")],
        )
    history = development_history(engine, indication="hemophilia")
    assert [(h.stage, h.first_reported, h.last_reported, h.mentions) for h in history] == [
        ("clinical_trial", date(2024, 3, 1), date(2024, 9, 9), 2),
        ("approved", date(2025, 6, 2), date(2025, 6, 2), 1),
    ]
    assert len({h.development_id for h in history}) == 1
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT stage, first_reported FROM development_stages ORDER BY development_id, first_reported"
            )
        ).all()
    assert [r[0] for r in rows] == ["clinical_trial", "approved"]


def test_views_agree_with_the_tables(database_url):
    engine = engine_at(database_url)
    for n, day in enumerate([date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 3)]):
        store_article(
            engine,
            f"s{n % 2}",
            "feed",
            ".",
            article(f"{BODY} {n}", f"https://x.org/{n}", day),
            [claim(), claim("Eastbridge Hospital", "clinical_trial", "lupus")],
        )
    with Session(engine) as session:
        timeline = session.execute(
            text(
                "SELECT reported_on, source, url, evidence, stage FROM claim_timeline WHERE indication = 'lupus' "
                "ORDER BY reported_on"
            )
        ).all()
        by_month = session.execute(
            text(
                "SELECT month, indication, claims, mentions FROM claims_by_month WHERE indication IS NOT NULL "
                "ORDER BY month, indication"
            )
        ).all()
        recount = session.execute(
            text(
                "SELECT m.seen_month, c.indication, COUNT(DISTINCT c.id), COUNT(*) FROM mentions m "
                "JOIN claims c ON c.id = m.claim_id GROUP BY m.seen_month, c.indication ORDER BY 1, 2"
            )
        ).all()
    assert [(str(r[0])[:10], r[1], r[2]) for r in timeline] == [
        ("2026-01-05", "s0", "https://x.org/0"),
        ("2026-01-20", "s1", "https://x.org/1"),
        ("2026-02-03", "s0", "https://x.org/2"),
    ] and all(r[3] == "e." for r in timeline)
    assert [tuple(r) for r in by_month] == [tuple(r) for r in recount]
    assert [tuple(r) for r in by_month] == [
        ("2026-01", "knee osteoarthritis", 1, 2),
        ("2026-01", "lupus", 1, 2),
        ("2026-02", "knee osteoarthritis", 1, 1),
        ("2026-02", "lupus", 1, 1),
    ]
    with Session(engine) as session:
        by_therapy = session.execute(
            text(
                "SELECT month, therapy, claims, mentions FROM claims_by_month WHERE therapy IS NOT NULL ORDER BY month"
            )
        ).all()
        by_stage = session.execute(
            text(
                "SELECT month, stage, mentions FROM claims_by_month WHERE stage IS NOT NULL ORDER BY month, stage"
            )
        ).all()
    assert [tuple(r) for r in by_therapy] == [
        ("2026-01", "cell therapy", 2, 4),
        ("2026-02", "cell therapy", 2, 2),
    ]
    assert [tuple(r) for r in by_stage] == [
        ("2026-01", "clinical_trial", 2),
        ("2026-01", "clinical_use", 2),
        ("2026-02", "clinical_trial", 1),
        ("2026-02", "clinical_use", 1),
    ]


def test_a_wire_copy_cut_short_or_extended_is_a_contained_copy(database_url):
    engine = engine_at(database_url)
    sentences = BODY.split(". ")
    store_article(engine, "s", "files", ".", article(BODY, "https://wire.example/a"), [claim()])
    cut = ". ".join(sentences[:16]) + "."  # the first 40 % of the story
    extended = (
        BODY
        + " "
        + " ".join(f"Local detail {i} added by the reprinting paper about clinic hours." for i in range(12))
    )
    store_article(
        engine, "s", "files", ".", article(cut, "https://paper-b.example/a"), [claim(institution=None)]
    )
    store_article(
        engine, "s", "files", ".", article(extended, "https://paper-c.example/a"), [claim(institution=None)]
    )
    stored = articles(engine)
    original = stored["https://wire.example/a"]
    for url in ("https://paper-b.example/a", "https://paper-c.example/a"):
        copy = stored[url]
        assert copy.duplicate_of_id == original.id, url
        assert copy.duplicate_kind in ("near", "contained") and copy.similarity >= 0.6, (url, copy.similarity)
    assert stored["https://paper-b.example/a"].duplicate_kind == "contained"
    # the copies' claims (no institution named) join the original's development
    [row] = _claims(engine)
    assert row.mention_count == 3
