"""parsers.claims.learned: the learned extractor end to end, on clear text and on bad input."""

import json

import pytest

from parsers.claims import DEFAULT_EXTRACTOR, EXTRACTORS, claim_extractor
from parsers.claims.learned import LearnedExtractor
from parsers.claims.model import ModelFileError, load_model
from parsers.models import Stage, Therapy

TRIAL = (
    "Doctors at Harbor University Hospital said on Monday that twelve patients with severe lupus "
    "received CAR-T cells in a phase 1 trial.\n\n"
    "Ten of the twelve patients were in drug-free remission after six months, the hospital said."
)


@pytest.fixture(scope="module")
def extractor():
    return LearnedExtractor()


def test_a_reported_trial_is_one_claim_with_its_fields_and_why(extractor):
    [claim] = extractor.extract_text(TRIAL, "Lupus patients in remission after CAR-T trial")
    assert (claim.therapy, claim.condition, claim.indication, claim.stage) == (
        Therapy.CAR_T,
        "systemic lupus erythematosus",
        "lupus",
        Stage.CLINICAL_TRIAL,
    )
    assert claim.institution == "Harbor University Hospital" and claim.patients == 12
    assert all(piece in TRIAL for piece in claim.evidence.split(" [...] "))
    why = dict(claim.why)
    assert why["claim"].startswith("p=") and why["stage"].startswith("clinical_trial p=")
    assert "(+" in why["stage"]  # the top features with their contributions


def test_background_and_plans_give_no_claim(extractor):
    text = (
        "Gene therapy could one day help people with cystic fibrosis, researchers said. "
        "A startup plans to begin a trial of its stem cell product in diabetes in 2027."
    )
    assert extractor.extract_text(text) == []


def test_the_learned_extractor_is_the_default_and_chosen_by_name():
    assert DEFAULT_EXTRACTOR == "learned" and set(EXTRACTORS) == {"learned", "rules", "llm"}
    assert claim_extractor().name == "learned-v1" and claim_extractor("rules").name == "rules-v3"
    assert claim_extractor("llm").name == "learned-v1"  # its offline part; the model is asked in flows
    with pytest.raises(ValueError, match="unknown claim extractor"):
        claim_extractor("magic")


def test_a_model_file_from_another_version_is_a_clear_error(tmp_path):
    data = load_model().to_json()
    data["feature_version"] = 0
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="retrain"):
        claim_extractor("learned", path)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "CAR-T lupus trial " * 60000,  # about a megabyte on one line
        "Лечение CAR-T 治疗 狼疮 لوبوس — patients with lupus received CAR-T cells at 北京 Hospital.",
        "Patients received gene therapy for "
        + ", ".join(["lupus", "leukemia", "lymphoma", "sickle cell disease", "Hunter syndrome"] * 100)
        + ".",
    ],
    ids=["empty", "blank", "one-long-line", "mixed-scripts", "500-conditions"],
)
def test_any_text_gives_claims_or_none(extractor, text):
    claims = extractor.extract_text(text)
    assert isinstance(claims, list)
    assert all(piece in text for c in claims for piece in c.evidence.split(" [...] "))
