"""parsers.patients: patient counts a sentence states."""

from parsers.patients import count_patients, patient_counts


def test_every_count_of_a_sentence_in_order_the_first_as_count_patients_gives_it():
    sentence = "Of the 12 patients enrolled, eight patients received the cells and two patients died."
    assert [c.value for c in patient_counts(sentence)][:1] == [count_patients(sentence).value]
    assert {c.value for c in patient_counts(sentence)} >= {12, 8, 2}


def test_labels_that_start_with_a_digit_are_no_counts():
    assert patient_counts("Forms 0b, 3a and 4b patients list the doses.") == []
    assert count_patients("Group 2b patients were followed.") is None
