"""parsers.linkage: two reports compared, the signals named, a merge only on particular evidence."""

import json
from datetime import date

import pytest

from parsers.linkage import (
    RETRAIN_LINKAGE,
    LinkModelError,
    corroborated,
    in_block,
    kinds_of_one_condition,
    load_link_model,
    report,
    signals,
)
from parsers.models import Claim

STORY = "Doctors at a hospital in the capital treated a girl with leukemia using CAR-T cells; she is in remission."


def claim(**kw):
    values = {
        "institution": None,
        "therapy": "CAR-T cell therapy",
        "indication": "acute lymphoblastic leukemia",
        "condition": "acute lymphoblastic leukemia",
        "stage": "clinical_use",
        "evidence": STORY,
    }
    return Claim(**{**values, **kw})


def rep(published=date(2025, 3, 1), title=None, **kw):
    return report(claim(**kw), published=published, title=title)


MODEL = load_link_model()


def test_the_shipped_model_and_its_thresholds():
    assert 0 < MODEL.development_threshold < MODEL.event_threshold < 1
    assert MODEL.weights


def test_one_story_told_by_two_outlets_is_one_happening_even_without_a_party():
    a = rep(evidence=STORY)
    b = rep(
        evidence="A girl with leukemia treated using CAR-T cells at a hospital in the capital is in remission, doctors said."
    )
    p, f = MODEL.compare(a, b)
    assert f["evidence_words"] > 0.5 and p >= MODEL.event_threshold


def test_headlines_in_common_corroborate_too():
    a = rep(evidence="She received the cells in March.", title="Girl with leukemia in remission after CAR-T")
    b = rep(
        evidence="Her doctors gave her a single infusion.",
        title="Girl in remission from leukemia after CAR-T cells",
    )
    assert corroborated(signals(a, b))


@pytest.mark.parametrize(
    "other",
    [
        {"evidence": "A man with lymphoma in another city received CAR-T cells from a trial team."},
        {"evidence": "Regulators cleared a new factory for cell therapies in the north of the country."},
    ],
)
def test_the_same_condition_stage_and_day_alone_never_link(other):
    a, b = rep(), rep(**other)
    assert not corroborated(signals(a, b)) and MODEL.compare(a, b)[0] == 0.0


def test_two_parties_sharing_a_word_are_left_to_the_identity_keys():
    a = rep(institution="Peking University Third Hospital", evidence="One patient improved after the cells.")
    b = rep(institution="Peking University", evidence="Doctors announced results at a meeting in Beijing.")
    assert signals(a, b)["party_words"] > 0 and not corroborated(signals(a, b))


def test_two_different_products_or_trials_never_link():
    a, b = rep(product="Yescarta"), rep(product="Tecartus")
    assert not corroborated(signals(a, b))
    c, d = rep(registry_ids=("NCT01234567",)), rep(registry_ids=("NCT07654321",))
    assert not corroborated(signals(c, d))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("hemophilia A", "hemophilia B"),
        ("acute myeloid leukemia", "acute lymphoblastic leukemia"),
        ("type 1 diabetes", "type 2 diabetes"),
    ],
)
def test_two_kinds_of_one_condition_never_link_however_alike_the_reports(one, other):
    # One party, one place, one story: still two conditions, so two developments.
    a = rep(institution="Belief BioMed", location="China", condition=one, indication=one)
    b = rep(institution="Belief BioMed", location="China", condition=other, indication=other)
    assert kinds_of_one_condition(one, other) and not corroborated(signals(a, b))
    assert MODEL.compare(a, b)[0] == 0.0
    same = rep(institution="Belief BioMed", location="China", condition=one, indication=one)
    assert corroborated(signals(a, same)) and MODEL.compare(a, same)[0] > MODEL.development_threshold


@pytest.mark.parametrize(
    ("umbrella", "kind"), [("hemophilia", "hemophilia A"), ("leukemia", "acute myeloid leukemia")]
)
def test_an_umbrella_and_its_kind_are_no_two_kinds(umbrella, kind):
    assert not kinds_of_one_condition(umbrella, kind) and not kinds_of_one_condition(kind, kind)


def test_blocks_are_one_product_or_one_field_of_conditions():
    assert in_block(
        rep(), rep(condition="B-cell lymphoma", indication="B-cell lymphoma")
    )  # both blood cancers
    assert not in_block(rep(), rep(condition="Parkinson's disease", indication="Parkinson's disease"))
    assert in_block(rep(product="Kymriah"), rep(product="Kymriah", condition="Parkinson's disease"))


def test_bad_input_is_bounded_and_never_links_on_a_weak_signal():
    long_name = "Hospital " + "x" * 1000
    fifty = "; ".join(f"Institute Number {n}" for n in range(50))
    a = rep(institution=long_name, evidence="Пациенту ввели клетки CAR-T в больнице, сообщили врачи.")
    b = rep(institution=fifty, evidence="患者接受了CAR-T细胞治疗，医生说。")
    p, f = MODEL.compare(a, b)
    assert len(b.parties) == 10 and len(a.parties[0]) <= 300
    assert p == 0.0 and "evidence_words" in f


def test_a_damaged_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"format": "cgt-monitor linkage model", "format_version": 1, "bias": 0}))
    with pytest.raises(LinkModelError) as caught:
        load_link_model(bad)
    assert "damaged" in str(caught.value) and RETRAIN_LINKAGE in str(caught.value)
    with pytest.raises(LinkModelError, match="no such file"):
        load_link_model(tmp_path / "missing.json")
