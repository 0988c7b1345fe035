"""Institution keys and the acronyms articles define for names."""

import pytest

from parsers.institution_keys import defined_acronyms, institution_base_key, institution_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Doctors at the Children's Hospital of Philadelphia (CHOP) treated him.",
            {"CHOP": "Children's Hospital of Philadelphia"},
        ),
        (
            "Memorial Sloan Kettering Cancer Center (MSK) said so.",
            {"MSK": "Memorial Sloan Kettering Cancer Center"},
        ),
        (
            "The University of California, San Francisco (UCSF) led it.",
            {"UCSF": "University of California, San Francisco"},
        ),
        (
            "It was reported by Shanghai Jiao Tong University School of Medicine (SJTUSM).",
            {"SJTUSM": "Shanghai Jiao Tong University School of Medicine"},
        ),
        (
            "Researchers at the National Institutes of Health (NIH) and Peking University (PKU).",
            {"NIH": "National Institutes of Health", "PKU": "Peking University"},
        ),
    ],
)
def test_an_acronym_in_brackets_after_a_name_is_defined_for_it(text, expected):
    assert defined_acronyms(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "They used chimeric antigen receptor (CAR) T cells.",  # lower-case long form, two letters
        "The boy (AGE) was ten.",  # letters not found before the bracket
        "Ten patients (NCT01234567) were treated.",  # an identifier, not an acronym
        "The results were good. (MSK) Then it ended.",  # nothing before it in the sentence
    ],
)
def test_no_acronym_without_a_capitalised_name_that_spells_it(text):
    assert defined_acronyms(text) == {}


def test_institution_keys_compare_names_as_written_differently():
    assert (
        institution_key("St. Mary’s Hospital") == institution_key("St Mary's  Hospital") == "st mary hospital"
    )
    assert institution_base_key("Boston-based Vertex Pharmaceuticals") == "vertex pharmaceuticals"
    assert institution_base_key("Nansha Hospital of Guangzhou First People's Hospital") == "nansha hospital"
