"""Schema changes go through Alembic: a fresh database and an upgraded one end up identical,
and both match the SQLModel tables."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from parsers.models import Claim, ParsedArticle
from storage.database import current_revision, make_engine, upgrade_database
from storage.queries import list_claims
from storage.writer import store_article
from tests.storage.conftest import second_database

HEAD = "0011"  # the newest revision


def schema(engine):
    insp = inspect(engine)
    tables = {}
    for name in sorted(insp.get_table_names()):
        tables[name] = {
            "columns": sorted(
                (c["name"], str(c["type"]).split("(")[0], c["nullable"]) for c in insp.get_columns(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(name)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(name)),
            "pk": tuple(insp.get_pk_constraint(name)["constrained_columns"]),
            "checks": sorted(
                (c["name"], " ".join(c["sqltext"].split())) for c in insp.get_check_constraints(name)
            ),
        }
    return tables, sorted(insp.get_view_names())


def differences(engine):
    with engine.connect() as conn:
        return compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )


def test_fresh_and_upgraded_databases_have_the_same_schema_and_keep_data(database_url):
    fresh = make_engine(database_url)
    upgrade_database(fresh)
    assert current_revision(fresh) == HEAD
    assert differences(fresh) == []

    upgraded = make_engine(second_database(database_url))
    upgrade_database(upgraded, "0001")
    with upgraded.begin() as conn:  # data written by the first schema
        conn.execute(
            text("INSERT INTO sources (name, kind, location, created_at) VALUES ('s', 'files', '.', :t)"),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO articles (source_id, url, published, fetched_at, content_hash, text, claim_count) "
                "VALUES (1, 'https://x.org/a', '2026-01-19', :t, 'h1', 'Old article text.', 1)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO developments (institution_key, institution, therapy, indication) "
                "VALUES ('nansha hospital', 'Nansha Hospital', 'cell therapy', 'knee osteoarthritis')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO claims (development_id, institution_key, institution, therapy, indication, stage, first_seen, "
                "last_seen, mention_count, source_count, created_at, updated_at) VALUES (1, 'nansha hospital', "
                "'Nansha Hospital', 'cell therapy', 'knee osteoarthritis', 'clinical_use', '2026-01-19', '2026-01-19', 1, 1, "
                ":t, :t)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO mentions (claim_id, article_id, seen_on, evidence, created_at) "
                "VALUES (1, 1, '2026-01-19', 'e.', :t)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    upgrade_database(upgraded)
    assert current_revision(upgraded) == HEAD
    assert differences(upgraded) == []
    assert schema(upgraded) == schema(fresh)

    with upgraded.connect() as conn:
        assert conn.execute(text("SELECT article_key FROM articles")).scalar_one() == "url:https://x.org/a"
        # 0011: where a source was read from is its address (location is a claim's place).
        assert conn.execute(text("SELECT name, address FROM sources")).one() == ("s", ".")
        assert conn.execute(
            text("SELECT month, mentions FROM claims_by_month WHERE indication = 'knee osteoarthritis'")
        ).one() == ("2026-01", 1)
        assert (
            conn.execute(text("SELECT COUNT(*) FROM claims_by_month")).scalar_one() == 3
        )  # therapy, indication, stage
    # the upgraded database goes on working: a new mention of the old claim is counted
    store_article(
        upgraded,
        "s",
        "files",
        ".",
        ParsedArticle(text="A new article.", fetched_at=datetime.now(UTC), url="https://x.org/b"),
        [
            Claim(
                institution="Nansha Hospital",
                therapy="cell therapy",
                indication="knee osteoarthritis",
                stage="clinical_use",
                evidence="e2.",
            )
        ],
    )
    [row] = list_claims(upgraded)
    assert row.mention_count == 2
    upgraded.dispose()


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = make_engine(url)
    upgrade_database(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # as if created with create_all
    upgrade_database(engine)
    assert current_revision(engine) == HEAD and differences(engine) == []


def test_upgrades_started_together_on_an_empty_database_all_succeed(database_url):
    """Two scheduled runs starting at once on a new database: each upgrades the schema; the
    second must wait for the first instead of creating the same tables again."""
    import threading

    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def upgrade() -> None:
        engine = make_engine(database_url)
        try:
            barrier.wait(timeout=30)
            upgrade_database(engine)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an upgrade hung"
    assert errors == []
    engine = make_engine(database_url)
    assert current_revision(engine) == HEAD
    assert differences(engine) == []


def test_upgrading_from_0003_keys_the_existing_developments_and_keeps_their_data(database_url):
    """Data written at revision 0003 (claims unique per institution, therapy, indication,
    stage): after the upgrade every development has an identity key, its party, its claims
    and outlets, and a new report of one of them joins it through the party key."""
    engine = make_engine(database_url)
    upgrade_database(engine, "0003")
    t = {"t": datetime(2026, 1, 1, tzinfo=UTC)}
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (name, kind, location, created_at) VALUES ('s', 'files', '.', :t)"), t
        )
        for n, (url, outlet_name) in enumerate(
            [("https://www.a.example/1", None), (None, "Daily B")], start=1
        ):
            conn.execute(
                text(
                    "INSERT INTO articles (article_key, source_id, url, source_name, fetched_at, content_hash, text, "
                    "claim_count) VALUES (:key, 1, :url, :outlet, :t, :hash, 'Text.', 1)"
                ),
                {**t, "key": f"k{n}", "url": url, "outlet": outlet_name, "hash": f"h{n}"},
            )
        rows = [
            ("kyoto university", "Kyoto University", "stem cell therapy", "Parkinson's disease"),
            ("kyoto university", "Kyoto University", "iPSC-derived cell therapy", "Parkinson's disease"),
            ("", None, "CAR-T cell therapy", "lupus"),
        ]
        for n, (key, name, therapy, indication) in enumerate(rows, start=1):
            conn.execute(
                text(
                    "INSERT INTO developments (institution_key, institution, therapy, indication) "
                    "VALUES (:key, :name, :therapy, :indication)"
                ),
                {"key": key, "name": name, "therapy": therapy, "indication": indication},
            )
            conn.execute(
                text(
                    "INSERT INTO claims (development_id, institution_key, institution, therapy, indication, stage, "
                    "first_seen, last_seen, mention_count, source_count, created_at, updated_at) VALUES "
                    "(:n, :key, :name, :therapy, :indication, 'clinical_trial', '2025-04-17', '2025-04-17', 1, 1, :t, :t)"
                ),
                {**t, "n": n, "key": key, "name": name, "therapy": therapy, "indication": indication},
            )
            conn.execute(
                text(
                    "INSERT INTO mentions (claim_id, article_id, seen_on, seen_month, evidence, created_at) "
                    "VALUES (:n, :article, '2025-04-17', '2025-04', 'e.', :t)"
                ),
                {**t, "n": n, "article": 1 if n < 3 else 2},
            )
    upgrade_database(engine)
    assert current_revision(engine) == HEAD and differences(engine) == []
    with engine.connect() as conn:
        identities = conn.execute(text("SELECT id, identity_key FROM developments ORDER BY id")).all()
        outlets = conn.execute(text("SELECT outlet FROM articles ORDER BY id")).scalars().all()
        outlet_counts = conn.execute(text("SELECT outlet_count FROM claims ORDER BY id")).scalars().all()
        parties = conn.execute(text("SELECT development_id, institution FROM development_parties")).all()
    assert identities == [
        (1, "party:kyoto university|cell|parkinson's disease"),
        (2, "legacy:2"),  # the same party key as the first: the first keeps it
        (3, "legacy:3"),  # no institution
    ]
    assert outlets == ["a.example", "Daily B"]
    assert outlet_counts == [1, 1, 1]
    assert sorted(parties) == [(1, "Kyoto University"), (2, "Kyoto University")]
    store_article(
        engine,
        "s",
        "files",
        ".",
        ParsedArticle(text="A new report.", fetched_at=datetime.now(UTC), url="https://c.example/2"),
        [
            Claim(
                institution="Kyoto University Hospital",
                therapy="iPSC-derived cell therapy",
                indication="Parkinson's disease",
                stage="clinical_trial",
                evidence="e2.",
            )
        ],
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM developments")).scalar_one() == 3
        assert conn.execute(text("SELECT mention_count FROM claims WHERE id = 1")).scalar_one() == 2
    engine.dispose()


def test_the_schema_refuses_values_outside_the_vocabulary(database_url):
    engine = make_engine(database_url)
    upgrade_database(engine)
    checks = {c["name"] for c in inspect(engine).get_check_constraints("claims")}
    assert {"ck_claims_therapy", "ck_claims_stage", "ck_claims_outcome"} <= checks
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO developments (identity_key, institution_key, therapy, indication) "
                "VALUES ('k', 'x', 'gene therapy', 'hemophilia B')"
            )
        )
    insert_claim = (
        "INSERT INTO claims (development_id, institution_key, therapy, indication, stage, outcome, first_seen, "
        "last_seen, dated, mention_count, source_count, outlet_count, created_at, updated_at) VALUES "
        "(1, 'x', :therapy, 'hemophilia B', :stage, :outcome, '2026-01-19', '2026-01-19', true, 1, 1, 1, :t, :t)"
    )
    good = {
        "therapy": "gene therapy",
        "stage": "approved",
        "outcome": None,
        "t": datetime(2026, 1, 1, tzinfo=UTC),
    }
    for bad in ({"stage": "phase 2"}, {"therapy": "gene-therapy"}, {"outcome": "cured"}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(insert_claim), {**good, **bad})
    with engine.begin() as conn:
        conn.execute(text(insert_claim), good)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE developments SET therapy = 'stem cells'"))
    engine.dispose()


def test_an_upgrade_over_values_outside_the_vocabulary_stops_and_names_them(database_url):
    engine = make_engine(database_url)
    upgrade_database(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO developments (identity_key, institution_key, therapy, indication) "
                "VALUES ('k', 'x', 'stem cells', 'stroke')"
            )
        )
    with pytest.raises(
        RuntimeError, match=r"developments.therapy holds values outside the vocabulary: \['stem cells'\]"
    ):
        upgrade_database(engine)
    assert current_revision(engine) == "0005"  # nothing half-done
    with engine.begin() as conn:
        conn.execute(text("UPDATE developments SET therapy = 'stem cell therapy'"))
    upgrade_database(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_upgrading_from_0006_puts_the_stored_mentions_into_events(database_url):
    """Mentions stored before events existed get them by the rule new ones follow: reports
    eight years apart are two events; an undated report numbering a second death a third; an
    approval story a year later recalling the use joins the latest event of that use."""
    engine = make_engine(database_url)
    upgrade_database(engine, "0006")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (name, kind, location, created_at) VALUES ('s', 'files', '.', :t)"),
            {"t": t},
        )
        for n, published in enumerate(("2017-08-31", "2025-04-17", None, "2026-03-01"), start=1):
            conn.execute(
                text(
                    "INSERT INTO articles (source_id, url, published, fetched_at, content_hash, text, claim_count, "
                    "article_key, date_source) VALUES (1, :url, :published, :t, :h, 'x', 1, :url, :ds)"
                ),
                {
                    "url": f"https://x{n}.org/a",
                    "published": published,
                    "t": t,
                    "h": f"h{n}",
                    "ds": "page" if published else "fetched",
                },
            )
        conn.execute(
            text(
                "INSERT INTO developments (institution_key, institution, therapy, indication, identity_key) "
                "VALUES ('example', 'Example', 'gene therapy', 'muscular dystrophy', 'party:example')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO claims (development_id, institution_key, therapy, indication, stage, first_seen, "
                "last_seen, mention_count, source_count, outlet_count, dated, created_at, updated_at) VALUES "
                "(1, 'example', 'gene therapy', 'muscular dystrophy', 'clinical_use', '2017-08-31', '2025-04-17', "
                "3, 1, 3, :yes, :t, :t)"
            ),
            {"t": t, "yes": True},
        )
        conn.execute(
            text(
                "INSERT INTO claims (development_id, institution_key, therapy, indication, stage, first_seen, "
                "last_seen, mention_count, source_count, outlet_count, dated, created_at, updated_at) VALUES "
                "(1, 'example', 'gene therapy', 'muscular dystrophy', 'approved', '2026-03-01', '2026-03-01', "
                "1, 1, 1, :yes, :t, :t)"
            ),
            {"t": t, "yes": True},
        )
        for n, (seen_on, dated, evidence) in enumerate(
            (
                ("2017-08-31", True, "A patient died."),
                ("2025-04-17", True, "A patient died."),
                ("2026-01-01", False, "A second patient has died."),
                ("2026-03-01", True, "Patients have been treated with it since 2025."),
            ),
            start=1,
        ):
            conn.execute(
                text(
                    "INSERT INTO mentions (claim_id, article_id, seen_on, seen_month, dated, evidence, created_at) "
                    "VALUES (1, :n, :seen_on, :month, :dated, :evidence, :t)"
                ),
                {
                    "n": n,
                    "seen_on": seen_on,
                    "month": seen_on[:7],
                    "dated": dated,
                    "evidence": evidence,
                    "t": t,
                },
            )
        conn.execute(
            text(
                "INSERT INTO mentions (claim_id, article_id, seen_on, seen_month, dated, evidence, created_at) "
                "VALUES (2, 4, '2026-03-01', '2026-03', :yes, 'Approved.', :t)"
            ),
            {"t": t, "yes": True},
        )
    upgrade_database(engine)
    assert current_revision(engine) == HEAD and differences(engine) == []
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.article_id, m.event_id, e.occurrence FROM mentions m JOIN events e ON e.id = m.event_id "
                "WHERE m.claim_id = 1 ORDER BY m.article_id"
            )
        ).all()
        assert [r[2] for r in rows] == [1, 1, 2, 1]
        assert len({r[1] for r in rows[:3]}) == 3 and rows[3][1] == rows[1][1]  # background: the 2025 event
        assert conn.execute(text("SELECT COUNT(DISTINCT event_id) FROM mentions")).scalar_one() == 4
        assert conn.execute(text("SELECT COUNT(*) FROM development_events")).scalar_one() == 4
