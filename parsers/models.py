"""Plain, immutable value types passed between the layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Therapy(StrEnum):
    """The therapy classes a claim names, each with how specific it is (a report naming
    "CAR-T" says more than one naming "cell therapy") and its family (outlets word one
    development more or less specifically: "stem cell" / "iPSC-derived" are both "cell")."""

    CELL = "cell therapy"
    STEM_CELL = "stem cell therapy"
    MESENCHYMAL_STEM_CELL = "mesenchymal stem cell therapy"
    CAR_T = "CAR-T cell therapy"
    OTHER_IMMUNE_CELL = "other immune cell therapy"
    IPSC_DERIVED = "iPSC-derived cell therapy"
    GENE = "gene therapy"
    GENE_EDITING = "gene editing"
    CELL_AND_GENE = "cell and gene therapy"

    @property
    def specificity(self) -> int:
        return _THERAPY_TRAITS[self][0]

    @property
    def family(self) -> str:
        return _THERAPY_TRAITS[self][1]

    @property
    def kind(self) -> str | None:
        """The kind of therapy that makes a development of its own for one condition ("immune",
        "ipsc", "msc", "gene"; mesenchymal stem cell infusions years before CAR-T cells are two
        developments); None for a generic term, which joins the kind named with it."""
        return _THERAPY_KINDS.get(self)

    @property
    def narrower(self) -> frozenset[Therapy]:
        """The therapies a generic term may be a more general name of ("cell therapy" for the
        CAR-T cells named in the next sentence); empty for a specific one."""
        return _NARROWER.get(self, frozenset())

    @property
    def joins(self) -> frozenset[str] | None:
        """The kinds a generic cell-therapy term may join (those of its narrower therapies);
        None where any kind may (a term of both families, "cell and gene therapy")."""
        if self.family != "cell" or not self.narrower:
            return None
        return frozenset(k for t in self.narrower if (k := t.kind))


_THERAPY_TRAITS: dict[Therapy, tuple[int, str]] = {
    Therapy.CAR_T: (90, "immune"),
    Therapy.OTHER_IMMUNE_CELL: (85, "immune"),
    Therapy.IPSC_DERIVED: (80, "cell"),
    Therapy.MESENCHYMAL_STEM_CELL: (75, "cell"),
    Therapy.GENE_EDITING: (70, "gene"),
    Therapy.GENE: (65, "gene"),
    Therapy.STEM_CELL: (60, "cell"),
    Therapy.CELL: (40, "cell"),
    Therapy.CELL_AND_GENE: (30, "cgt"),
}
_THERAPY_KINDS: dict[Therapy, str] = {
    Therapy.CAR_T: "immune",
    Therapy.OTHER_IMMUNE_CELL: "immune",
    Therapy.IPSC_DERIVED: "ipsc",
    Therapy.MESENCHYMAL_STEM_CELL: "msc",
    Therapy.GENE: "gene",
    Therapy.GENE_EDITING: "gene",
}
# Every cell therapy more specific than "cell therapy" (by family), the two kinds of stem cell,
# and everything but itself for "cell and gene therapy".
_CELL_KINDS = frozenset(t for t in Therapy if t.family in ("cell", "immune") and t is not Therapy.CELL)
_NARROWER: dict[Therapy, frozenset[Therapy]] = {
    Therapy.CELL_AND_GENE: frozenset(t for t in Therapy if t is not Therapy.CELL_AND_GENE),
    Therapy.CELL: _CELL_KINDS,
    Therapy.STEM_CELL: frozenset({Therapy.MESENCHYMAL_STEM_CELL, Therapy.IPSC_DERIVED}),
}


class Stage(StrEnum):
    """How far a development has come. The members' order is the one stage order of the
    project (the extractor's precedence, ``stage_order`` in the SQL views, stage moves in the
    digest): clinical use ranks above a trial (patients treated outside one), an approval
    above both."""

    RESEARCH = "research"
    PRECLINICAL = "preclinical"
    CLINICAL_TRIAL = "clinical_trial"
    CLINICAL_USE = "clinical_use"
    APPROVED = "approved"

    @property
    def order(self) -> int:
        """research 0 ... approved 4."""
        return _STAGE_ORDER[self]


_STAGE_ORDER: dict[Stage, int] = {stage: i for i, stage in enumerate(Stage)}


class Outcome(StrEnum):
    """What the article says the patients' result was."""

    IMPROVED = "improved"
    NO_EFFECT = "no_effect"
    ADVERSE = "adverse"
    MIXED = "mixed"


def stage_order(value: str) -> int:
    """The order of a stage given as text (-1 for a value that is no stage)."""
    try:
        return Stage(value).order
    except ValueError:
        return -1


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One article, whatever it was read from.

    ``published`` is the publication date stated by the input (None when it states none);
    ``fetched_at`` is when cgt-monitor read it (always set, timezone-aware).
    """

    text: str
    fetched_at: datetime
    title: str | None = None
    published: date | None = None
    url: str | None = None
    source_name: str | None = None
    external_id: str | None = None
    language: str | None = None
    # Where ``published`` came from: "page" (the page or file states it), "feed" (the feed or
    # sitemap that listed it); None when there is no date (storage then records "fetched").
    date_source: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A reported application of a cell or gene therapy, as stated in one article."""

    therapy: Therapy
    indication: str
    stage: Stage
    evidence: str
    institution: str | None = None
    location: str | None = None
    therapy_detail: str | None = None
    patients: int | None = None
    outcome: Outcome | None = None
    # Identity beyond the names: the vocabulary's name of the condition (``indication`` is the
    # article's own words; storage files the claim under this name when there is one), the
    # product the development is about (products.csv name) and the trial registry identifiers
    # (NCT..., ChiCTR...) the article ties to it.
    condition: str | None = None
    product: str | None = None
    registry_ids: tuple[str, ...] = ()
    # Which rule and which words produced each field ("stage", "institution", ...): a trace for
    # people reading ``cgt-monitor extract --json``; not stored, not part of ``as_dict``.
    why: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # Plain strings are accepted (and checked) where the vocabulary's values are expected.
        for name, kind in (("therapy", Therapy), ("stage", Stage), ("outcome", Outcome)):
            value = getattr(self, name)
            if value is None and name == "outcome":
                continue
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                raise ValueError(f"unknown {name} {value!r}") from None

    def as_dict(self) -> dict[str, object]:
        """The stable JSON shape of a claim (see ``cgt-monitor extract --json``)."""
        return {
            **claim_fields(self),
            "evidence": self.evidence,
            "condition": self.condition,
            "product": self.product,
            "registry_ids": list(self.registry_ids),
        }


# What a claim says, in the order every output shows it (extract --json, claims --format json/csv).
CLAIM_FIELDS = (
    "institution",
    "location",
    "therapy",
    "therapy_detail",
    "indication",
    "stage",
    "patients",
    "outcome",
)


def claim_fields(claim: object) -> dict[str, object]:
    """The CLAIM_FIELDS of an extracted or a stored claim, vocabulary values as plain text."""
    out: dict[str, object] = {}
    for name in CLAIM_FIELDS:
        value = getattr(claim, name)
        out[name] = value.value if isinstance(value, StrEnum) else value
    return out


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One entry of the sources file: what to monitor and how."""

    name: str
    kind: str
    address: str  # a file or folder (files), else an http(s) URL
    # None: no filter; (): the CGT vocabulary; otherwise articles must name one of these.
    keywords: tuple[str, ...] | None = None
    max_articles: int | None = None
    enabled: bool = True
    optional: bool = False  # failures are reported as warnings, not errors
    options: dict[str, object] = field(default_factory=dict)
