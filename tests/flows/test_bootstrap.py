"""flows/bootstrap.py: what a run's engine holds before its first article, and the aliases file."""

import pytest
from sqlalchemy import text

from flows.bootstrap import builtin_aliases, load_alias_file, prepare_database
from parsers.vocab import condition_hierarchy
from storage.database import current_revision, head_revision


def test_prepare_database_migrates_and_loads_the_reference_tables(database_url):
    engine = prepare_database(database_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            conditions = conn.execute(text("SELECT COUNT(*) FROM conditions")).scalar_one()
            builtin = conn.execute(
                text("SELECT COUNT(*) FROM institution_aliases WHERE origin = 'builtin'")
            ).scalar_one()
        assert conditions == len(condition_hierarchy())
        assert 0 < builtin <= len(builtin_aliases())  # aliases that reduce to one key count once
    finally:
        engine.dispose()
    again = prepare_database(database_url)  # a second run: nothing to migrate, nothing doubled
    try:
        with again.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM conditions")).scalar_one() == conditions
    finally:
        again.dispose()


def test_an_aliases_file_is_read_with_comments_and_blank_lines(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text(
        "# our own names\nalias,canonical\n\nNansha Hosp.,Nansha Hospital\n SYSU , Sun Yat-sen University \n",
        encoding="utf-8",
    )
    assert load_alias_file(path) == [("Nansha Hosp.", "Nansha Hospital"), ("SYSU", "Sun Yat-sen University")]


def test_an_aliases_row_without_both_names_is_refused(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("alias,canonical\nNansha Hosp.,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="every row needs alias and canonical"):
        load_alias_file(path)
