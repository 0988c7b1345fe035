"""Helpers of the storage tests: engines on the test database, article bodies that are no
near-duplicates of each other, and a report stored in one call."""

from datetime import UTC, date, datetime

from parsers.models import Claim, ParsedArticle
from storage.database import init_db, make_engine
from storage.writer import store_article

NOW = datetime(2026, 11, 25, tzinfo=UTC)
BODY = " ".join(
    f"Sentence {i} of the report describes how doctors at the hospital followed patient group {i % 7} "
    f"for several months and recorded their symptoms, blood tests and quality of life scores."
    for i in range(40)
)


def distinct_body(n):
    """An article text unlike every other n's (no near-duplicate of it)."""
    return " ".join(f"Item {i} of story {n} notes kappa{n}x{i} and lambda{n}y{i} today." for i in range(60))


def engine_at(url):
    engine = make_engine(url)
    init_db(engine)
    return engine


def article(body, url=None, published=date(2026, 1, 19), title="t"):
    return ParsedArticle(text=body, fetched_at=NOW, published=published, url=url, title=title)


EVIDENCE = {
    "Nansha Hospital": "Nansha Hospital gave two patients injections of cultured cells into the joint.",
    "Guangzhou Regenerative Medicine Centre": "A Guangzhou centre enrolled volunteers in a study of a cell product.",
}


def report(engine, n, institution, stage="clinical_use", published=date(2026, 1, 19), body=None):
    claim = Claim(
        institution=institution,
        therapy="cell therapy",
        indication="knee osteoarthritis",
        stage=stage,
        evidence=EVIDENCE[institution],
    )
    return store_article(
        engine,
        f"outlet-{n}",
        "feed",
        "f",
        article(body or distinct_body(n), f"https://outlet{n}.example/a", published),
        [claim],
    )


def second_database(url):
    """Another empty database beside ``url`` (an SQLite file next to it, or a PostgreSQL DB)."""
    if url.startswith("sqlite"):
        return url.replace("cgt.db", "upgraded.db")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database + "_up"
    with create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)
