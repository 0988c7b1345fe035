"""storage.linking with storage.developments and storage.events: reports that share no key
join by the linkage model's score, and each mention says why it joined."""

from datetime import date

from sqlalchemy import text

from parsers.models import Claim, ParsedArticle
from storage.writer import store_article
from tests.storage.conftest import NOW, distinct_body, engine_at

TOLD = "Doctors treated a nine-year-old girl with leukemia using CAR-T cells at Harbor Children's Hospital; she is in remission."
RETOLD = "A nine-year-old girl with leukemia is in remission after CAR-T cells, doctors at the hospital said."
OTHER = "Months later a teenager with leukemia was treated with the cells and went home after four weeks."


def claim(evidence, institution=None, **kw):
    values = {
        "therapy": "CAR-T cell therapy",
        "indication": "acute lymphoblastic leukemia",
        "stage": "clinical_use",
    }
    return Claim(institution=institution, evidence=evidence, **{**values, **kw})


def store(engine, n, published, claims, title=None):
    doc = ParsedArticle(
        distinct_body(n), NOW, published=published, url=f"https://outlet{n}.example/a", title=title
    )
    return store_article(engine, "s", "feed", ".", doc, claims)


def mentions(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.url, c.development_id, m.event_id, m.link_why FROM mentions m "
                "JOIN claims c ON c.id = m.claim_id JOIN articles a ON a.id = m.article_id ORDER BY m.id"
            )
        ).all()


def test_a_report_without_a_named_party_joins_when_it_tells_the_same_story(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2025, 3, 1), [claim(TOLD, "Harbor Children's Hospital")])
    store(engine, 2, date(2025, 3, 3), [claim(RETOLD)])
    first, second = mentions(engine)
    assert second[1] == first[1] and second[2] == first[2]  # one development, one event
    assert second[3].startswith("development: p=") and "against mention" in second[3]
    assert "event: p=" in second[3]


def test_another_happening_of_a_development_is_another_event(database_url):
    engine = engine_at(database_url)
    name = "Harbor Children's Hospital"
    store(engine, 1, date(2025, 3, 1), [claim(TOLD, name)])
    store(engine, 2, date(2025, 9, 20), [claim(OTHER, name)])
    first, second = mentions(engine)
    assert second[1] == first[1] and second[2] != first[2]
    assert "development: key party:" in second[3] and "event: new happening" in second[3]


def test_unrelated_reports_of_one_condition_stay_apart_and_say_why(database_url):
    engine = engine_at(database_url)
    store(engine, 1, date(2025, 3, 1), [claim(TOLD)])
    store(engine, 2, date(2025, 3, 1), [claim(OTHER)])
    first, second = mentions(engine)
    assert second[1] != first[1]
    assert second[3].startswith("development: new (best p=0.00")


def test_hostile_party_names_store_in_bounded_time_and_never_merge_on_one_weak_signal(database_url):
    # Names of 1,000 characters, parties in other scripts, a report naming 50 parties: each is
    # stored (no crash), and none joins another report on a shared condition alone.
    engine = engine_at(database_url)
    long_name = "Riverside " + "Regional " * 110 + "Hospital"
    many = "; ".join(f"Hospital Number {k} of Riverside" for k in range(50))
    unrelated = [
        "Doctors gave CAR-T cells to a man with leukemia in a hospital in the north.",
        "A woman with leukemia received the cell therapy at a clinic in the south last year.",
        "Physicians at a university centre reported a boy with leukemia treated with the cells.",
        "A teenager with leukemia was given the engineered cells in the capital in winter.",
    ]
    parties = [long_name, "Больница имени Пирогова", "北京大学人民医院", many]
    for n, (evidence, party) in enumerate(zip(unrelated, parties, strict=True), start=1):
        store(engine, n, date(2024 + n, 1 + n, 1), [claim(evidence, party)])
    rows = mentions(engine)
    assert len(rows) == 4
    assert len({development for _, development, _, _ in rows}) == 4  # four developments, no merge
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT institution FROM claims ORDER BY id")).scalars().all()
    assert stored[1:3] == ["Больница имени Пирогова", "北京大学人民医院"]
