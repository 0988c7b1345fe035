"""Claim extraction: which party applied which cell or gene therapy to which condition, at
which stage, in how many patients, with what outcome, stated by which sentences.

    extractor = RuleBasedExtractor()
    claims = extractor.extract(article)        # ParsedArticle -> list[Claim]
    claims[0].why                              # (("stage", "clinical_trial cue 'Phase I' ..."), ...)

Any object with ``extract(article) -> list[Claim]`` can stand in (see ``ClaimExtractor``). The
rules work per article, development by development (``parsers.developments``); their words
are data: ``data/cues.csv`` (stage, outcome, reference cues), ``data/context_rules.csv``
(negation, plans, denials, "other", side effects), ``data/therapies.csv``,
``data/products.csv``, ``data/inn_stems.csv``, ``data/conditions.csv``.
"""

from __future__ import annotations

from typing import Protocol

from .developments import extract
from .models import Claim, ParsedArticle
from .vocab import Vocabulary, default_vocabulary


class ClaimExtractor(Protocol):
    """Anything that turns an article into claims (rules today, perhaps a language model later)."""

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
