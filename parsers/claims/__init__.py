"""Claim extraction: which party applied which cell or gene therapy to which condition, at
which stage, in how many patients, with what outcome, stated by which sentences.

    extractor = claim_extractor("learned")      # or "rules"; the one place an extractor is chosen
    claims = extractor.extract(article)        # ParsedArticle -> list[Claim]
    claims[0].why                              # (("stage", "clinical_trial p=0.91: ..."), ...)

Two extractors share the ``ClaimExtractor`` interface:
- ``rules``: the development-by-development rules of ``parsers.developments``, whose words are
  data (``data/cues.csv``, ``data/context_rules.csv``, ``data/therapies.csv``,
  ``data/products.csv``, ``data/inn_stems.csv``, ``data/conditions.csv``);
- ``learned`` (``parsers.claims.learned``): the rules' reading as candidates, the decisions (is
  it a claim, at which stage) by weights trained on labelled news (``data/claim_model.json``,
  ``scripts/train_extractor.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ..developments import extract
from ..models import Claim, ParsedArticle
from ..vocab import Vocabulary, default_vocabulary


class ClaimExtractor(Protocol):
    """Anything that turns an article into claims, with the vocabulary it reads them by (the
    sources' CGT filter asks the same vocabulary whether a page names a therapy)."""

    name: str
    vocab: Vocabulary

    def extract(self, article: ParsedArticle) -> list[Claim]: ...


class RuleBasedExtractor:
    """The development-by-development rules of ``parsers.developments``."""

    name = "rules-v3"

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()

    def extract(self, article: ParsedArticle) -> list[Claim]:
        return self.extract_text(article.text)

    def extract_text(self, text: str) -> list[Claim]:
        return [claim for claim, _ in extract(text, self.vocab)]


def extract_claims(text: str, vocabulary: Vocabulary | None = None) -> list[Claim]:
    """Claims stated in ``text`` by the default rule-based extractor."""
    return RuleBasedExtractor(vocabulary).extract_text(text)


EXTRACTORS = ("learned", "rules", "llm")
DEFAULT_EXTRACTOR = "learned"  # the better one out of fold (README "Claims")


def claim_extractor(name: str = DEFAULT_EXTRACTOR, model: str | Path | None = None) -> ClaimExtractor:
    """The extractor called ``name`` ("learned" with ``model``, a model file, or the one
    shipped); made once per process and name. "llm" gives its offline part, the learned
    extractor: the language model's answers replace its claims later, in ``flows/llm.py``
    (network is no business of the parsers). ValueError for an unknown name;
    ``parsers.claims.model.ModelFileError`` for a model file that cannot be used."""
    if name not in EXTRACTORS:
        raise ValueError(f"unknown claim extractor {name!r}: choose one of {', '.join(EXTRACTORS)}")
    return _extractor("learned" if name == "llm" else name, str(model) if model else None)


@lru_cache(maxsize=8)
def _extractor(name: str, model: str | None) -> ClaimExtractor:
    if name == "rules":
        return RuleBasedExtractor()
    from .learned import LearnedExtractor

    return LearnedExtractor(model=model)
