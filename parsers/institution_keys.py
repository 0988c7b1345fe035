"""Keys that make institution names comparable across reports.

institution_key(name)         comparable key of an institution name
institution_base_key(name)    the key with parent bodies, "of ..." qualifiers and a
                              "<known place>-based" prefix removed
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from pathlib import Path

# -- institutions -----------------------------------------------------------------------------
_GENERIC_NAME_WORDS = frozenset(
    [
        "hospital",
        "hospitals",
        "university",
        "college",
        "school",
        "institute",
        "institutes",
        "institutet",
        "academy",
        "center",
        "centre",
        "clinic",
        "medical",
        "medicine",
        "health",
        "sciences",
        "science",
        "research",
        "national",
        "central",
        "general",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "people",
        "peoples",
        "children",
        "childrens",
        "women",
        "womens",
        "affiliated",
        "union",
        "memorial",
        "city",
        "state",
        "regional",
        "provincial",
        "municipal",
        "cancer",
        "the",
        "of",
        "and",
        "for",
        "company",
        "co",
        "inc",
        "ltd",
        "corp",
        "group",
        "laboratory",
        "laboratories",
        "lab",
        "department",
    ]
)


_HEAD_WORDS = frozenset(
    [
        "hospital",
        "hospitals",
        "university",
        "college",
        "school",
        "institute",
        "institutet",
        "academy",
        "center",
        "centre",
        "clinic",
    ]
)


def institution_key(name: str | None) -> str:
    """A comparable key for an institution name: lower case, ASCII letters and digits only."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("'s ", " ").replace("’s ", " ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@functools.cache
def _place_keys() -> frozenset[str]:
    path = Path(__file__).resolve().parent / "data" / "places.csv"
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
        return frozenset(institution_key(row["name"]) for row in rows)


def institution_base_key(name: str | None) -> str:
    """The key of the body a name designates, without its parents or location qualifiers:

    "Guangzhou Institute of Biomedicine and Health, Chinese Academy of Sciences"
        -> "guangzhou institute of biomedicine and health"
    "Nansha Hospital of Guangzhou First People's Hospital" -> "nansha hospital"
    "Institute of Hematology of Union Hospital" -> "institute of hematology"
    "University of Pennsylvania", "Guangzhou Institute of Biomedicine and Health" -> unchanged
    """
    if not name:
        return ""
    first = re.split(r",|;|\s+\(", name, maxsplit=1)[0]
    key = institution_key(first)
    words = key.split()
    # "Boston-based Vertex Pharmaceuticals", "San Diego-based Poseida": a known place before
    # "based" is no part of the name ("Evidence-Based Medicine Center" keeps its words).
    if "based" in words[1:4] and words.index("based") < len(words) - 1:
        at = words.index("based")
        if " ".join(words[:at]) in _place_keys():
            words = words[at + 1 :]
            key = " ".join(words)
    for i, word in enumerate(words):
        if word != "of" or i == 0:
            continue
        left, right = words[:i], words[i + 1 :]
        # "<Name> Hospital of <Parent> Hospital": a branch named after its parent.
        distinctive = any(w not in _GENERIC_NAME_WORDS for w in left)
        if (
            distinctive
            and (left[-1] in _HEAD_WORDS or left[0] in _HEAD_WORDS)
            and any(w in _HEAD_WORDS for w in right)
        ):
            return " ".join(left)
    return key
