"""ConText modifiers (``parsers.context``) and the data files behind the extractor."""

import csv
from importlib import resources

import pytest

from parsers.context import CATEGORIES, context_rules, sentence_modifiers
from parsers.patients import count_patients
from parsers.text import normalise_for_matching
from parsers.vocab import default_vocabulary


def categories(sentence, target, field="stage"):
    """The categories that reach the first occurrence of ``target`` in ``sentence``."""
    vocab = default_vocabulary()
    norm = normalise_for_matching(sentence)
    mods = sentence_modifiers(vocab.scan(sentence, norm), norm, 0, len(sentence))
    start = norm.index(target.lower())
    return mods.of(start, start + len(target), field)


@pytest.mark.parametrize(
    "sentence,target,expected",
    [
        ("The hospital has not started a clinical trial.", "clinical trial", {"NEGATED"}),
        ("No patient was treated with the cells.", "treated", {"NEGATED"}),
        ("The company plans to start a phase 2 trial next year.", "phase 2", {"PLANNED"}),
        ("Scientists hope to begin a trial in the coming months.", "trial", {"PLANNED"}),
        ("The therapy could one day be approved for lupus.", "approved", {"HYPOTHETICAL", "PLANNED"}),
        ("It is not an approved study, officials said of the trial.", "trial", {"DENIED_STUDY"}),
    ],
)
def test_stage_cues_are_negated_planned_or_denied(sentence, target, expected):
    assert categories(sentence, target) == expected


@pytest.mark.parametrize(
    "sentence,target",
    [
        ("The patients no longer need transfusions after they were treated.", "treated"),
        ("The cells were not only safe but the patients were treated at home.", "treated"),
    ],
)
def test_pseudo_cues_negate_nothing(sentence, target):
    assert "NEGATED" not in categories(sentence, target)


@pytest.mark.parametrize(
    "sentence,target",
    [
        ("The trial failed, but later the hospital treated patients.", "treated"),
        ("No one expected it; the doctors treated 12 patients.", "treated"),
    ],
)
def test_a_scope_ends_at_but_or_a_semicolon(sentence, target):
    assert "NEGATED" not in categories(sentence, target)


@pytest.mark.parametrize(
    "sentence,target,expected",
    [
        ("CAR-T may help other autoimmune diseases such as myositis.", "autoimmune disease", "OTHER"),
        ("A boy died from acute liver failure after the infusion.", "acute liver failure", "SIDE_EFFECT"),
        ("Side effects included cytokine release and sepsis.", "sepsis", "SIDE_EFFECT"),
        ("It is approved for lymphoma, including mantle cell lymphoma.", "mantle cell lymphoma", "MEMBER"),
    ],
)
def test_conditions_that_are_not_the_development(sentence, target, expected):
    assert expected in categories(sentence, target, "condition")


def test_a_cue_far_away_does_not_reach():
    sentence = "No " + "word " * 40 + "patients were treated."
    assert categories(sentence, "treated") == set()


def test_every_rule_has_a_known_category_direction_and_field():
    rules = context_rules()
    assert len(rules) > 100
    for rule in rules:
        if rule.direction in ("terminate", "pseudo"):
            continue
        assert rule.category in CATEGORIES and rule.fields and rule.scope > 0, rule


# -- patients ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sentence,count",
    [
        ("Two of the four patients recovered motor function.", 4),
        ("Ten out of twelve participants improved.", 12),
        ("The results of 3 trials in 20 patients were pooled.", 20),
        ("In 2023, 12 patients received the cells.", 12),
        ("The No. 455 Hospital treated the patients.", None),
        ("Duchenne affects 20,000 children worldwide each year.", None),
        ("This patient in her forties had lupus.", 1),
        ("A 9-year-old girl received the cells.", 1),
    ],
)
def test_patient_counts(sentence, count):
    found = count_patients(sentence)
    assert (found.value if found else None) == count


# -- data files ----------------------------------------------------------------------------------
def _rows(name):
    with resources.files("parsers").joinpath("data", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if line.strip() and not line.startswith("#")))


def test_products_map_to_known_therapies_conditions_and_owners():
    vocab = default_vocabulary()
    products = _rows("products.csv")
    assert len(products) >= 60
    for row in products:
        product = vocab.products[row["name"]]
        assert product.conditions and product.owners, row["name"]
        # Every name of the product is recognised as that product in running text.
        for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
            found = [m for m in vocab.scan(f"The drug {alias} was given.") if m.role == "therapy"]
            assert any(m.term.product == product.name for m in found), alias


def test_condition_codes_and_scopes():
    rows = _rows("conditions.csv")
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    for row in rows:
        assert row["scope"] in ("", "umbrella", "catchall") and row["event"] in ("", "yes")
        code = row["icd10"]
        assert code[:1].isalpha() and code[1].isdigit() and code[2].isalnum(), row["name"]


@pytest.mark.parametrize(
    "local,target,expected",
    [
        ("the hospital has not started a clinical trial", "clinical trial", {"NEGATED"}),
        ("the company plans to start a phase 2 trial", "phase 2", {"PLANNED"}),
        ("doctors treated the patients", "treated", set()),
    ],
)
def test_a_sentence_of_many_cues_reaches_each_mention_as_a_short_one_does(local, target, expected):
    # A page without full stops is one sentence of thousands of cues; only those in reach of a
    # mention are tried, and the answer must be the one the short sentence gives.
    filler = "; ".join(["officials said it could not be ruled out"] * 40)
    long_sentence = f"{filler}; {local}; {filler}"
    assert categories(f"{local}.", target) == expected
    assert categories(long_sentence, target) == expected
