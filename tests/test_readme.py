"""The README's settings table tells the truth: every setting is listed with its real default."""

import re
from pathlib import Path

from flows.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
# | `CGT_MONITOR_NAME` | `default` | meaning |   (single-variable rows with a literal default)
ROW = re.compile(r"^\| `CGT_MONITOR_([A-Z_]+)` \| `([^`]*)`(?: s)? \|", re.M)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_every_setting_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [
        name
        for name in Settings.model_fields
        if f"CGT_MONITOR_{name.upper()}`" not in text and f"_{name.upper()}`" not in text
    ]
    assert missing == []


def test_the_readme_shows_the_real_defaults():
    rows = ROW.findall(README.read_text(encoding="utf-8"))
    assert len(rows) >= 10  # the table is there and the pattern reads it
    fields = Settings.model_fields
    wrong = {
        name: (shown, fields[name.lower()].default)
        for name, shown in rows
        if shown != _shown(fields[name.lower()].default)
    }
    assert wrong == {}
