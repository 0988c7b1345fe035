"""parsers.claims.model: the trained weights as data, and clear errors for unusable files."""

import json
import math

import pytest

from parsers.claims.features import FEATURE_VERSION
from parsers.claims.model import (
    RETRAIN,
    BinaryModel,
    ClaimModel,
    ModelFileError,
    StageModel,
    load_model,
    save_model,
)


def test_the_shipped_model_loads_with_every_part():
    model = load_model()
    assert model.claim.weights and 0 < model.claim_threshold < 1
    assert set(model.stage.stages) == {
        "research",
        "preclinical",
        "clinical_trial",
        "clinical_use",
        "approved",
    }
    assert model.party is not None and model.patients is not None
    assert model.outcome_stated is not None and set(model.outcome or {}) == {
        "improved",
        "no_effect",
        "adverse",
        "mixed",
    }


def test_a_binary_model_is_a_logistic_regression_over_named_features():
    model = BinaryModel(-1.0, {"a": 2.0, "b": -0.5})
    assert model.score({"a": 1.0, "b": 2.0, "unknown": 5.0}) == pytest.approx(0.0)
    assert model.probability({"a": 1.0, "b": 2.0}) == pytest.approx(0.5)
    assert model.probability({"a": 10.0}) == pytest.approx(1 / (1 + math.exp(-19.0)))
    assert model.explain({"a": 1.0, "b": 2.0, "bias": 1.0}) == [("a", 2.0)]  # what pushed it up
    assert model.explain({"b": 2.0}) == [("b", -1.0)]  # else what pushed it down most


def test_a_model_survives_saving_and_loading(tmp_path):
    model = ClaimModel(
        BinaryModel(0.5, {"x": 1.0}),
        StageModel({"approved": BinaryModel(-1.0, {"y": 2.0}), "clinical_use": BinaryModel(0.0, {})}),
        0.4,
        0.6,
        party=BinaryModel(0.0, {"kind:hospital": 1.5}),
    )
    path = tmp_path / "m.json"
    save_model(model, path)
    assert load_model(path) == model


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        ('{"format": "cgt-monitor claim model", "format_', "not valid JSON"),
        ('{"format": "something else"}', "not a cgt-monitor claim model"),
        (
            '{"format": "cgt-monitor claim model", "format_version": 99, "feature_version": 1}',
            "made for model format 99",
        ),
        (
            json.dumps(
                {
                    "format": "cgt-monitor claim model",
                    "format_version": 1,
                    "feature_version": FEATURE_VERSION,
                    "claim": {},
                }
            ),
            "damaged",
        ),
        (
            '{"format": "cgt-monitor claim model", "format_version": 1, "feature_version": 1, "claim": {}}',
            "features 1",  # a model trained before the single-patient options (feature version 2)
        ),
        (b"\xff\xfe\x00binary", "cannot be read"),
    ],
)
def test_an_unusable_model_file_is_a_clear_error_naming_the_retrain_command(tmp_path, content, says):
    path = tmp_path / "model.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert says in str(caught.value) and RETRAIN in str(caught.value)


def test_a_truncated_copy_of_the_shipped_model_is_refused(tmp_path):
    shipped = json.dumps(load_model().to_json())
    path = tmp_path / "cut.json"
    path.write_text(shipped[: len(shipped) // 2])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)


def test_stage_names_outside_the_vocabulary_are_refused(tmp_path):
    data = load_model().to_json()
    data["stage"] = {"marketed": {"bias": 0.0, "weights": {}}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="stages"):
        load_model(path)
