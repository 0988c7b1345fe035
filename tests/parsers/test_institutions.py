"""Institution names found in text: where a name starts and ends."""

import pytest

from parsers.institutions import find_institutions
from parsers.text import normalise_for_matching
from parsers.vocab import default_vocabulary


def names(text: str) -> list[str]:
    vocab = default_vocabulary()
    triggers = [
        m
        for m in vocab.scan(text, normalise_for_matching(text))
        if m.role.startswith("org_") or m.role == "place"  # as parsers.mentions passes them
    ]
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Doctors at Saudi Arabia’s King Faisal Specialist Hospital treated a boy.",
            ["King Faisal Specialist Hospital"],
        ),
        ("Shanghai's Ruijin Hospital said the first patient did well.", ["Ruijin Hospital"]),
        (
            "Scientists at Delhi’s Institute of Genomics and Integrated Biology edited the cells.",
            ["Institute of Genomics and Integrated Biology"],
        ),
    ],
)
def test_a_places_possessive_before_a_name_is_where_it_is_not_part_of_the_name(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The group will now provide access to ‘Made in India’ CAR-T cell therapy from next month.",
        "Patients can now receive ‘Made in China’ gene therapy for hemophilia.",
        "India's first indigenous CAR-T cell therapy was given last week.",
        "China’s home-grown gene therapy for hemophilia B was approved.",
        "The cancer arose from an insertion of Skysona’s lentiviral vector into the genome.",
        "Zolgensma's gene therapy label now carries a warning.",
    ],
)
def test_a_quotations_end_a_place_or_a_product_before_a_therapy_is_no_company(text):
    assert names(text) == []


def test_a_company_still_owns_its_product_with_a_possessive():
    assert names("Sarepta's Elevidys was given to a boy; Novartis’ Kymriah to a girl.") == [
        "Sarepta",
        "Novartis",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "said Paul Harmatz of UCSF Benioff Children’s Hospital Oakland.",
            ["UCSF Benioff Children’s Hospital Oakland"],
        ),
        ("said Professor Xu Huji of Shanghai’s Changzheng Hospital.", ["Changzheng Hospital"]),
        ("said Timothy Kieffer of the University of British Columbia.", ["University of British Columbia"]),
        (
            "said the Medical Director of the National Cancer Centre Singapore.",
            ["National Cancer Centre Singapore"],
        ),
    ],
)
def test_a_person_or_title_before_of_is_left_out_of_the_institution_after_it(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Department of Biotechnology funded the work.", ["Department of Biotechnology"]),
        (
            "The Faculty of Medicine Ramathibodi Hospital joined.",
            ["Faculty of Medicine Ramathibodi Hospital"],
        ),
        ("The University of Pennsylvania led it.", ["University of Pennsylvania"]),
        ("Children's Hospital of Philadelphia treated her.", ["Children's Hospital of Philadelphia"]),
    ],
)
def test_a_unit_or_head_before_of_stays_in_the_name(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Daiichi Sankyo (TYO: 4568) today announced the approval.", ["Daiichi Sankyo"]),
        ("The European Commission has approved GlaxoSmithKline’s ($GSK) Strimvelis.", ["GlaxoSmithKline"]),
        ("In London, Oxford Biomedica (LSE: OXB) said it would supply vectors.", ["Oxford Biomedica"]),
    ],
)
def test_a_name_with_a_stock_ticker_is_a_company(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The trial (NCT: 01234) began in May.",
        "The patients (ages: 5-12) were treated.",
        "It was, Inc. (NASDAQ: BLUE).",
    ],
)
def test_brackets_that_are_no_ticker_or_name_no_company(text):
    assert names(text) == []


def test_a_plural_head_names_an_institution():
    assert names("Apollo Cancer Centres (ACCs) has emerged as the first private hospital group.") == [
        "Apollo Cancer Centres"
    ]
