"""parsers.claims.features: named numbers per candidate, the same for the same text."""

import math

from parsers.claims.candidates import find_candidates
from parsers.claims.features import article_facts, claim_features, stage_features
from parsers.claims.reading import read_article_text
from parsers.vocab import default_vocabulary

TEXT = (
    "Doctors at Harbor Hospital treated six patients with lupus in a phase 1 trial of CAR-T cells.\n\n"
    "Five of them are in remission. Other autoimmune diseases such as multiple sclerosis may follow."
)


def described(text=TEXT, title="Harbor Hospital reports lupus remission after CAR-T"):
    reading = read_article_text(text, title, default_vocabulary())
    facts = article_facts(reading)
    return {
        c.condition: (claim_features(reading, facts, c), stage_features(reading, facts, c))
        for c in find_candidates(reading)
    }


def test_where_the_condition_is_named_and_with_what():
    f, _ = described()["systemic lupus erythematosus"]
    assert f["in_title"] == 1.0 and f["family_in_title"] == 1.0 and f["in_first_sentence"] == 1.0
    assert f["with_therapy_any"] == 1.0 and f["any:therapy_done_marker"] == 1.0
    assert f["rule_claim"] == 1.0


def test_context_cues_reach_the_conditions_they_modify():
    features = described()
    assert features["autoimmune disease"][0]["context:OTHER"] == 1.0
    assert features["multiple sclerosis"][0]["context:MEMBER"] == 1.0
    assert features["systemic lupus erythematosus"][0]["context:OTHER"] == 0.0


def test_stage_features_count_the_cues_that_hold_near_the_condition():
    _, g = described()["systemic lupus erythematosus"]
    assert g["clinical_trial:own_done"] > 0 and g["clinical_trial:rules"] == 1.0
    assert g["approved:own_done"] == 0.0 and g["approved:distance"] == 1.0


def test_every_value_is_a_finite_number_and_the_same_on_a_second_reading():
    first, second = described(), described()
    assert first == second
    for f, g in first.values():
        assert all(isinstance(v, float) and math.isfinite(v) for v in [*f.values(), *g.values()])


def test_a_product_named_for_the_condition_says_which_familys_claim_it_is():
    text = (
        "The FDA approved the first gene therapy for leukemia.\n\n"
        "The treatment, called Kymriah, is given to children whose leukemia came back."
    )
    reading = read_article_text(text, None, default_vocabulary())
    facts = article_facts(reading)
    by_family = {c.family: claim_features(reading, facts, c) for c in find_candidates(reading)}
    assert (
        by_family["cell"].get("product_family:same") == 1.0
        and "product_family:other" not in by_family["cell"]
    )
    assert (
        by_family["gene"].get("product_family:other") == 1.0
        and "product_family:same" not in by_family["gene"]
    )
    reading = read_article_text("A gene therapy for leukemia was tested in mice.", None, default_vocabulary())
    facts = article_facts(reading)
    [plain] = [claim_features(reading, facts, c) for c in find_candidates(reading)]
    assert not any(name.startswith("product_family") for name in plain)
