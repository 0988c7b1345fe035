"""parsers.claims.training and scripts/train_extractor.py: labels, folds and a model trained
end to end on the labelled fixtures (written for the tests)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from parsers.claims.learned import LearnedExtractor
from parsers.claims.model import load_model
from parsers.claims.training import (
    condition_similarity,
    cross_validate,
    fit,
    grouped_folds,
    label,
    load_labelled,
    match_claims,
    read_labelled,
    same_party,
)

ROOT = Path(__file__).resolve().parents[3]
LABELLED = ROOT / "tests" / "fixtures" / "labelled"


@pytest.fixture(scope="module")
def readings():
    return read_labelled(load_labelled([LABELLED]))


def test_labelled_folders_are_read_and_bad_ones_named(tmp_path):
    articles = load_labelled([LABELLED])
    assert len(articles) == 12 and sum(len(a.claims) for a in articles) == 11
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not a labelled article"):
        load_labelled([tmp_path])
    with pytest.raises(ValueError, match="no labelled articles"):
        load_labelled([tmp_path / "empty"])
    twice = tmp_path / "twice"
    twice.mkdir()
    for name in ("a", "b"):
        (twice / f"{name}.json").write_text(json.dumps({"id": "same", "text": "x", "claims": []}))
    with pytest.raises(ValueError, match="given twice"):
        load_labelled([twice])


def test_folds_keep_a_development_group_together_and_are_the_same_each_time():
    articles = load_labelled([LABELLED])
    folds = grouped_folds(articles, 3)
    assert folds["harbor-lupus-cart"] == folds["harbor-lupus-cart-copy"]
    assert folds == grouped_folds(list(reversed(articles)), 3)
    assert set(folds.values()) == {0, 1, 2}


def test_another_split_deals_the_groups_anew_and_still_keeps_each_together():
    articles = load_labelled([LABELLED])
    splits = [grouped_folds(articles, 3, split) for split in range(4)]
    for folds in splits:
        assert folds["harbor-lupus-cart"] == folds["harbor-lupus-cart-copy"]
        assert set(folds.values()) == {0, 1, 2}
    assert splits[0] == grouped_folds(articles, 3)  # split 0 is the one the script always used
    assert any(folds != splits[0] for folds in splits[1:])


def test_the_matching_conventions():
    assert condition_similarity("transfusion-dependent beta-thalassemia", "beta thalassemia") == 0.9
    assert condition_similarity("acute myeloid leukaemia (AML)", "acute myeloid leukemia") == 1.0
    assert condition_similarity("lupus", "lymphoma") < 0.8
    assert same_party("Harbor Hospital", "Harbor Hospital; Harbor University") and same_party(None, None)
    assert same_party("UCLH", "University College London Hospitals (UCLH)")
    assert not same_party("University", "Harbor University") and not same_party("Harbor Hospital", None)
    pred = [{"stage": "clinical_trial", "therapy": "CAR-T cell therapy", "indication": "lupus"}]
    gold = [{"stage": "clinical_trial", "therapy": "cell therapy", "indication": "systemic lupus"}]
    assert match_claims(pred, gold) == [(0, 0)]
    assert match_claims([{**pred[0], "stage": "approved"}], gold) == []


def test_each_gold_claim_labels_the_candidate_closest_to_it(readings):
    by_id = {r.article.id: r for r in readings}
    approval = by_id["brightwave-hemophilia-approval"]
    labelled = [
        (ex.described.candidate.condition, sorted(ex.stages)) for ex in approval.examples if ex.stages
    ]
    assert labelled == [("hemophilia B", ["approved", "clinical_trial"])]
    assert all(not ex.stages for ex in by_id["neg-explainer"].examples)
    assert label(approval.article, []) == []


def test_a_model_trained_on_the_fixtures_has_every_part_and_extracts(readings):
    model = fit(readings)
    assert model.claim.weights and model.party is not None and model.outcome
    extractor = LearnedExtractor(model=model)
    article = next(r.article for r in readings if r.article.id == "eastlake-parkinsons-ipsc")
    claims = extractor.extract_text(article.text, article.title)
    assert any(c.condition == "Parkinson's disease" for c in claims)


def test_cross_validation_scores_every_article_with_a_model_that_did_not_see_it(readings):
    cv = cross_validate(readings, 3)
    assert set(cv.predictions) == {r.article.id for r in readings}
    assert len(cv.fold_scores) == 3 and 0.0 <= cv.pooled[0] <= 1.0
    assert cv.candidate_recall == pytest.approx(1.0)


def train_script(cwd, *args):
    """scripts/train_extractor.py on the labelled fixtures with 3 folds; it must succeed."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "train_extractor.py"),
            "--data",
            str(LABELLED),
            "--folds",
            "3",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_training_script_writes_a_model_and_its_manifest(tmp_path):
    out = tmp_path / "model.json"
    predictions = tmp_path / "oof.json"
    printed = train_script(tmp_path, "--out", str(out), "--predictions", str(predictions))
    assert "out-of-fold claim F1:" in printed
    assert "splits" not in printed  # one split unless asked
    manifest = json.loads((tmp_path / "model.manifest.json").read_text())
    assert manifest["data"]["articles"] == 12 and len(manifest["data"]["sha256"]) == 64
    assert set(manifest["libraries"]) >= {"scikit-learn", "numpy"} and manifest["seed"] == 0
    assert load_model(out).claim.weights
    oof = json.loads(predictions.read_text())
    assert {item["id"] for item in oof} == {p.stem for p in LABELLED.glob("*.json")}
    again = tmp_path / "again.json"
    train_script(tmp_path, "--out", str(again))
    assert again.read_text() == out.read_text()  # a fixed seed: the same weights each time


def test_the_training_script_scores_several_splits_when_asked(tmp_path):
    printed = train_script(tmp_path, "--splits", "2").splitlines()
    line = next(x for x in printed if "over 2 splits" in x)
    first = float(next(x for x in printed if x.startswith("out-of-fold claim F1:")).split()[-1])
    scores = [float(x) for x in line.split("(")[1].rstrip(")").split(", ")]
    assert len(scores) == 2 and round(scores[0], 3) == first
    assert float(line.split("mean ")[1].split()[0]) == pytest.approx(sum(scores) / 2, abs=1e-4)
