"""parsers/vocab.py: the cheap therapy test is a superset of the full scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers.vocab import default_vocabulary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def texts() -> list[str]:
    out = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "site").glob("*.expected.txt"))]
    out += [
        json.loads(p.read_text(encoding="utf-8"))["text"]
        for p in sorted((FIXTURES / "labelled").glob("*.json"))
    ]
    return out


def windows(text: str, size: int = 12) -> list[str]:
    """Short overlapping pieces of a text, so that terms meet the edges of the string."""
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(0, max(1, len(words) - size + 1), 3)]


def test_may_name_a_therapy_is_true_wherever_the_full_scan_finds_a_therapy_term():
    vocab = default_vocabulary()
    pieces = [w for t in texts() for w in windows(t)]
    with_term = [p for p in pieces if any(m.role == "therapy" for m in vocab.scan(p))]
    assert len(with_term) > 50  # the fixtures name therapies in many ways
    assert all(vocab.may_name_a_therapy(p) for p in with_term)
    # and it is a test, not a constant: most pieces without a therapy term fail it
    without = [p for p in pieces if p not in with_term]
    assert sum(not vocab.may_name_a_therapy(p) for p in without) > 0.8 * len(without)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Doctors used CAR-T cells.", True),
        ("Doctors used CAR T-cell therapy.", True),
        ("They received gene therapies last year.", True),
        ("STEM CELL transplants resumed.", True),
        ("The stem of the cell phone broke.", False),
        ("A genetic test and a therapy dog.", False),
    ],
)
def test_may_name_a_therapy_on_phrasings(text, expected):
    assert default_vocabulary().may_name_a_therapy(text) is expected
