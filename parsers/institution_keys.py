"""Keys that make institution names comparable across reports.

institution_key(name)         comparable key of an institution name
institution_base_key(name)    the key with parent bodies, "of ..." qualifiers and a
                              "<known place>-based" prefix removed
defined_acronyms(text)        acronyms the text defines for a name: "Children's Hospital of
                              Philadelphia (CHOP)" -> {"CHOP": "Children's Hospital of
                              Philadelphia"}, to use as aliases
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
    # The possessive first: ASCII folding drops a typographic apostrophe ("Mary’s" -> "marys").
    text = name.replace("’", "'").replace("'s ", " ").replace("'S ", " ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
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


# -- acronyms ---------------------------------------------------------------------------------
# "<Long Form> (ACR)": an acronym of 3-10 characters, two capitals at least, in brackets.
_DEFINED = re.compile(r"\(([A-Z][A-Za-z0-9&.-]{2,9})\)")
_SENTENCE_BREAK = re.compile(r"[.!?;:]\s|\n|\(|\)")


def defined_acronyms(text: str) -> dict[str, str]:
    """The acronyms ``text`` defines in brackets after a capitalised name, each with the name
    (the first definition of each wins). The name is found as Schwartz and Hearst's algorithm
    finds a long form (PSB 2003): the acronym's letters, right to left, in the words before the
    bracket, the first one starting a word; at most min(n + 5, 2n) words for n letters."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        short = m.group(1)
        letters = [c.lower() for c in short if c.isalnum()]
        if len(letters) < 3 or sum(c.isupper() for c in short) < 2 or short in out:
            continue
        before = text[max(0, m.start() - 300) : m.start()]
        breaks = list(_SENTENCE_BREAK.finditer(before))
        clause = before[breaks[-1].end() :] if breaks else before
        words = clause.split()[-min(len(letters) + 5, 2 * len(letters)) :]
        long_form = _long_form(letters, " ".join(words))
        if long_form and long_form[0].isupper() and len(long_form.split()) >= 2:
            out[short] = long_form.rstrip(" ,")
    return out


def _long_form(letters: list[str], candidate: str) -> str | None:
    at = len(candidate) - 1
    for i in range(len(letters) - 1, -1, -1):
        while at >= 0 and (
            candidate[at].lower() != letters[i] or (i == 0 and at > 0 and candidate[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    start = candidate.rfind(" ", 0, at + 2) + 1
    return candidate[start:]
