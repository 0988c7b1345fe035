"""Plain, immutable value types passed between the layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

THERAPIES: tuple[str, ...] = (
    "cell therapy",
    "stem cell therapy",
    "mesenchymal stem cell therapy",
    "CAR-T cell therapy",
    "other immune cell therapy",
    "iPSC-derived cell therapy",
    "gene therapy",
    "gene editing",
    "cell and gene therapy",
)


class Stage(StrEnum):
    """How far a development has come, in the order of the extractor's precedence."""

    RESEARCH = "research"
    PRECLINICAL = "preclinical"
    CLINICAL_TRIAL = "clinical_trial"
    CLINICAL_USE = "clinical_use"
    APPROVED = "approved"

    @property
    def rank(self) -> int:
        """research 1 ... approved 5 (clinical use ranks above a trial: patients treated outside
        one; an approval above both)."""
        return list(Stage).index(self) + 1


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)
OUTCOMES: tuple[str, ...] = ("improved", "no_effect", "adverse", "mixed")


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

    therapy: str
    indication: str
    stage: str
    evidence: str
    institution: str | None = None
    location: str | None = None
    therapy_detail: str | None = None
    patients: int | None = None
    outcome: str | None = None
    # Identity beyond the names: the product the development is about (products.csv name) and
    # the trial registry identifiers (NCT..., ChiCTR...) the article ties to it.
    product: str | None = None
    registry_ids: tuple[str, ...] = ()
    # Which rule and which words produced each field ("stage", "institution", ...): a trace for
    # people reading ``cgt-monitor extract --json``; not stored, not part of ``as_dict``.
    why: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.therapy not in THERAPIES:
            raise ValueError(f"unknown therapy {self.therapy!r}")
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    def as_dict(self) -> dict[str, object]:
        """The stable JSON shape of a claim (see ``cgt-monitor extract --json``)."""
        return {
            "institution": self.institution,
            "location": self.location,
            "therapy": self.therapy,
            "therapy_detail": self.therapy_detail,
            "indication": self.indication,
            "stage": self.stage,
            "patients": self.patients,
            "outcome": self.outcome,
            "evidence": self.evidence,
            "product": self.product,
            "registry_ids": list(self.registry_ids),
        }


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One entry of the sources file: what to monitor and how."""

    name: str
    kind: str
    location: str
    # None: no filter; (): the CGT vocabulary; otherwise articles must name one of these.
    keywords: tuple[str, ...] | None = None
    max_articles: int | None = None
    enabled: bool = True
    optional: bool = False  # failures are reported as warnings, not errors
    options: dict[str, object] = field(default_factory=dict)
