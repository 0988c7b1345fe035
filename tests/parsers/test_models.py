"""The domain vocabulary of parsers/models.py: the therapy classes' relations, in one place."""

from parsers.models import Stage, Therapy


def test_each_therapy_has_one_family_and_the_kinds_that_split_developments():
    assert {t: t.family for t in Therapy} == {
        Therapy.CELL: "cell",
        Therapy.STEM_CELL: "cell",
        Therapy.MESENCHYMAL_STEM_CELL: "cell",
        Therapy.CAR_T: "immune",
        Therapy.OTHER_IMMUNE_CELL: "immune",
        Therapy.IPSC_DERIVED: "cell",
        Therapy.GENE: "gene",
        Therapy.GENE_EDITING: "gene",
        Therapy.CELL_AND_GENE: "cgt",
    }
    assert {t: t.kind for t in Therapy if t.kind} == {
        Therapy.CAR_T: "immune",
        Therapy.OTHER_IMMUNE_CELL: "immune",
        Therapy.IPSC_DERIVED: "ipsc",
        Therapy.MESENCHYMAL_STEM_CELL: "msc",
        Therapy.GENE: "gene",
        Therapy.GENE_EDITING: "gene",
    }


def test_a_generic_term_names_its_narrower_therapies_and_joins_their_kinds():
    cell_kinds = {
        Therapy.STEM_CELL,
        Therapy.MESENCHYMAL_STEM_CELL,
        Therapy.CAR_T,
        Therapy.OTHER_IMMUNE_CELL,
        Therapy.IPSC_DERIVED,
    }
    assert Therapy.CELL.narrower == cell_kinds
    assert Therapy.STEM_CELL.narrower == {Therapy.MESENCHYMAL_STEM_CELL, Therapy.IPSC_DERIVED}
    assert Therapy.CELL_AND_GENE.narrower == set(Therapy) - {Therapy.CELL_AND_GENE}
    assert {t for t in Therapy if t.narrower} == {Therapy.CELL, Therapy.STEM_CELL, Therapy.CELL_AND_GENE}
    assert Therapy.CELL.joins == {"immune", "ipsc", "msc"}
    assert Therapy.STEM_CELL.joins == {"ipsc", "msc"}
    assert Therapy.CELL_AND_GENE.joins is None and Therapy.CAR_T.joins is None  # any kind / none needed
    assert "CAR-T cell therapy" in Therapy.CELL.narrower  # values compare as the strings they are


def test_stages_in_their_one_order():
    assert [s.value for s in Stage] == [
        "research",
        "preclinical",
        "clinical_trial",
        "clinical_use",
        "approved",
    ]
