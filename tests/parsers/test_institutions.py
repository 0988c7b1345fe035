"""Institution names found in text: where a name starts and ends."""

import pytest

from parsers.institutions import find_institutions
from parsers.text import normalise_for_matching
from parsers.vocab import default_vocabulary


def names(text: str) -> list[str]:
    vocab = default_vocabulary()
    triggers = [m for m in vocab.scan(text, normalise_for_matching(text)) if m.role.startswith("org_")]
    return [inst.name for inst in find_institutions(text, vocab, triggers)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The agency approved Brightwave Therapeutics' gene therapy for adults.", "Brightwave Therapeutics"),
        ("Harbor Biologics’ cell therapy was given to ten patients.", "Harbor Biologics"),
        ("Regulators cleared Northwind Pharmaceuticals' treatment on Monday.", "Northwind Pharmaceuticals"),
    ],
)
def test_a_plural_possessive_leaves_its_apostrophe_out_of_the_name(text, name):
    assert name in names(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("It was tried in hemophilia B. Harbor Biologics said the results held.", "Harbor Biologics"),
        (
            "The patients had vitamin D. Riverside Medical Center will report more.",
            "Riverside Medical Center",
        ),
        (
            "He was treated at the Robert H. Lurie Comprehensive Cancer Center last year.",
            "Robert H. Lurie Comprehensive Cancer Center",
        ),
        (
            "She was seen at St. Jude Children's Research Hospital in May.",
            "St. Jude Children's Research Hospital",
        ),
    ],
)
def test_a_name_does_not_reach_back_across_a_sentence_end_but_keeps_initials_and_abbreviations(text, name):
    assert name in names(text)
