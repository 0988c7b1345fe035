"""parsers.claims.fields: the options a claim's party, patients and outcome are chosen from."""

from parsers.claims.candidates import find_candidates
from parsers.claims.features import article_facts
from parsers.claims.fields import outcome_features, party_options, patient_options
from parsers.claims.reading import read_article_text
from parsers.models import Stage
from parsers.vocab import default_vocabulary


def first_candidate(text):
    reading = read_article_text(text, None, default_vocabulary())
    return reading, article_facts(reading), find_candidates(reading)[0]


def test_party_options_are_the_named_institutions_other_names_and_none():
    text = (
        "Japan approved Yescarta for large B-cell lymphoma, which Daiichi Sankyo sells there. "
        "Kite Pharma developed it at the National Cancer Institute."
    )
    reading, facts, c = first_candidate(text)
    names = [o.name for o in party_options(reading, facts, c, Stage.APPROVED)]
    assert "Daiichi Sankyo" in names and "National Cancer Institute" in names and names[-1] is None
    assert "Japan" not in names  # a place is no party


def test_an_institution_named_twice_is_one_option():
    text = "Harbor Hospital treated lupus with CAR-T cells. Harbor Hospital said all are well."
    reading, facts, c = first_candidate(text)
    options = party_options(reading, facts, c, Stage.CLINICAL_USE)
    assert [o.name for o in options] == ["Harbor Hospital", None]
    assert options[0].features["mentions"] > options[0].features["party"] - 0.5


def test_patient_options_are_every_stated_count_and_none():
    text = "Of the 12 patients enrolled, eight patients with lupus received CAR-T cells; two patients died."
    reading, facts, c = first_candidate(text)
    values = [o.value for o in patient_options(reading, facts, c, Stage.CLINICAL_TRIAL)]
    assert values == [12, 8, 2, None]


def test_outcome_features_count_the_outcome_cues_of_the_development():
    text = "Six lupus patients treated with CAR-T cells went into remission. One patient died."
    reading, facts, c = first_candidate(text)
    f = outcome_features(reading, facts, c, Stage.CLINICAL_USE)
    assert f["own:improved"] > 0 and "own:adverse" not in f  # the death is in the next sentence
    assert f["development:adverse"] > 0 and f["stage:clinical_use"] == 1.0


def test_societies_associations_and_councils_are_no_party_options():
    for text, society in (
        (
            "Harbor Hospital treated lupus with CAR-T cells, it told the American Society of Hematology.",
            "American Society of Hematology",
        ),
        (
            "Harbor Hospital treated lupus with CAR-T cells; the National Health and Medical Research Council "
            "paid for the work.",
            "National Health and Medical Research Council",
        ),
        (
            "Harbor Hospital treated lupus with CAR-T cells, the Vietnam Society of Hematology and Blood "
            "Transfusion said.",
            "Vietnam Society of Hematology and Blood Transfusion",
        ),
    ):
        reading, facts, c = first_candidate(text)
        assert society in [i.name for i in reading.analysis.institutions], text  # found, as a society
        assert [o.name for o in party_options(reading, facts, c, Stage.CLINICAL_USE)] == [
            "Harbor Hospital",
            None,
        ]
