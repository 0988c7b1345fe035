"""Do two reports speak of one development, and of one happening of it? A scored comparison.

    a, b = report(claim, title=..., published=...), report(...)
    if in_block(a, b):                       # worth comparing at all
        p, why = model.compare(a, b)         # probability both report one happening, and the signals
    p >= model.development_threshold         # the same development (a party's therapy for a condition)
    p >= model.event_threshold               # the same happening (one news event)

Signals: the parties (same key, words in common, one inside the other), the product and trial
registry ids, the condition (same name, group, category), the place, the patients stated, the
dates, the words of the evidence and of the headlines, the stage, the occurrence a report
numbers ("a second patient"). Their weights are estimated from labelled groups of articles
reporting one happening (``scripts/train_linkage.py``) and kept as data
(``data/linkage_model.json``), with the two thresholds chosen out of fold.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .institution_keys import institution_base_key
from .models import Claim
from .occurrence import stated_occurrence
from .vocab import condition_hierarchy

LINK_FORMAT = "cgt-monitor linkage model"
LINK_FORMAT_VERSION = 1
RETRAIN_LINKAGE = "python scripts/train_linkage.py --data DIR [DIR ...] --out MODEL.json"
MAX_NAME = 300  # characters of a party name compared (a 1,000-character "name" is no name)
MAX_PARTIES = 10  # parties of a report compared (a report naming fifty compares its first ten)
_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "and",
        "in",
        "to",
        "for",
        "with",
        "on",
        "at",
        "by",
        "from",
        "is",
        "was",
        "were",
        "be",
        "has",
        "have",
        "had",
        "that",
        "this",
        "it",
        "as",
        "its",
        "their",
        "his",
        "her",
    ]
)


@dataclass(frozen=True, slots=True)
class Report:
    """What a report says about a development, as far as linking is concerned."""

    parties: tuple[str, ...]  # institution keys (aliases already resolved)
    family: str  # cell or gene
    condition: str
    group: str  # the condition's widest group ("thalassemia" for beta-thalassemia)
    category: str | None  # the condition's field ("blood"); None for one the vocabulary lacks
    stage: str
    product: str | None = None
    registry_ids: tuple[str, ...] = ()
    place: str | None = None  # the country or place, lower case
    patients: int | None = None
    published: date | None = None
    evidence: frozenset[str] = frozenset()
    title: frozenset[str] | None = None
    occurrence: int = 1


def words(text: str | None) -> frozenset[str]:
    """The words of a text that can tell two stories apart (no single letters, no stop words)."""
    return frozenset(w for w in _WORD.findall((text or "").lower()) if len(w) > 1 and w not in _STOP)


@lru_cache(maxsize=1)
def _conditions() -> dict[str, tuple[str, str]]:
    return {c.name: (c.group, c.category.split("-")[0]) for c in condition_hierarchy()}


@lru_cache(maxsize=1)
def _parents() -> dict[str, str | None]:
    return {c.name: c.parent for c in condition_hierarchy()}


def kinds_of_one_condition(a: str, b: str) -> bool:
    """Two different kinds of one umbrella condition ("hemophilia A" and "hemophilia B"): two
    conditions, so two developments, however alike the rest of the reports are. (An umbrella
    and one of its kinds - "blindness" and a retinal dystrophy - may still be one.)"""
    if a == b:
        return False
    parents = _parents()
    parent = parents.get(a)
    return parent is not None and parent == parents.get(b)


def place_of(location: str | None) -> str | None:
    """The widest part of a location ("Guangzhou, China" -> "china")."""
    if not location:
        return None
    return location.split(",")[-1].strip().lower() or None


def report(
    claim: Claim,
    *,
    parties: tuple[str, ...] | None = None,
    title: str | None = None,
    published: date | None = None,
    evidence: str | None = None,
    patients: int | None = None,
) -> Report:
    """The report a claim makes (``parties``: its institution keys, by default from its
    institution field; ``evidence`` and ``patients``: the report's own, by default the claim's)."""
    condition = claim.condition or claim.indication
    group, category = _conditions().get(condition, (condition, None))
    if parties is None:
        parties = tuple(
            key
            for name in (claim.institution or "").split(";")
            if (key := institution_base_key(name.strip()[:MAX_NAME]))
        )
    text = evidence if evidence is not None else claim.evidence
    return Report(
        parties=tuple(dict.fromkeys(parties))[:MAX_PARTIES],
        family="gene" if claim.therapy.family == "gene" else "cell",
        condition=condition,
        group=group,
        category=category,
        stage=str(claim.stage),
        product=claim.product,
        registry_ids=tuple(claim.registry_ids),
        place=place_of(claim.location),
        patients=patients if evidence is not None else claim.patients,
        published=published,
        evidence=words(text),
        title=words(title) if title else None,
        occurrence=stated_occurrence(text or "") or 1,
    )


def in_block(a: Report, b: Report) -> bool:
    """Worth comparing: one product or registered trial, or conditions of one field (for a
    condition the vocabulary lacks, one therapy family)."""
    if a.product and a.product == b.product:
        return True
    if set(a.registry_ids) & set(b.registry_ids):
        return True
    if a.category and b.category:
        return a.category == b.category
    return a.family == b.family


MIN_WORDS = 3  # a text of fewer words says too little to compare


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if len(a) < MIN_WORDS or len(b) < MIN_WORDS:
        return 0.0
    return len(a & b) / len(a | b)


@lru_cache(maxsize=65536)
def _similarity(x: str, y: str) -> float:
    """How alike two party keys are (difflib's ratio). A stored report is compared with every
    new one of its block, so the same pairs recur within a run: each is worked out once."""
    return SequenceMatcher(None, x, y).ratio()


def signals(a: Report, b: Report) -> dict[str, float]:
    """The comparison of two reports as named numbers (the model's features)."""
    f: dict[str, float] = {}
    if a.parties and b.parties:
        f["party_both"] = 1.0
        f["party_equal"] = float(bool(set(a.parties) & set(b.parties)))
        f["party_similar"] = (
            1.0 if f["party_equal"] else max(_similarity(x, y) for x in a.parties for y in b.parties)
        )
        pairs = [(set(x.split()), set(y.split())) for x in a.parties for y in b.parties]
        f["party_words"] = max(len(x & y) / len(x | y) for x, y in pairs)
        f["party_inside"] = float(any(x <= y or y <= x for x, y in pairs))
    elif a.parties or b.parties:
        f["party_one"] = 1.0
    else:
        f["party_none"] = 1.0
    if a.product and b.product:
        f["product_both"] = 1.0
        f["product_equal"] = float(a.product == b.product)
    elif a.product or b.product:
        f["product_one"] = 1.0
    if a.registry_ids and b.registry_ids:
        f["registry_equal"] = float(bool(set(a.registry_ids) & set(b.registry_ids)))
    f["family_equal"] = float(a.family == b.family)
    f["condition_equal"] = float(a.condition == b.condition)
    if kinds_of_one_condition(a.condition, b.condition):
        f["condition_kinds"] = 1.0
    f["group_equal"] = float(a.group == b.group)
    f["category_equal"] = float(a.category is not None and a.category == b.category)
    f["stage_equal"] = float(a.stage == b.stage)
    f["occurrence_equal"] = float(a.occurrence == b.occurrence)
    if a.place and b.place:
        f["place_both"] = 1.0
        f["place_equal"] = float(a.place == b.place)
    if a.patients is not None and b.patients is not None:
        f["patients_both"] = 1.0
        f["patients_equal"] = float(a.patients == b.patients)
    if a.published and b.published:
        days = abs((a.published - b.published).days)
        f["dated_both"] = 1.0
        f["days_log"] = math.log1p(days)
        f["within_7_days"] = float(days <= 7)
        f["within_30_days"] = float(days <= 30)
    else:
        f["undated"] = 1.0
    f["evidence_words"] = _jaccard(a.evidence, b.evidence)
    if a.title and b.title:
        f["title_both"] = 1.0
        f["title_words"] = _jaccard(a.title, b.title)
    return f


TEXT_IN_COMMON = 0.15  # a share of evidence or headline words that says two reports tell one story


def corroborated(f: dict[str, float]) -> bool:
    """Whether two reports share something particular: a party (by its key), a product, a trial
    registry id, or words of their evidence or headlines; and name no two different products or
    trials, nor two kinds of one condition. Dates, a condition, a stage and a place are common
    to many unrelated reports, and
    two parties' names sharing a word ("Peking University Third Hospital", "Peking University")
    are left to the identity keys (a parent joins its one child): without one of these no score
    links."""
    if (f.get("product_both") and not f.get("product_equal")) or f.get("condition_kinds"):
        return False
    if "registry_equal" in f and not f["registry_equal"]:
        return False
    return bool(
        f.get("party_equal")
        or f.get("product_equal")
        or f.get("registry_equal")
        or f.get("evidence_words", 0.0) >= TEXT_IN_COMMON
        or f.get("title_words", 0.0) >= TEXT_IN_COMMON
    )


def same_story(f: dict[str, float]) -> bool:
    """Whether two reports tell one story in words (evidence or headlines in common): what one
    happening reported twice shares, beyond the product or party all its happenings share."""
    return f.get("evidence_words", 0.0) >= TEXT_IN_COMMON or f.get("title_words", 0.0) >= TEXT_IN_COMMON


@dataclass(frozen=True)
class LinkModel:
    bias: float
    weights: dict[str, float]
    development_threshold: float  # a report joins a development whose report it matches this well
    event_threshold: float  # ... and the happening of one it matches this well

    def compare(self, a: Report, b: Report) -> tuple[float, dict[str, float]]:
        """The probability that the two reports tell of one happening (0 when nothing particular
        is shared: see ``corroborated``), and the signals behind it."""
        f = signals(a, b)
        if not corroborated(f):
            return 0.0, f
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in f.items())
        p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        return p, f

    def same_happening(self, a: Report, b: Report) -> tuple[float, dict[str, float]]:
        """``compare``, and 0 unless the two reports tell one story in words (``same_story``)
        and number the same occurrence: the test for joining an event."""
        p, f = self.compare(a, b)
        if not same_story(f) or a.occurrence != b.occurrence:
            return 0.0, f
        return p, f

    def explain(self, f: dict[str, float], top: int = 3) -> str:
        parts = sorted(((k, self.weights.get(k, 0.0) * v) for k, v in f.items()), key=lambda kv: -abs(kv[1]))
        return ", ".join(f"{k} {v:+.1f}" for k, v in parts[:top] if v)

    def to_json(self) -> dict[str, object]:
        return {
            "format": LINK_FORMAT,
            "format_version": LINK_FORMAT_VERSION,
            "bias": self.bias,
            "weights": self.weights,
            "thresholds": {"development": self.development_threshold, "event": self.event_threshold},
        }


class LinkModelError(RuntimeError):
    """The linkage model file is missing, damaged or from another version."""


def link_model_from_json(data: object, origin: str) -> LinkModel:
    def bad(why: str) -> LinkModelError:
        return LinkModelError(f"linkage model {origin}: {why}; retrain it with: {RETRAIN_LINKAGE}")

    if not isinstance(data, dict) or data.get("format") != LINK_FORMAT:
        raise bad("not a cgt-monitor linkage model")
    if data.get("format_version") != LINK_FORMAT_VERSION:
        raise bad(
            f"made for format {data.get('format_version')}, this cgt-monitor reads {LINK_FORMAT_VERSION}"
        )
    try:
        thresholds = data["thresholds"]
        return LinkModel(
            float(data["bias"]),
            {str(k): float(v) for k, v in data["weights"].items()},
            float(thresholds["development"]),
            float(thresholds["event"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(f"damaged ({type(exc).__name__}: {exc})") from None


def load_link_model(path: str | Path | None = None) -> LinkModel:
    """The linkage model at ``path``, or the one shipped with cgt-monitor."""
    if path is None:
        return _shipped()
    return _read(Path(path), str(path))


def _read(path: Path, origin: str) -> LinkModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LinkModelError(
            f"linkage model {origin}: no such file; train one with: {RETRAIN_LINKAGE}"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LinkModelError(
            f"linkage model {origin}: cannot be read ({exc}); retrain it with: {RETRAIN_LINKAGE}"
        ) from None
    return link_model_from_json(data, origin)


@lru_cache(maxsize=1)
def _shipped() -> LinkModel:
    resource = resources.files(__package__).joinpath("data", "linkage_model.json")
    with resources.as_file(resource) as path:
        return _read(Path(path), "parsers/data/linkage_model.json")


def save_link_model(model: LinkModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
