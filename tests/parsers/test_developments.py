"""Article-level extraction rules (``parsers.developments``), each with two or more phrasings of
our own: a development is found once, its stage decided from all its sentences."""

import json

import pytest

from parsers.claims import extract_claims


def claims_of(text):
    return [(c.therapy, c.indication, c.stage) for c in extract_claims(text)]


def only(text):
    claims = extract_claims(text)
    assert len(claims) == 1, [c.as_dict() for c in claims]
    return claims[0]


# -- a trial named anywhere makes the treated patients trial patients ---------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Northfield Hospital launched a phase 1 trial of CAR-T cells for lupus last year.\n\n"
        "All six treated patients went into remission within three months.",
        "Doctors at Northfield Hospital treated 6 patients with lupus using CAR-T cells.\n\n"
        "The patients were enrolled in an investigator-initiated study approved by the ethics board.",
        "A study at Northfield Hospital is testing CAR-T cells in lupus. Six patients received the cells "
        "and all of them improved.",
    ],
)
def test_a_trial_anywhere_in_the_article_makes_treated_patients_trial_patients(text):
    claim = only(text)
    assert (claim.therapy, claim.indication, claim.stage) == (
        "CAR-T cell therapy",
        "systemic lupus erythematosus",
        "clinical_trial",
    )


@pytest.mark.parametrize(
    "text",
    [
        "The clinic treated 40 patients with knee osteoarthritis using stem cells. It is not an approved "
        "study, health officials said.",
        "Eastbridge Clinic gave stem cell injections to diabetes patients, although the therapy is allowed "
        "only in clinical trials.",
    ],
)
def test_a_denied_study_leaves_clinical_use(text):
    assert only(text).stage == "clinical_use"


@pytest.mark.parametrize(
    "text",
    [
        "Riverside Hospital will start a phase 2 trial of its CAR-T cells for myasthenia gravis next year.",
        "The company aims to begin a clinical trial of the gene therapy for hemophilia A in 2027.",
        "Harborview Therapeutics is preparing to file for approval of its CAR-T therapy for lymphoma.",
    ],
)
def test_planned_work_is_no_claim(text):
    assert extract_claims(text) == []


# -- approvals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,institution",
    [
        ("The FDA approved Casgevy for sickle cell disease.", None),
        ("Regulators in the EU authorised Zolgensma for spinal muscular atrophy.", None),
        ("Health Canada approved Elevidys, made by Sarepta, for Duchenne muscular dystrophy.", "Sarepta"),
    ],
)
def test_products_give_therapy_and_owner_named_in_the_article(text, institution):
    claim = only(text)
    assert claim.stage == "approved"
    if institution is None:  # the owner is not named in the article: no party
        assert claim.institution is None
    else:
        assert claim.institution is not None and institution.split(";")[0].split()[0] in claim.institution


@pytest.mark.parametrize(
    "text",
    [
        "The FDA approved Casgevy for sickle cell disease. Vertex Pharmaceuticals makes it with CRISPR Therapeutics.",
        "Casgevy, from Vertex Pharmaceuticals and CRISPR Therapeutics, won FDA approval for sickle cell disease.",
    ],
)
def test_an_approval_goes_to_the_company_not_the_regulator(text):
    claim = only(text)
    assert claim.stage == "approved" and claim.location == "United States"
    assert "FDA" not in claim.institution and "Vertex" in claim.institution


@pytest.mark.parametrize(
    "text",
    [
        "The regulator approved a gene therapy called obecabtagene autoleucel for leukemia.",
        "The regulator approved xyzparvovec, a new gene therapy, for hemophilia B.",
    ],
)
def test_inn_stems_name_a_therapy_class(text):
    claim = only(text)
    assert claim.stage == "approved"
    assert claim.therapy in ("CAR-T cell therapy", "gene therapy")


@pytest.mark.parametrize(
    "text",
    [
        "The FDA approved Amtagvi for melanoma.\n\nThe approval was based on a study of 73 patients.",
        "Regulators approved Hemgenix for hemophilia B. In the phase 3 trial behind it, 54 men took part.",
    ],
)
def test_the_trial_behind_an_approval_is_a_claim_of_its_own(text):
    stages = {c.stage: c for c in extract_claims(text)}
    assert set(stages) == {"approved", "clinical_trial"}
    assert stages["approved"].patients is None and stages["clinical_trial"].patients is not None


@pytest.mark.parametrize(
    "text",
    [
        "The gene therapy for OTOF-related hearing loss worked in mice before human trials were approved.",
        "The ethics board approved the trial of the gene therapy for hemophilia A after studies in monkeys.",
    ],
)
def test_a_trial_cleared_to_start_is_neither_approval_nor_trial(text):
    assert [c.stage for c in extract_claims(text)] == ["preclinical"]


# -- conditions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "The agency approved the CAR-T therapy for large B-cell lymphoma, including diffuse large "
            "B-cell lymphoma and follicular lymphoma.",
            ["large B-cell lymphoma"],
        ),
        (
            "Regulators approved stem cell transplants for blood diseases such as leukemia.",
            ["leukemia"],
        ),
    ],
)
def test_listed_examples_belong_to_their_condition(text, expected):
    assert [c.indication for c in extract_claims(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "In the trial of the gene editing drug for familial hypercholesterolemia, one patient had a heart attack.",
        "Ten patients with familial hypercholesterolemia got the gene editing drug in a trial; one suffered a heart attack.",
    ],
)
def test_an_event_like_condition_without_an_indication_marker_is_not_an_indication(text):
    assert {c.indication for c in extract_claims(text)} == {"familial hypercholesterolemia"}


@pytest.mark.parametrize(
    "text",
    [
        "Cardiologists treated 12 patients with heart attack using stem cells in a trial.",
        "The trial tested stem cells for heart attack survivors; 12 patients improved.",
    ],
)
def test_an_event_like_condition_with_an_indication_marker_is_one(text):
    assert {c.indication for c in extract_claims(text)} == {"myocardial infarction"}


@pytest.mark.parametrize(
    "text",
    [
        "Scientists say a stem cell therapy could potentially cure type 1 and type 2 diabetes. Clinical "
        "trials reversed diabetes in patients. A man with type 2 diabetes received the treatment in 2021. "
        "A woman with type 1 diabetes was treated in 2024.",
        "Clinical trials of the stem cell therapy reversed diabetes in patients.\n\nOne man had type 2 "
        "diabetes and received the cells. One woman had type 1 diabetes and received them too.",
    ],
)
def test_an_umbrella_condition_speaks_for_every_narrower_one_the_article_treats(text):
    claims = {(c.indication, c.stage) for c in extract_claims(text)}
    assert claims == {("type 1 diabetes", "clinical_trial"), ("type 2 diabetes", "clinical_trial")}


@pytest.mark.parametrize(
    "text",
    [
        "A baby with a rare genetic disease got a custom gene editing treatment in a new study and is thriving. "
        "He was diagnosed with severe CPS1 deficiency.",
        "Doctors gave a gene editing treatment to a baby with a rare genetic disease in a study; "
        "his illness, CPS1 deficiency, kills half of affected infants.",
    ],
)
def test_a_catchall_condition_is_the_specific_one_the_article_names(text):
    assert [c.indication for c in extract_claims(text)] == ["CPS1 deficiency"]


@pytest.mark.parametrize(
    "text",
    [
        "Doctors at Peking University Shenzhen Hospital (“PKU Shenzhen Hospital”) gave CAR-T cells to a "
        "lupus patient in a clinical trial.",
        "The ALS Association funded a study in which CAR-T cells were given to a patient with lupus.",
    ],
)
def test_an_abbreviation_starting_a_name_is_not_a_condition(text):
    assert [c.indication for c in extract_claims(text)] == ["systemic lupus erythematosus"]


# -- several developments and therapies ------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "For ten years Ana was treated for lupus. She received steroids and mesenchymal stem cell "
        "infusions, which brought no improvement.\n\nIn 2024 she joined a clinical trial of CAR-T cells "
        "for lupus and went into remission.",
        "Ana has lupus. Doctors gave her mesenchymal stem cell infusions for years without benefit. Then "
        "she received CAR-T cells in a trial, and her lupus went into remission.",
    ],
)
def test_two_kinds_of_therapy_for_one_condition_are_two_developments(text):
    claims = {(c.therapy, c.stage) for c in extract_claims(text)}
    assert claims == {
        ("mesenchymal stem cell therapy", "clinical_use"),
        ("CAR-T cell therapy", "clinical_trial"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "The institute is exploring stem cells for cancer treatment, and is using stem cells to treat "
        "Parkinson's disease in clinical trials.",
        "The team uses stem cells in clinical trials for Parkinson's disease, while it is only exploring "
        "them for cancer in the lab.",
    ],
)
def test_a_stage_cue_counts_for_the_development_of_its_clause(text):
    assert set(claims_of(text)) == {
        ("stem cell therapy", "cancer", "research"),
        ("stem cell therapy", "Parkinson's disease", "clinical_trial"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "Riverside Hospital treated 3 patients with lupus using CAR-T cells. Treatments for other diseases "
        "are still in trials.",
        "Riverside Hospital treated 3 patients with lupus using CAR-T cells. Other hospitals run trials.",
    ],
)
def test_a_sentence_about_other_diseases_or_parties_continues_no_development(text):
    assert only(text).stage == "clinical_use"


@pytest.mark.parametrize(
    "text",
    [
        "In a phase 1 trial of CAR-T cells for lupus, 10 patients improved. Since the approval of the "
        "CAR-T product, hospitals have treated many patients with it commercially.",
        "Ten patients with lupus improved in a trial of the CAR-T product. Since its approval the hospital "
        "uses it in routine clinical practice.",
    ],
)
def test_marketed_use_beside_a_trial_is_clinical_use(text):
    assert {c.stage for c in extract_claims(text)} >= {"clinical_trial", "clinical_use"}


@pytest.mark.parametrize(
    "text",
    [
        "Patients with hemophilia are normally treated with factor IX prophylaxis. The FDA approved "
        "Hemgenix for hemophilia B.",
        "People with lupus are usually treated with steroids. Northfield Hospital is exploring CAR-T cells "
        "for lupus in the laboratory.",
    ],
)
def test_stage_cues_about_another_treatment_do_not_count(text):
    assert "clinical_use" not in {c.stage for c in extract_claims(text)}


# -- parties -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Northfield Hospital treated 10 patients with lupus using CAR-T cells in a trial, said Ann Lee, "
        "a rheumatologist at Eastbridge University who was not involved in the study.",
        'Northfield Hospital ran a CAR-T trial for lupus. "Impressive," said Ann Lee, a doctor at '
        "Eastbridge University who was not involved with the trial.",
    ],
)
def test_a_party_said_not_to_be_involved_is_not_the_institution(text):
    assert only(text).institution == "Northfield Hospital"


@pytest.mark.parametrize(
    "text",
    [
        "Boston-based Harborview Therapeutics gave its CAR-T cells to 5 lupus patients in a trial.",
        "London-headquartered Harborview Therapeutics gave its CAR-T cells to 5 lupus patients in a trial.",
    ],
)
def test_a_descriptive_prefix_is_not_part_of_the_name(text):
    assert only(text).institution == "Harborview Therapeutics"


# -- explainable output --------------------------------------------------------------------------
def test_every_claim_says_why(tmp_path):
    text = (
        "Led by Dr. Shi, Phase I of the clinical trial was launched in 2025 at Riverside Hospital.\n\n"
        "All six treated patients with Parkinson's disease showed relief after the stem cell implants."
    )
    claim = only(text)
    why = dict(claim.why)
    assert set(why) == {"stage", "therapy", "indication", "patients", "outcome", "institution"}
    assert "Phase I" in why["stage"] or "clinical trial" in why["stage"]
    assert json.dumps(why)  # plain strings, ready for extract --json


@pytest.mark.parametrize(
    "text",
    [
        "In a study published in the New England Journal of Medicine, researchers at Eastbridge Medical "
        "Center reported that 8 of 10 patients with type 1 diabetes who received stem cells improved.",
        "The Japan Times reported that Eastbridge Medical Center gave stem cells to 10 patients with type 1 "
        "diabetes in a trial.",
    ],
)
def test_journals_and_newspapers_are_neither_party_nor_place(text):
    claim = only(text)
    assert claim.institution == "Eastbridge Medical Center"
    assert claim.location is None or "England" not in claim.location


@pytest.mark.parametrize(
    "text,owner",
    [
        (
            "The FDA placed a clinical hold on Harborview's gene therapy trial for Duchenne muscular dystrophy.",
            "Harborview",
        ),
        ("Regulators halted Summit's CAR-T trial for lupus after one patient developed a fever.", "Summit"),
    ],
)
def test_the_owner_before_a_possessive_therapy_is_the_party(text, owner):
    assert only(text).institution == owner


@pytest.mark.parametrize(
    "text",
    [
        "The European Medicines Agency's CHMP recommended approval of the gene therapy for hemophilia B.",
        "The FDA's advisory committee backed approval of the gene therapy for hemophilia B.",
    ],
)
def test_a_regulator_or_its_committee_is_never_the_party(text):
    claim = only(text)
    assert claim.stage == "approved" and claim.institution is None


@pytest.mark.parametrize(
    "text",
    [
        "In the trial of the gene therapy for Duchenne muscular dystrophy, a patient died of liver failure.",
        "A boy with Duchenne muscular dystrophy died after receiving the gene therapy in a trial.",
    ],
)
def test_a_patient_death_is_an_adverse_outcome(text):
    assert only(text).outcome == "adverse"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        (
            "Harbor Biologics said its gene therapy for hemophilia B met the main goal of a phase 3 trial.",
            "improved",
        ),
        (
            "The phase 2 trial of the CAR-T cell therapy in lupus met its primary endpoint, Riverside Medical Center said.",
            "improved",
        ),
        (
            "Harbor Biologics said its gene therapy for hemophilia B missed the main goal of a phase 3 trial.",
            "no_effect",
        ),
        (
            "The phase 2 trial of the CAR-T cell therapy in lupus missed its primary endpoint, Riverside Medical Center said.",
            "no_effect",
        ),
    ],
)
def test_a_trial_that_met_or_missed_its_main_goal_states_the_outcome(text, outcome):
    assert only(text).outcome == outcome
