"""Development identity: which reports become one development, and which never do."""

from datetime import date

import pytest
from sqlalchemy import text

from parsers.models import Claim
from storage.identity import identity_keys, parent_institution_keys
from storage.reference import sync_aliases
from storage.writer import store_article
from tests.storage.conftest import BODY, article, distinct_body, engine_at


def claim(institution=None, therapy="CAR-T cell therapy", indication="systemic lupus erythematosus", **kw):
    return Claim(
        institution=institution,
        therapy=therapy,
        indication=indication,
        stage=kw.pop("stage", "clinical_use"),
        evidence="e.",
        **kw,
    )


def store(engine, n, claims, url=None, body=None, published=date(2025, 3, 1)):
    store_article(
        engine,
        "s",
        "files",
        ".",
        article(body or distinct_body(n), url or f"https://outlet{n}.example/a", published),
        claims,
    )


def developments(engine):
    """{development id: sorted external view of its mentions' article URLs}"""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.development_id, a.url FROM mentions m JOIN claims c ON c.id = m.claim_id "
                "JOIN articles a ON a.id = m.article_id"
            )
        ).all()
    out: dict[int, set[str]] = {}
    for development_id, url in rows:
        out.setdefault(development_id, set()).add(url)
    return sorted(sorted(v) for v in out.values())


@pytest.mark.parametrize(
    ("key", "parents"),
    [
        ("kyoto university hospital", ["kyoto university"]),
        ("peking university third hospital", ["peking university"]),
        ("first affiliated hospital of sun yat sen university", ["sun yat sen university"]),
        ("kyoto university", []),
        ("university of california", []),
        ("nansha hospital", []),
    ],
)
def test_parents_named_within_an_institution(key, parents):
    assert parent_institution_keys(key) == parents


def test_keys_are_ordered_registry_product_party_and_an_unnamed_party_gets_its_article():
    named = claim("Kite", product="Yescarta", registry_ids=("NCT01234567",))
    kinds = [kind for kind, _ in identity_keys(named, ["kite"], 7)]
    assert kinds == ["registry", "product", "party"]
    assert identity_keys(claim(), [], 7) == [
        ("article", "article:7|CAR-T cell therapy|systemic lupus erythematosus")
    ]


def test_unrelated_reports_without_a_named_party_stay_apart(database_url):
    engine = engine_at(database_url)
    store(engine, 1, [claim(location="Brazil")])
    store(engine, 2, [claim(location="Germany")])
    assert len(developments(engine)) == 2


def test_a_copy_without_a_named_party_joins_its_original(database_url):
    engine = engine_at(database_url)
    store(
        engine,
        1,
        [claim("Institute of Haematology", therapy="gene therapy", indication="hemophilia B")],
        body=BODY,
    )
    copy = BODY.replace("Sentence 3 ", "Line 3 ")  # a near-copy (one word changed)
    store(engine, 2, [claim(None, therapy="gene therapy", indication="hemophilia B")], body=copy)
    assert len(developments(engine)) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Fosun Kite Biotechnology", "Kite Pharma"),  # licensee and developer
        ("Kite, a Gilead Company", "Gilead Sciences"),
    ],
)
def test_one_product_is_one_development_whoever_is_named(database_url, first, second):
    engine = engine_at(database_url)
    kw = {"therapy": "CAR-T cell therapy", "indication": "large B-cell lymphoma", "stage": "approved"}
    store(engine, 1, [claim(first, product="Yescarta", **kw)])
    store(engine, 2, [claim(second, product="Yescarta", **kw)])
    store(engine, 3, [claim(second, product="Tecartus", **{**kw, "indication": "mantle cell lymphoma"})])
    assert sorted(len(d) for d in developments(engine)) == [1, 2]


def test_one_registered_trial_is_one_development_across_institution_names(database_url):
    engine = engine_at(database_url)
    kw = {"therapy": "stem cell therapy", "indication": "Parkinson's disease", "stage": "clinical_trial"}
    store(engine, 1, [claim("BlueRock Therapeutics", registry_ids=("NCT04802733",), **kw)])
    store(engine, 2, [claim("Memorial Sloan Kettering", registry_ids=("NCT04802733",), **kw)])
    store(engine, 3, [claim("Memorial Sloan Kettering", registry_ids=("NCT05897957",), **kw)])
    # The third names another trial but the same party: it joins through the party key that
    # the second report added.
    assert [len(d) for d in developments(engine)] == [3]


@pytest.mark.parametrize("order", [("child", "parent"), ("parent", "child")])
def test_a_university_hospital_and_its_university_are_one_party(database_url, order):
    engine = engine_at(database_url)
    names = {"child": "Kyoto University Hospital", "parent": "Kyoto University"}
    kw = {
        "therapy": "iPSC-derived cell therapy",
        "indication": "Parkinson's disease",
        "stage": "clinical_trial",
    }
    for n, which in enumerate(order):
        store(engine, n, [claim(names[which], **kw)])
    assert [len(d) for d in developments(engine)] == [2]


@pytest.mark.parametrize("order", [("child", "parent"), ("parent", "child")])
@pytest.mark.parametrize(
    ("child", "parent"),
    [
        ("Tianjin First Central Hospital, Peking University", "Peking University"),
        ("Zhongshan Hospital, Fudan University School of Medicine", "Fudan University"),
    ],
)
def test_a_parent_given_after_a_comma_is_a_parent_too(database_url, order, child, parent):
    engine = engine_at(database_url)
    names = {"child": child, "parent": parent}
    kw = {"therapy": "iPSC-derived cell therapy", "indication": "type 1 diabetes", "stage": "clinical_trial"}
    for n, which in enumerate(order):
        # outlets word the therapy more or less specifically: the family decides
        therapy = "stem cell therapy" if which == "parent" else kw["therapy"]
        store(engine, n, [claim(names[which], **{**kw, "therapy": therapy})])
    assert [len(d) for d in developments(engine)] == [2]


def test_a_comma_parent_does_not_pick_between_two_hospitals_nor_make_an_academy_a_parent(database_url):
    engine = engine_at(database_url)
    kw = {"therapy": "CAR-T cell therapy", "indication": "systemic lupus erythematosus"}
    store(engine, 1, [claim("Tianjin First Central Hospital, Peking University", **kw)])
    store(engine, 2, [claim("Shenzhen Hospital, Peking University", **kw)])
    store(engine, 3, [claim("Peking University", **kw)])
    store(engine, 4, [claim("Institute of Zoology, Chinese Academy of Sciences", **kw)])
    store(engine, 5, [claim("Chinese Academy of Sciences", **kw)])
    assert [len(d) for d in developments(engine)] == [1, 1, 1, 1, 1]


def test_a_parent_named_report_does_not_pick_between_two_of_its_hospitals(database_url):
    engine = engine_at(database_url)
    kw = {"therapy": "CAR-T cell therapy", "indication": "systemic lupus erythematosus"}
    store(engine, 1, [claim("Peking University Third Hospital", **kw)])
    store(engine, 2, [claim("Peking University People's Hospital", **kw)])
    store(engine, 3, [claim("Peking University", **kw)])
    assert [len(d) for d in developments(engine)] == [1, 1, 1]


def test_a_development_keeps_its_stages_and_every_party(database_url):
    engine = engine_at(database_url)
    kw = {"therapy": "gene therapy", "indication": "hemophilia B"}
    store(
        engine,
        1,
        [claim("uniQure", stage="clinical_trial", product="Hemgenix", **kw)],
        published=date(2020, 1, 1),
    )
    store(
        engine,
        2,
        [claim("CSL Behring; uniQure", stage="approved", product="Hemgenix", **kw)],
        published=date(2022, 11, 22),
    )
    with engine.connect() as conn:
        stages = conn.execute(
            text("SELECT stage, stage_order, first_reported FROM development_stages ORDER BY stage_order")
        ).all()
        parties = (
            conn.execute(text("SELECT institution FROM development_parties ORDER BY institution"))
            .scalars()
            .all()
        )
    assert [(s, o) for s, o, _ in stages] == [("clinical_trial", 2), ("approved", 4)]
    assert str(stages[1][2]) == "2022-11-22"
    assert parties == ["CSL Behring", "uniQure"]


def test_outlets_are_counted_not_configured_sources(database_url):
    engine = engine_at(database_url)
    c = claim("Nansha Hospital", therapy="cell therapy", indication="knee osteoarthritis")
    store(engine, 1, [c], url="https://www.outlet-a.example/1")
    store(engine, 2, [c], url="https://outlet-a.example/2")  # the same outlet, www or not
    store(engine, 3, [c], url="https://outlet-b.example/3")
    with engine.connect() as conn:
        counts = conn.execute(text("SELECT mention_count, source_count, outlet_count FROM claims")).one()
        outlets = conn.execute(text("SELECT outlet, mentions FROM development_outlets ORDER BY outlet")).all()
    assert tuple(counts) == (3, 1, 2)
    assert [tuple(o) for o in outlets] == [("outlet-a.example", 2), ("outlet-b.example", 1)]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Boston-based Vertex Pharmaceuticals", "vertex pharmaceuticals"),
        ("San Diego-based Poseida Therapeutics", "poseida therapeutics"),
        ("Nansha Hospital of Guangzhou First People's Hospital", "nansha hospital"),
        ("Evidence-Based Medicine Center", "evidence based medicine center"),  # "based" first: a name
    ],
)
def test_place_prefixes_are_no_part_of_a_party_key(name, key):
    from parsers.institution_keys import institution_base_key

    assert institution_base_key(name) == key


def test_a_run_reports_moves_against_what_was_stored_before_it(database_url):
    from storage.queries import describe_claims

    engine = engine_at(database_url)
    kw = {"therapy": "gene therapy", "indication": "hemophilia B", "product": "Hemgenix"}
    store(engine, 1, [claim("uniQure", stage="clinical_trial", **kw)], published=date(2020, 1, 1))
    # A later run: the approval (a move), and a report of the trial by a new outlet (no new claim).
    second = [
        store_article(
            engine,
            "s",
            "files",
            ".",
            article(distinct_body(2), "https://o2.example/a", date(2022, 11, 22)),
            [claim("CSL Behring", stage="approved", **kw)],
        ),
    ]
    [moved] = describe_claims(engine, [i for r in second for i in r.new_claim_ids])
    assert (moved.kind, moved.moved_from, moved.stage) == ("move", "clinical_trial", "approved")
    assert (moved.outlet, moved.url, moved.evidence) == ("o2.example", "https://o2.example/a", "e.")
    # A third run reports the preclinical work behind it: an earlier stage, not a move backwards.
    third = store_article(
        engine,
        "s",
        "files",
        ".",
        article(distinct_body(3), "https://o3.example/a", date(2023, 1, 5)),
        [claim("uniQure", stage="preclinical", **kw)],
    )
    [earlier] = describe_claims(engine, third.new_claim_ids)
    assert (earlier.kind, earlier.earlier_stages) == ("earlier", ("clinical_trial", "approved"))


@pytest.mark.parametrize(
    ("definition", "long_name", "acronym"),
    [
        (
            "Doctors at the Children's Hospital of Philadelphia (CHOP) treated a boy with lupus.",
            "Children's Hospital of Philadelphia",
            "CHOP",
        ),
        (
            "Memorial Sloan Kettering Cancer Center (MSK) reported the lupus results on Monday.",
            "Memorial Sloan Kettering Cancer Center",
            "MSK",
        ),
    ],
)
def test_an_acronym_an_article_defines_joins_later_reports_that_use_it(
    database_url, definition, long_name, acronym
):
    engine = engine_at(database_url)
    store(engine, 1, [claim(long_name)], body=definition + " " + distinct_body(1))
    store(engine, 2, [claim(acronym)])  # another outlet says only the acronym
    assert developments(engine) == [["https://outlet1.example/a", "https://outlet2.example/a"]]
    with engine.connect() as conn:
        origin = conn.execute(
            text("SELECT origin FROM institution_aliases WHERE alias_key = :k"), {"k": acronym.lower()}
        ).scalar_one()
    assert origin == "acronym"


def test_an_acronym_never_replaces_a_known_alias_and_undefined_ones_stay_apart(database_url):
    engine = engine_at(database_url)
    sync_aliases(engine, [("MSK", "Mount Sinai Kidney Center")], "aliases.csv")
    store(
        engine,
        1,
        [claim("Memorial Sloan Kettering Cancer Center")],
        body="Memorial Sloan Kettering Cancer Center (MSK) reported it. " + distinct_body(1),
    )
    store(engine, 2, [claim("MSK")])
    store(engine, 3, [claim("UCLH")])  # defined nowhere: its own development
    assert len(developments(engine)) == 3
