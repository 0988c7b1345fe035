"""parsers.claims.candidates: every (therapy family, condition) an article names."""

from parsers.claims.candidates import find_candidates, looks_abbreviated
from parsers.claims.reading import read_article_text
from parsers.models import Therapy
from parsers.vocab import default_vocabulary


def candidates(text, title=None):
    return find_candidates(read_article_text(text, title, default_vocabulary()))


def test_one_candidate_per_condition_with_its_words_and_most_specific_therapy():
    found = candidates(
        "Doctors at Harbor Hospital treated lupus patients with cell therapy. "
        "The CAR-T cells put four of them into remission."
    )
    assert [(c.family, c.condition, c.indication, c.therapy) for c in found] == [
        ("cell", "systemic lupus erythematosus", "lupus", Therapy.CAR_T)
    ]


def test_an_abbreviation_gives_way_to_the_full_name_or_the_vocabularys():
    named = candidates(
        "A girl with ALL received CAR-T cells. Acute lymphoblastic leukemia had come back twice."
    )
    assert [c.indication for c in named] == ["Acute lymphoblastic leukemia"]
    only_short = candidates("A girl with ALL received CAR-T cells and is well.")
    assert [c.indication for c in only_short] == [only_short[0].condition]
    assert looks_abbreviated("ADA-SCID") and not looks_abbreviated("leukemia")


def test_each_family_the_article_names_makes_its_own_candidate():
    found = candidates(
        "Gene therapy and stem cell transplants were both given to children with sickle cell disease."
    )
    assert sorted(c.family for c in found) == ["cell", "gene"]
    assert {c.therapy for c in found} == {Therapy.GENE, Therapy.STEM_CELL}


def test_no_therapy_named_no_candidates():
    assert candidates("Lupus affects millions of people; new drugs are on the way.") == []


def test_a_condition_the_vocabulary_does_not_list_is_a_candidate_too():
    found = candidates("Two boys with Wolman disease received gene therapy at Bayside Hospital.")
    assert [(c.condition, c.indication) for c in found] == [("wolman disease", "Wolman disease")]


def test_a_name_holding_an_abbreviation_gives_way_to_the_full_name_or_the_vocabularys():
    # "AADC deficiency" and "SMA Type 1" shorten the names a reader gives the indication.
    only_short = candidates("The FDA approved a gene therapy for AADC deficiency in children.")
    assert [c.indication for c in only_short] == ["aromatic L-amino acid decarboxylase deficiency"]
    later_full = candidates(
        "Babies with SMA Type 1 received the gene therapy. Spinal muscular atrophy is a leading genetic cause of death."
    )
    assert [c.indication for c in later_full] == ["Spinal muscular atrophy"]


def test_the_standard_name_of_a_condition_is_preferred_to_another_name_for_it():
    found = candidates(
        "Juvenile diabetes was the target. Stem cells were given to patients with type 1 diabetes."
    )
    assert [c.indication for c in found] == ["type 1 diabetes"]
    other = candidates("Stem cells were given to patients with juvenile diabetes.")
    assert [c.indication for c in other] == ["juvenile diabetes"]


def test_gene_edited_t_cells_are_an_immune_cell_therapy_and_edited_car_t_stays_car_t():
    # The conventions: gene-edited T cells are "other immune cell therapy"; gene-edited CAR-T, CAR-T.
    for text in (
        "Doctors gave base-edited T cells to a girl with leukemia in a trial.",
        "The CRISPR-edited T cells were infused into three patients with multiple myeloma.",
    ):
        assert Therapy.OTHER_IMMUNE_CELL in {c.therapy for c in candidates(text) if c.family == "cell"}, text
    edited_car_t = candidates("Base-edited CAR T cells were given to a girl with leukemia.")
    assert [(c.family, c.therapy) for c in edited_car_t] == [("cell", Therapy.CAR_T)]
