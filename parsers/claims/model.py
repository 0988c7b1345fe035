"""The trained decision layer as data: feature names and weights in one JSON file.

    model = load_model()                       # parsers/data/claim_model.json
    p = model.claim.probability(features)      # is it a claim?
    probs = model.stage.probabilities(g)       # {"clinical_trial": 0.91, ...}
    model.stage.explain(g, "clinical_trial")   # [("clinical_trial:own_done", 1.8), ...]

Only weights are stored (no article text, no gold records), so the file is small and loads in
milliseconds; scikit-learn is needed to train a model (``scripts/train_extractor.py``), not to
use one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..models import Stage
from .features import FEATURE_VERSION, Features

MODEL_FORMAT = "cgt-monitor claim model"
MODEL_FORMAT_VERSION = 1
DEFAULT_MODEL = "claim_model.json"
RETRAIN = "python scripts/train_extractor.py --data DIR [DIR ...] --out MODEL.json"
STAGE_NAMES = frozenset(s.value for s in Stage)


class ModelFileError(RuntimeError):
    """The model file is missing, damaged or from another version of cgt-monitor."""


@dataclass(frozen=True)
class BinaryModel:
    """A logistic regression over named features."""

    bias: float
    weights: dict[str, float]

    def score(self, features: Features) -> float:
        w = self.weights
        # Only the names both hold count (a set intersection in C, not a lookup per feature);
        # fsum is exact, so the set's order (it varies with the hash seed) cannot change it.
        return self.bias + math.fsum([w[name] * features[name] for name in features.keys() & w.keys()])

    def probability(self, features: Features) -> float:
        return _sigmoid(self.score(features))

    def explain(self, features: Features, top: int = 3) -> list[tuple[str, float]]:
        """The features that pushed the score up most, with their contributions (weight x
        value); the ones that pushed it down most when none pushed it up."""
        parts = [(name, self.weights.get(name, 0.0) * v) for name, v in features.items() if name != "bias"]
        up = sorted((p for p in parts if p[1] > 0), key=lambda p: -p[1])
        return up[:top] or sorted((p for p in parts if p[1] < 0), key=lambda p: p[1])[:top]


@dataclass(frozen=True)
class StageModel:
    """One logistic regression per stage ("is the claim at this stage?"): a claim can be at two
    (an approval and the trial behind it)."""

    stages: dict[str, BinaryModel]

    def probabilities(self, features: Features) -> dict[str, float]:
        return {stage: model.probability(features) for stage, model in self.stages.items()}

    def explain(self, features: Features, stage: str, top: int = 3) -> list[tuple[str, float]]:
        return self.stages[stage].explain(features, top)


@dataclass(frozen=True)
class ClaimModel:
    claim: BinaryModel
    stage: StageModel
    claim_threshold: float  # a candidate whose claim probability is above this is a claim
    second_stage_threshold: float  # a second stage is reported when its probability is above this
    # The fields, as choices among the options the text offers (parsers.claims.fields): each
    # option scored, the best taken; the outcome as "is one stated?", then which.
    party: BinaryModel | None = None
    patients: BinaryModel | None = None
    outcome_stated: BinaryModel | None = None
    outcome: dict[str, BinaryModel] | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "feature_version": FEATURE_VERSION,
            "claim": {"bias": self.claim.bias, "weights": self.claim.weights},
            "stage": {
                stage: {"bias": model.bias, "weights": model.weights}
                for stage, model in self.stage.stages.items()
            },
            "thresholds": {"claim": self.claim_threshold, "second_stage": self.second_stage_threshold},
            "fields": {
                name: _part(model)
                for name, model in (
                    ("party", self.party),
                    ("patients", self.patients),
                    ("outcome_stated", self.outcome_stated),
                )
                if model is not None
            }
            | ({"outcome": {k: _part(v) for k, v in self.outcome.items()}} if self.outcome else {}),
        }


def _part(model: BinaryModel) -> dict[str, object]:
    return {"bias": model.bias, "weights": model.weights}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def model_from_json(data: object, origin: str) -> ClaimModel:
    """A model from its JSON form; ModelFileError naming ``origin`` and the retrain command
    when it is not one this version can use."""

    def bad(why: str) -> ModelFileError:
        return ModelFileError(f"claim model {origin}: {why}; retrain it with: {RETRAIN}")

    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise bad("not a cgt-monitor claim model")
    if data.get("format_version") != MODEL_FORMAT_VERSION or data.get("feature_version") != FEATURE_VERSION:
        raise bad(
            f"made for model format {data.get('format_version')} / features {data.get('feature_version')}, "
            f"this cgt-monitor reads {MODEL_FORMAT_VERSION} / {FEATURE_VERSION}"
        )
    try:
        claim, stage, thresholds = data["claim"], data["stage"], data["thresholds"]
        fields = data.get("fields") or {}
        if not stage or not set(stage) <= STAGE_NAMES:
            raise ValueError(f"stages {sorted(stage)} are not those of cgt-monitor")
        return ClaimModel(
            claim=_binary(claim),
            stage=StageModel({str(name): _binary(part) for name, part in stage.items()}),
            claim_threshold=float(thresholds["claim"]),
            second_stage_threshold=float(thresholds["second_stage"]),
            party=_binary(fields["party"]) if "party" in fields else None,
            patients=_binary(fields["patients"]) if "patients" in fields else None,
            outcome_stated=_binary(fields["outcome_stated"]) if "outcome_stated" in fields else None,
            outcome={str(k): _binary(v) for k, v in fields["outcome"].items()}
            if "outcome" in fields
            else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(f"damaged ({type(exc).__name__}: {exc})") from None


def _binary(part: dict[str, object]) -> BinaryModel:
    weights = part["weights"]
    if not isinstance(weights, dict):
        raise ValueError("weights are not a mapping of feature names")
    return BinaryModel(float(part["bias"]), {str(k): float(v) for k, v in weights.items()})  # type: ignore[arg-type]


def load_model(path: str | Path | None = None) -> ClaimModel:
    """The model at ``path``, or the one shipped with cgt-monitor."""
    if path is None:
        return _shipped_model()
    return _read(Path(path), str(path))


def _read(path: Path, origin: str) -> ClaimModel:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"claim model {origin}: no such file; train one with: {RETRAIN}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(
            f"claim model {origin}: cannot be read ({exc}); retrain it with: {RETRAIN}"
        ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"claim model {origin}: not valid JSON ({exc}); retrain it with: {RETRAIN}"
        ) from None
    return model_from_json(data, origin)


@lru_cache(maxsize=1)
def _shipped_model() -> ClaimModel:
    resource = resources.files("parsers").joinpath("data", DEFAULT_MODEL)
    with resources.as_file(resource) as path:
        return _read(Path(path), f"parsers/data/{DEFAULT_MODEL}")


def save_model(model: ClaimModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(model.to_json(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
