"""Claim extraction rules, each with short sentences of our own (plus the seed article)."""

from parsers.claims import extract_claims
from parsers.models import THERAPIES
from tests.conftest import SEED_ARTICLE, SEED_CLAIMS


def keys(claims):
    return {(c.institution, c.therapy, c.indication, c.stage) for c in claims}


def seed_text():
    return SEED_ARTICLE.read_text(encoding="utf-8").split(" ", 2)[2]


def test_seed_gives_exactly_the_five_claims():
    claims = extract_claims(seed_text())
    assert keys(claims) == SEED_CLAIMS
    assert len(claims) == 5


def test_seed_knee_claim_has_patients_outcome_and_exact_evidence():
    text = seed_text()
    [knee] = [c for c in extract_claims(text) if c.indication == "knee osteoarthritis"]
    assert knee.patients == 2
    assert knee.outcome == "improved"
    assert knee.evidence.startswith("Wang Jianwei, director and chief physician")
    assert "both patients reported significant relief" in knee.evidence
    for piece in knee.evidence.split(" [...] "):
        assert piece in text


def test_every_claim_uses_the_fixed_vocabularies():
    for claim in extract_claims(seed_text()):
        assert claim.therapy in THERAPIES
        assert claim.evidence


def test_accreditation_is_not_a_claim():
    text = (
        "In 2019, the institute established a standardized cell testing laboratory, which has "
        "received accreditation by the national accreditation service."
    )
    assert extract_claims(text) == []


def test_background_statement_without_a_stage_is_not_a_claim():
    assert extract_claims("CAR-T therapy has shown advantages in the treatment of leukemia.") == []


def test_a_list_of_conditions_gives_one_claim_each():
    text = (
        "Riverside Hospital has treated patients with lupus, multiple sclerosis and "
        "myasthenia gravis using CAR-T cells."
    )
    assert {c.indication for c in extract_claims(text)} == {
        "systemic lupus erythematosus",
        "multiple sclerosis",
        "myasthenia gravis",
    }
