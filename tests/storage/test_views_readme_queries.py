"""The README's example SQL queries run, on SQLite and PostgreSQL, and answer what they say."""

import re
from datetime import date

from sqlalchemy import text

from parsers.models import Claim
from parsers.vocab import condition_hierarchy
from storage.reference import sync_conditions
from storage.writer import store_article
from tests.conftest import ROOT
from tests.storage.conftest import article, distinct_body, engine_at


def readme_queries() -> dict[int, str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Example queries", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    queries = {}
    for chunk in block.split(";"):
        number = re.search(r"--\s*(\d+)\.", chunk)
        if number:
            queries[int(number.group(1))] = chunk.strip()
    return queries


KYOTO = (  # two outlets' words for one trial result
    "{who} said iPS cell-derived dopamine neurons transplanted into {n} patients with Parkinson's "
    "disease improved their symptoms in a clinical trial."
)
APPROVAL = "The FDA approved Hemgenix, the first gene therapy for adults with hemophilia B."


def claim(institution, therapy, indication, stage, patients=None, product=None, evidence="e."):
    return Claim(
        institution=institution,
        therapy=therapy,
        indication=indication,
        stage=stage,
        patients=patients,
        product=product,
        evidence=evidence,
    )


def populate(engine):
    sync_conditions(engine, condition_hierarchy())
    reports = [  # (url, published, claims)
        (
            "https://a.example/1",
            date(2025, 4, 17),
            [
                claim(
                    "Kyoto University",
                    "iPSC-derived cell therapy",
                    "Parkinson's disease",
                    "clinical_trial",
                    7,
                    evidence=KYOTO.format(who="Kyoto University", n="seven"),
                )
            ],
        ),
        (
            "https://b.example/1",
            None,
            [
                claim(
                    "Kyoto University Hospital",
                    "iPSC-derived cell therapy",
                    "Parkinson's disease",
                    "clinical_trial",
                    6,
                    evidence=KYOTO.format(who="Kyoto University Hospital", n="six"),
                )
            ],
        ),
        (
            "https://a.example/2",
            date(2020, 6, 1),
            [claim("uniQure", "gene therapy", "hemophilia B", "clinical_trial", product="Hemgenix")],
        ),
        (
            "https://c.example/1",
            date(2022, 11, 23),
            [
                claim(
                    "CSL Behring",
                    "gene therapy",
                    "hemophilia B",
                    "approved",
                    product="Hemgenix",
                    evidence=APPROVAL,
                )
            ],
        ),
        (
            "https://d.example/1",
            date(2022, 11, 28),  # another outlet's report of that approval, in its words
            [
                claim(
                    "CSL Behring",
                    "gene therapy",
                    "hemophilia B",
                    "approved",
                    product="Hemgenix",
                    evidence="Regulators approved Hemgenix, a gene therapy for hemophilia B in adults.",
                )
            ],
        ),
        (  # the same outlet, seven months later: another approval, another event
            "https://c.example/2",
            date(2023, 6, 1),
            [claim("CSL Behring", "gene therapy", "hemophilia B", "approved", product="Hemgenix")],
        ),
        (
            "https://e.example/1",
            date(2024, 9, 1),
            [
                claim(
                    "Tianjin First Central Hospital",
                    "iPSC-derived cell therapy",
                    "type 1 diabetes",
                    "clinical_trial",
                    1,
                )
            ],
        ),
        (
            "https://f.example/1",
            date(2024, 9, 5),
            [
                claim(
                    "Shanghai Changzheng Hospital",
                    "iPSC-derived cell therapy",
                    "type 2 diabetes",
                    "clinical_use",
                    1,
                )
            ],
        ),
    ]
    for n, (url, published, claims) in enumerate(reports):
        store_article(
            engine, "s", "feed", "https://feed.example", article(distinct_body(n), url, published), claims
        )


def test_every_readme_query_runs_and_answers(database_url):
    engine = engine_at(database_url)
    populate(engine)
    queries = readme_queries()
    assert sorted(queries) == list(range(1, len(queries) + 1)) and len(queries) >= 8
    with engine.connect() as conn:
        answers = {n: conn.execute(text(sql)).mappings().all() for n, sql in queries.items()}
    assert all(answers.values()), {n: len(rows) for n, rows in answers.items()}

    parkinson = answers[1]
    assert {(str(r["reported_on"]), bool(r["dated"]), r["date_source"]) for r in parkinson} >= {
        ("2025-04-17", True, "page")
    }
    assert any(not r["dated"] and r["date_source"] == "fetched" for r in parkinson)
    [moved] = answers[3]
    assert (moved["product"], str(moved["trial_reported"]), str(moved["approved_reported"])) == (
        "Hemgenix",
        "2020-06-01",
        "2022-11-23",
    )
    confirmed = {r["development_id"]: r["outlets"] for r in answers[4]}
    assert sorted(confirmed.values()) == [2, 3]  # Kyoto (a, b), Hemgenix (a, c, d)
    diabetes = {(r["month"], r["stage"]) for r in answers[5]}
    assert diabetes == {("2024-09", "clinical_trial"), ("2024-09", "clinical_use")}
    [disagreement] = answers[7]
    assert (disagreement["fewest"], disagreement["most"]) == (6, 7)
    events = [(str(r["first_reported"]), str(r["last_reported"]), r["outlets"]) for r in answers[9]]
    assert events == [("2022-11-23", "2022-11-28", 2), ("2023-06-01", "2023-06-01", 1)]


def test_a_claim_shows_the_latest_dated_report_and_keeps_each_report(database_url):
    engine = engine_at(database_url)
    populate(engine)
    with engine.connect() as conn:
        claim_patients = conn.execute(
            text("SELECT patients FROM claims WHERE indication = 'Parkinson''s disease'")
        ).scalar_one()
        mention_patients = (
            conn.execute(
                text(
                    "SELECT patients FROM claim_timeline WHERE indication = 'Parkinson''s disease' ORDER BY patients"
                )
            )
            .scalars()
            .all()
        )
    assert claim_patients == 7  # the dated report (the undated one, read later, says 6)
    assert mention_patients == [6, 7]
