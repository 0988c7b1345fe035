"""parsers.patients: patient counts a sentence states."""

import re

import pytest

from parsers.patients import count_patients, patient_counts, single_patients


def test_every_count_of_a_sentence_in_order_the_first_as_count_patients_gives_it():
    sentence = "Of the 12 patients enrolled, eight patients received the cells and two patients died."
    assert [c.value for c in patient_counts(sentence)][:1] == [count_patients(sentence).value]
    assert [c.value for c in patient_counts(sentence)] == [12, 8, 2]


def test_labels_that_start_with_a_digit_are_no_counts():
    assert patient_counts("Forms 0b, 3a and 4b patients list the doses.") == []
    assert count_patients("Group 2b patients were followed.") is None


@pytest.mark.parametrize(
    "sentence,phrase,determiner,marker,aged",
    [
        (
            "The first man with hemophilia B has been dosed in the trial.",
            "The first man",
            "the",
            "first",
            False,
        ),
        (
            "KFSHRC treated its first patient with local CAR-T cells.",
            "its first patient",
            "its",
            "first",
            False,
        ),
        (
            "Doctors treated a 21-year-old man with a haploidentical transplant.",
            "a 21-year-old man",
            "a",
            None,
            True,
        ),
        (
            "A four-year-old Pakistani girl recovered after gene therapy.",
            "A four-year-old Pakistani girl",
            "a",
            None,
            True,
        ),
        (
            "The first participant had been treated with base-edited cells.",
            "The first participant",
            "the",
            "first",
            False,
        ),
        (
            "The hospital treated a sickle cell disease patient with Casgevy.",
            "a sickle cell disease patient",
            "a",
            None,
            False,
        ),
    ],
)
def test_a_phrase_naming_one_patient_is_found_with_what_marks_it(sentence, phrase, determiner, marker, aged):
    [one] = single_patients(sentence)
    assert (sentence[one.start : one.end], one.determiner, one.marker, one.aged) == (
        phrase,
        determiner,
        marker,
        aged,
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "The patients were treated with CAR-T cells.",  # plural
        "Twelve participants enrolled in the phase 1 study.",
        "The 12 patient groups were compared.",  # a count, not one person
        "Stem cell therapy for knee osteoarthritis is studied in mice.",
    ],
)
def test_plurals_counts_and_sentences_without_a_person_name_no_single_patient(sentence):
    assert single_patients(sentence) == []


def test_single_patient_phrases_are_read_in_bounded_time_on_a_sentence_without_ends():
    text = "the first patient and " * 50_000  # 1.1 MB: only the first 5,000 characters are read
    found = single_patients(text)
    assert 0 < len(found) <= 5000 // len("the first patient and ") + 1


@pytest.mark.parametrize("with_nouns", [False, True])
@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("Nature's 10, a list of people who shaped science this year, named him.", []),
        ("On March 25, the eight patients were treated with the gene therapy.", [8]),
        ("By the end of 2024, 12 patients had been dosed.", [12]),
        ("Doctors have treated 1,200 patients and 35 children since then.", [1200, 35]),
    ],
)
def test_a_number_before_a_comma_counts_nobody_after_it(sentence, values, with_nouns):
    nouns = (
        [(m.start(), m.end()) for m in re.finditer(r"patients|people|children", sentence)]
        if with_nouns
        else None
    )
    assert [c.value for c in patient_counts(sentence, nouns)] == values
