"""Claim extraction rules, each with short sentences of our own (plus the seed article)."""

import pytest

from parsers.claims import RuleBasedExtractor, extract_claims
from parsers.models import Therapy
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
        assert claim.therapy in set(Therapy)
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


# -- therapies ---------------------------------------------------------------------------------
def only(text):
    claims = extract_claims(text)
    assert len(claims) == 1, [c.as_dict() for c in claims]
    return claims[0]


@pytest.mark.parametrize(
    "phrase,therapy",
    [
        ("umbilical cord-derived mesenchymal stem cells", "mesenchymal stem cell therapy"),
        ("MSCs from donor bone marrow", "mesenchymal stem cell therapy"),
        ("CAR-T cells", "CAR-T cell therapy"),
        ("chimeric antigen receptor T cells", "CAR-T cell therapy"),
        ("CAR-NK cells", "other immune cell therapy"),
        ("tumor-infiltrating lymphocytes (TILs)", "other immune cell therapy"),
        ("TCR-T cells", "other immune cell therapy"),
        ("iPSC-derived dopaminergic progenitors", "iPSC-derived cell therapy"),
        ("chemically induced pluripotent stem cell-derived islets", "iPSC-derived cell therapy"),
        ("dopaminergic progenitors", "stem cell therapy"),
        ("donor islet cells", "cell therapy"),
        ("an AAV gene therapy", "gene therapy"),
        ("a lentiviral vector", "gene therapy"),
        ("CRISPR-Cas9 editing", "gene editing"),
        ("base editing", "gene editing"),
        ("prime editing", "gene editing"),
        ("gene-edited cells", "gene editing"),
        ("Casgevy (exa-cel)", "gene editing"),
        ("embryonic stem cell-derived retinal cells", "stem cell therapy"),
        ("cell and gene therapies", "cell and gene therapy"),
    ],
)
def test_therapy_names_map_to_the_nine_values(phrase, therapy):
    claim = only(
        f"Doctors at Riverside Hospital treated 12 patients with Parkinson's disease using {phrase}."
    )
    assert claim.therapy == therapy


def test_gene_edited_car_t_is_car_t():
    text = (
        "Three patients with lupus went into remission after receiving CRISPR-modified immune cells "
        "from donors. The treatment used CAR-T cells."
    )
    assert {c.therapy for c in extract_claims(text)} == {"CAR-T cell therapy"}


def test_brand_name_gives_the_therapy():
    claim = only("The FDA approved Zolgensma for children with spinal muscular atrophy.")
    assert (claim.therapy, claim.stage, claim.indication) == (
        "gene therapy",
        "approved",
        "spinal muscular atrophy",
    )


# -- conditions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,indication",
    [
        ("SLE", "systemic lupus erythematosus"),
        ("ACLF", "acute-on-chronic liver failure"),
        ("DMD", "Duchenne muscular dystrophy"),
        ("SCD", "sickle cell disease"),
        ("T1D", "type 1 diabetes"),
        ("knee osteoarthritis", "knee osteoarthritis"),
        ("acute lymphoblastic leukaemia", "acute lymphoblastic leukemia"),
    ],
)
def test_condition_synonyms_and_abbreviations(name, indication):
    assert (
        only(f"Riverside Hospital treated 5 patients with {name} using CAR-T cells.").indication == indication
    )


def test_abbreviations_match_only_in_capitals():
    assert extract_claims("Riverside Hospital treated all patients using CAR-T cells.") == []


def test_side_effects_and_deaths_causes_are_not_indications():
    text = (
        "A boy with Duchenne muscular dystrophy died from acute liver failure after receiving the "
        "gene therapy Elevidys."
    )
    assert {c.indication for c in extract_claims(text)} == {"Duchenne muscular dystrophy"}
    text = "In the trial of the CAR-T therapy for lymphoma, side effects included fever and hypertension."
    assert {c.indication for c in extract_claims(text)} == set()


def test_umbrella_term_beside_a_specific_condition_is_dropped():
    text = "The FDA approved Hemgenix for hemophilia B, an inherited bleeding disorder."
    assert [c.indication for c in extract_claims(text)] == ["hemophilia B"]


def test_other_conditions_are_not_claims():
    text = (
        "Doctors treated 20 children with lupus using CAR-T cells in a trial. The results boosted "
        "confidence in using CAR-T to treat other autoimmune diseases."
    )
    assert {c.indication for c in extract_claims(text)} == {"systemic lupus erythematosus"}


def test_a_condition_named_earlier_carries_to_a_sentence_that_continues_it():
    text = (
        "Riverside Hospital has used cell therapy for knee osteoarthritis and ischemic stroke. "
        "Its orthopaedic team injected stem cells into the affected knee joints of two patients."
    )
    knee = [c for c in extract_claims(text) if c.therapy == "stem cell therapy"]
    assert [(c.indication, c.patients) for c in knee] == [("knee osteoarthritis", 2)]


# -- institutions ------------------------------------------------------------------------------
def test_attribution_names_the_researchers_institute():
    text = (
        "Jane Doe, a researcher at Riverside Institute of Regenerative Medicine, said the institute is "
        "testing iPSC-derived neurons in a clinical trial for Parkinson's disease."
    )
    assert only(text).institution == "Riverside Institute of Regenerative Medicine"


def test_reference_back_to_the_hospital():
    text = (
        "Lakeside Children's Hospital opened a new ward. Doctors at the hospital treated a 9-year-old "
        "girl with leukemia using CAR-T cells."
    )
    claim = only(text)
    assert (claim.institution, claim.patients) == ("Lakeside Children's Hospital", 1)


def test_a_person_quoted_later_is_attributed_to_their_institution():
    text = (
        "Medical teams recently finished a clinical study of CAR-T therapy in children with lupus.\n\n"
        '"It works," said Li Wei, the head of nephrology at Eastbridge Hospital.\n\n'
        "Li said all 20 patients' symptoms had subsided following treatment."
    )
    claim = only(text)
    assert (claim.institution, claim.patients, claim.outcome) == ("Eastbridge Hospital", 20, "improved")


def test_regulator_is_not_the_institution_but_gives_the_location():
    text = (
        "The U.S. Food and Drug Administration approved Hemgenix for hemophilia B. "
        "Approval of Hemgenix was granted to CSL Behring."
    )
    claim = only(text)
    assert (claim.institution, claim.location, claim.stage) == ("CSL Behring", "United States", "approved")


# -- stages ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,stage",
    [
        (
            "Researchers at Northfield University are exploring gene editing for sickle cell disease in the lab.",
            "research",
        ),
        ("The gene therapy restored hearing in mice with OTOF-related hearing loss.", "preclinical"),
        ("The gene therapy was tested in nonhuman primates with hemophilia A.", "preclinical"),
        (
            "Northfield Hospital enrolled 10 patients with myasthenia gravis in a phase 1 trial of CAR-T cells.",
            "clinical_trial",
        ),
        (
            "A first-in-human study gave base editing to 9 patients with familial hypercholesterolemia.",
            "clinical_trial",
        ),
        (
            "An investigator-initiated study of CAR-T cells enrolled 6 patients with multiple sclerosis.",
            "clinical_trial",
        ),
        (
            "Northfield Hospital treated 4 patients with ischemic stroke using mesenchymal stem cells.",
            "clinical_use",
        ),
        (
            "The European Commission granted conditional marketing authorisation to the gene therapy Upstaza for AADC deficiency.",
            "approved",
        ),
        ("Health Canada licensed the CAR-T therapy Kymriah for B-cell lymphoma.", "approved"),
    ],
)
def test_stage_cues(text, stage):
    assert only(text).stage == stage


@pytest.mark.parametrize(
    "text",
    [
        "The company plans to start a phase 2 trial of its islet cell therapy for type 1 diabetes next year.",
        "Northfield Biotech is preparing to apply for approval of its CAR-T therapy for lymphoma.",
        "The FDA has not approved any stem cell product for knee osteoarthritis.",
        "No gene therapy clinical trial for sickle cell disease has taken place in the region.",
        "The biotech hopes its CAR-T candidate could one day treat solid tumors.",
        "The startup raised $255 million to build a plant that will make cell therapies for Parkinson's disease.",
        "In 2019, the hospital's stem cell laboratory received accreditation for quality.",
        "CAR-T therapy has shown significant advantages in the treatment of blood cancers.",
    ],
)
def test_plans_negations_funding_accreditation_and_background_are_not_claims(text):
    assert extract_claims(text) == []


def test_trials_being_approved_is_not_an_approval():
    text = (
        "The gene therapy for OTOF-related hearing loss was tested in mice before human trials were approved."
    )
    assert [c.stage for c in extract_claims(text)] == ["preclinical"]


def test_approval_based_on_studies_is_the_trial_behind_it():
    text = (
        "The FDA approved Hemgenix for hemophilia B. The approval was based on two studies of adult men "
        "with severe hemophilia B."
    )
    assert {c.stage for c in extract_claims(text)} == {"approved", "clinical_trial"}


def test_clinical_use_within_a_trial_is_the_trial():
    text = (
        "Eastbridge Hospital applied CAR-T cell therapy to a patient with lupus. She had joined the "
        "hospital's registered clinical study of CAR-T therapy for SLE."
    )
    claim = only(text)
    assert (claim.stage, claim.patients) == ("clinical_trial", 1)


# -- patients and outcome ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,patients",
    [
        ("Northfield Hospital treated two patients with lupus using CAR-T cells.", 2),
        ("Northfield Hospital treated a 9-year-old girl with lupus using CAR-T cells.", 1),
        ("In the trial, 12 participants with lupus received CAR-T cells.", 12),
        (
            "Of the patients with lupus treated with CAR-T cells in the trial, 94% (51 out of 54) improved.",
            54,
        ),
        (
            "Northfield Hospital treated patients with lupus using CAR-T cells; lupus affects 5 million people worldwide.",
            None,
        ),
    ],
)
def test_patient_counts(text, patients):
    assert extract_claims(text)[0].patients == patients


@pytest.mark.parametrize(
    "text,outcome",
    [
        (
            "Northfield Hospital treated 3 patients with lupus using CAR-T cells and all went into remission.",
            "improved",
        ),
        (
            "Northfield Hospital treated 3 patients with lupus using CAR-T cells; there was no improvement.",
            "no_effect",
        ),
        (
            "A patient with Duchenne muscular dystrophy died after receiving the gene therapy Elevidys.",
            "adverse",
        ),
        ("In the trial of CAR-T cells for lupus, 8 patients improved but one patient died.", "mixed"),
        (
            "Northfield Hospital treated 3 patients with lupus using CAR-T cells; the treatment was well tolerated.",
            None,
        ),
    ],
)
def test_outcomes(text, outcome):
    assert extract_claims(text)[0].outcome == outcome


def test_one_claim_per_key_and_exact_evidence():
    text = (
        "Northfield Hospital treated 3 patients with lupus using CAR-T cells. Elsewhere in the report. "
        "Northfield Hospital also treated more patients with lupus using CAR-T cells."
    )
    claim = only(text)
    for piece in claim.evidence.split(" [...] "):
        assert piece in text
    assert " [...] " in claim.evidence


@pytest.mark.parametrize(
    ("text", "institution"),
    [
        (
            "She wrote to the director of rheumatology at Beijing GoBroad Boren Hospital. With long experience "
            "in CAR-T research, her team treated a lupus patient with CAR-T cell therapy.",
            "Beijing GoBroad Boren Hospital",
        ),
        (
            "Doctors at Riverside University Hospital. Three patients with lupus received CAR-T cell therapy there.",
            "Riverside University Hospital",
        ),
        (
            "Doctors at St. Mary's Hospital treated two patients with knee osteoarthritis using stem cell therapy.",
            "St. Mary's Hospital",
        ),
        (
            "Shanghai Cell Therapy Group Co. Ltd treated three leukemia patients with CAR-T cell therapy.",
            "Shanghai Cell Therapy Group Co. Ltd",
        ),
    ],
)
def test_a_name_ends_where_its_sentence_ends_but_not_at_an_abbreviation(text, institution):
    claims = RuleBasedExtractor().extract_text(text)
    assert [c.institution for c in claims] == [institution]
