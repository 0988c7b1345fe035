"""``cgt-monitor extract`` (flows/cli/extracting.py)."""

import json

from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEED_CLAIMS, SEEDS

runner = CliRunner()


def test_extract_json_on_the_seed_folder_prints_one_array_with_the_five_claims():
    result = runner.invoke(app, ["extract", "--json", str(SEEDS)])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert isinstance(items, list) and len(items) == 1
    [item] = items
    assert set(item) == {"id", "source_path", "title", "published", "claims"}
    assert item["published"] == "2026-01-19"
    assert {
        (c["institution"], c["therapy"], c["indication"], c["stage"]) for c in item["claims"]
    } == SEED_CLAIMS
    for claim in item["claims"]:
        assert set(claim) == {
            "institution",
            "location",
            "therapy",
            "therapy_detail",
            "indication",
            "stage",
            "patients",
            "outcome",
            "evidence",
            "condition",
            "product",
            "registry_ids",
            "why",
        }
        # Each field's rule, as text: stage, therapy and indication always say why.
        assert {"stage", "therapy", "indication"} <= set(claim["why"])
        assert all(isinstance(v, str) and v for v in claim["why"].values())


def test_extract_json_uses_the_json_id_and_reports_bad_files(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps({"id": "article-7", "published": None, "text": "Nothing about therapies."})
    )
    (tmp_path / "b.txt").write_bytes(b"")
    result = runner.invoke(app, ["extract", "--json", str(tmp_path)])
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == ["article-7"]
    assert "b.txt" in result.stderr
