"""The occurrence a report numbers ("a second patient has died" -> 2), with two or more
phrasings per rule."""

import pytest

from parsers.occurrence import stated_occurrence


@pytest.mark.parametrize(
    ("sentence", "occurrence"),
    [
        ("The company halted shipments after a second death due to acute liver failure.", 2),
        ("A second patient with the disease has died after receiving the gene therapy.", 2),
        ("She is the third patient treated with the cells at the hospital.", 3),
        ("It was the hospital's 4th case of the kind this year.", 4),
        ("The boy was the second young man to die after the infusion.", 2),  # modifiers between
        ("A fifth trial participant developed a severe immune reaction.", 5),
        ("The first patient was dosed in March.", 1),
    ],
)
def test_an_ordinal_before_a_person_or_event_numbers_the_occurrence(sentence, occurrence):
    assert stated_occurrence(sentence) == occurrence


@pytest.mark.parametrize(
    "sentence",
    [
        "A patient with the disease has died following treatment.",  # no ordinal
        "The team used a second-generation CAR-T product in 12 patients.",  # compound
        "The first-in-human trial enrolled 12 patients.",
        "The second of two patients recovered.",  # a function word between
        "Doctors gave the cells for the second time to the patient.",
        "The second patient cohort received a higher dose.",  # a part of the trial
        "Results from the third dose group of patients were positive.",
        "The second phase of the trial will start next year.",  # no person or event noun
    ],
)
def test_other_ordinals_number_no_occurrence(sentence):
    assert stated_occurrence(sentence) is None


def test_a_report_of_a_later_occurrence_that_recalls_the_earlier_one_is_about_the_later():
    text = "The first death was reported in March. In June a second patient died of liver failure."
    assert stated_occurrence(text) == 2
    assert stated_occurrence("Following the second death, a third child has now died.") == 3
