"""parsers.claims.conditions: conditions the vocabulary does not list, found by their form."""

from parsers.claims.conditions import unlisted_conditions


def names(text, known=()):
    return [name for _, _, name in unlisted_conditions(text, known)]


def test_a_named_syndrome_or_disease_is_found_with_its_name_words():
    assert names("Two boys with Hunter syndrome received the treatment.") == ["hunter syndrome"]
    assert names("She was diagnosed with Batten disease at four.") == ["batten disease"]


def test_a_bracketed_abbreviation_inside_the_phrase_is_left_out_of_the_name():
    text = "infants with ornithine transcarbamylase (OTC) deficiency"
    [(start, end, name)] = unlisted_conditions(text)
    assert name == "ornithine transcarbamylase deficiency"
    assert text[start:end] == "ornithine transcarbamylase (OTC) deficiency"


def test_words_with_a_disease_suffix_are_conditions_but_not_every_long_word_ending_so():
    assert names("Patients had dermatomyositis or diabetic retinopathy.") == [
        "dermatomyositis",
        "diabetic retinopathy",
    ]
    assert names("The diagnosis came after a long analysis.") == []


def test_a_head_word_alone_or_with_words_of_degree_names_nothing():
    assert names("It is a rare genetic disease.") == []
    assert names("The disease is serious; a severe disorder, doctors said.") == []


def test_a_phrase_stops_at_a_comma_or_a_preposition():
    assert names("with lupus nephritis, sarcoma and Fabry disease") == ["lupus nephritis", "fabry disease"]


def test_spans_the_vocabulary_knows_are_not_found_again():
    text = "patients with Hunter syndrome"
    start = text.index("Hunter")
    assert names(text, [(start, len(text))]) == []
