"""Institution names in running text: hospitals, universities, institutes and companies.

A name is a run of capitalised words (joined by "of", "and", "for", "the", "de", "&") that holds
a head word from ``data/institutions.csv`` ("Hospital", "University", "Therapeutics" ...), or a
company introduced by its role ("drugmaker CSL Behring", "developed by Sarepta").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .vocab import Vocabulary

_CONNECTORS = frozenset({"of", "and", "for", "the", "de", "la", "del", "di", "du", "für", "&", "y", "e"})
# Capitalised words that start a sentence or title a person, never part of an institution name.
_LEADING = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "At",
        "On",
        "For",
        "By",
        "From",
        "With",
        "Without",
        "According",
        "Other",
        "Both",
        "Last",
        "This",
        "That",
        "These",
        "Those",
        "Its",
        "Their",
        "His",
        "Her",
        "Our",
        "Meanwhile",
        "However",
        "Also",
        "And",
        "But",
        "Dr",
        "Dr.",
        "Professor",
        "Prof",
        "Prof.",
        "Mr",
        "Mrs",
        "Ms",
        "Researchers",
        "Doctors",
        "Scientists",
        "Experts",
        "Expert",
        "Team",
        "Teams",
        "Physicians",
        "Officials",
        "When",
        "While",
        "After",
        "Before",
        "Since",
        "Under",
        "Through",
        "Across",
        "Led",
        "Senior",
        "Chief",
        "Director",
        "Head",
        "President",
        "CEO",
        "Vice",
        "Several",
        "Many",
        "Some",
        "All",
        "Each",
        "Every",
        "Most",
        "Now",
        "Then",
        "Today",
        "Yesterday",
        "Recently",
        "Earlier",
        "Later",
        "Following",
        "Concurrently",
        "Additionally",
        "Furthermore",
        "Moreover",
        "Unlike",
        "Like",
        "As",
        "If",
        "Although",
        "Though",
        "Because",
        "Such",
        "Other",
        "Another",
        "Two",
        "Three",
        "Four",
        "Five",
        "First",
        "Second",
        "Third",
        "New",
    ]
)
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'’.&-]*|&")
_ACRONYM_HOSPITAL = re.compile(r"\b([A-Z]{2,6})\s+(hospital|clinic|university|institute)\b")
_ROLE_INTRO = re.compile(
    r"(?:\b(?:drugmaker|drug maker|biotech|biotech company|biotechnology company|company|firm|"
    r"startup|start-up|pharmaceutical company|drug company|manufacturer|developer)\s+"
    r"|\b(?:developed|made|marketed|manufactured|sponsored|owned|acquired|granted|awarded|licensed|"
    r"sold)\s+(?:by|to)\s+)"
    r"((?:[A-Z][\w’'.&-]*)(?:\s+[A-Z][\w’'.&-]*){0,3})"
)
_POSSESSIVE_BRAND = re.compile(
    r"\b([A-Z][A-Za-z0-9&.-]+(?:\s+[A-Z][A-Za-z0-9&.-]+)?)(?:’s|'s|’|')\s+(?=[A-Z])"
)
_NOT_COMPANY = frozenset(
    [
        "FDA",
        "The",
        "This",
        "It",
        "He",
        "She",
        "They",
        "We",
        "US",
        "U.S.",
        "EU",
        "China",
        "Korea",
        "American",
        "Australian",
        "British",
        "Chinese",
        "Dutch",
        "French",
        "German",
        "Japanese",
        "Korean",
        "Swiss",
        "Danish",
        "Swedish",
        "Indian",
        "Israeli",
        "Canadian",
        "Belgian",
        "Italian",
        "Spanish",
        "European",
        "Irish",
        "Austrian",
        "Norwegian",
        "Finnish",
        "Brazilian",
        "Singaporean",
        "South",
        "North",
    ]
)


@dataclass(frozen=True, slots=True)
class Institution:
    start: int
    end: int
    name: str
    kind: str  # hospital, university, institute, company


def _head_kind(word: str, heads: dict[str, str]) -> str | None:
    bare = re.sub(r"(’s|'s|’|')$", "", word)
    return heads.get(bare) or heads.get(word)


def find_institutions(text: str, vocab: Vocabulary) -> list[Institution]:
    """Institutions named in ``text``, in order of appearance (regulators excluded)."""
    heads = vocab.institution_heads
    found: list[Institution] = []
    tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    i = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        if not (word[0].isupper() or word[0].isdigit()):
            i += 1
            continue
        run = [tokens[i]]
        j = i + 1
        while j < len(tokens):
            gap = text[run[-1][1] : tokens[j][0]]
            if gap not in (" ", "\u00a0"):
                break
            w = tokens[j][2]
            if w[0].isupper() or (
                w.lower() in _CONNECTORS
                and j + 1 < len(tokens)
                and tokens[j + 1][2][0].isupper()
                and text[tokens[j][1] : tokens[j + 1][0]] == " "
            ):
                run.append(tokens[j])
                j += 1
                continue
            break
        i = j
        found.extend(_institutions_in_run(text, run, heads))
    for m in _ACRONYM_HOSPITAL.finditer(text):
        found.append(Institution(m.start(), m.end(), m.group(0), heads.get(m.group(2).title(), "hospital")))
    for m in _ROLE_INTRO.finditer(text):
        name = _trim_company(m.group(1))
        if name:
            s = m.start(1)
            found.append(Institution(s, s + len(name), name, "company"))
    for m in _POSSESSIVE_BRAND.finditer(text):
        name = m.group(1)
        nxt = text[m.end() : m.end() + 40]
        brand = re.match(r"[A-Z][\w-]+", nxt)
        if name in _NOT_COMPANY or not brand:
            continue
        if any(t.role == "therapy" for t in vocab.scan(brand.group(0))):
            found.append(Institution(m.start(1), m.start(1) + len(name), name, "company"))
    found.sort(key=lambda inst: (inst.start, -(inst.end - inst.start)))
    out: list[Institution] = []
    for inst in found:
        if out and inst.start < out[-1].end:
            continue
        out.append(inst)
    return [inst for inst in out if not _is_regulator(inst.name, vocab)]


def _trim_company(name: str) -> str:
    words = name.split()
    while words and (words[-1].lower() in _CONNECTORS or words[-1] in _LEADING):
        words.pop()
    while words and words[0] in _NOT_COMPANY:
        words.pop(0)
    name = " ".join(words).rstrip(".,;:’'")
    name = re.sub(r"(’s|'s)$", "", name)
    if not name or name in _NOT_COMPANY:
        return ""
    return name


def _is_regulator(name: str, vocab: Vocabulary) -> bool:
    """True for regulators and their parts ("FDA Center for Biologics Evaluation and Research")."""
    return any(m.role == "regulator" and m.start == 0 for m in vocab.scan(name))


def _institutions_in_run(
    text: str, run: list[tuple[int, int, str]], heads: dict[str, str]
) -> list[Institution]:
    while run and (run[0][2] in _LEADING or run[0][2].lower() in _CONNECTORS):
        run = run[1:]
    while run and run[-1][2].lower() in _CONNECTORS:
        run = run[:-1]
    if not run:
        return []
    kinds = [_head_kind(w, heads) for _, _, w in run]
    if not any(kinds):
        return []
    # A bare head word ("Hospitals", "University") names no particular institution.
    if all(k or w.lower() in _CONNECTORS for (_, _, w), k in zip(run, kinds, strict=True)):
        return []
    # "Harvard University and MIT": split at "and" when the right side is a bare acronym.
    for k, (_, _, w) in enumerate(run):
        if w.lower() == "and" and k + 1 < len(run):
            right = run[k + 1 :]
            if len(right) == 1 and right[0][2].isupper():
                return _institutions_in_run(text, run[:k], heads) + _institutions_in_run(text, right, heads)
    start, end = run[0][0], run[-1][1]
    name = text[start:end].rstrip(".,")
    name = re.sub(r"(’s|'s)$", "", name)
    kind = next((k for k in reversed(kinds) if k), "institute")
    # The kind of "Nansha Hospital of Guangzhou First People's Hospital" is the first head.
    first_kind = next(k for k in kinds if k)
    if first_kind != kind and first_kind in ("hospital", "institute"):
        kind = first_kind
    return [Institution(start, start + len(name), name, kind)]


def join_affiliations(text: str, institutions: list[Institution]) -> list[Institution]:
    """Join "Institute of X, Y Hospital, Z University" chains separated only by commas into one
    institution, the first part giving the kind: such chains name one body and its parents."""
    out: list[Institution] = []
    for inst in institutions:
        if out and text[out[-1].end : inst.start] in (", ", ",\u00a0") and _is_parent(inst, out[-1]):
            prev = out[-1]
            out[-1] = Institution(prev.start, inst.end, text[prev.start : inst.end], prev.kind)
        else:
            out.append(inst)
    return out


def _is_parent(parent: Institution, child: Institution) -> bool:
    order = {"institute": 1, "hospital": 2, "university": 3, "company": 9}
    if parent.kind == "company" or child.kind == "company":
        return False
    if re.search(r"\b(Academy|University|College|School)\b", parent.name):
        return True
    return order.get(parent.kind, 0) >= order.get(child.kind, 0)


_PERSON_APPOSITIVE = re.compile(
    r"(?:\b(?:Dr|Prof|Professor|Mr|Mrs|Ms)\.?\s+)?"
    r"\b((?:[A-Z][a-z’'-]+\s+){0,2}[A-Z][a-z’'-]+),\s+(?:a|an|the|who\s+is)\s+([^;.]{0,160})"
)
_NOT_NAMES = frozenset({"The", "This", "That", "However", "Meanwhile", "According", "In", "At", "On"})


def find_affiliations(text: str, institutions: list[Institution]) -> dict[str, Institution]:
    """Person names mapped to the institution their apposition names: "Pan Guangjin, a researcher
    at Guangzhou Institute ..." maps "Pan" and "Guangjin" to that institute, so that a later
    "Pan said ..." can be attributed."""
    out: dict[str, Institution] = {}
    for m in _PERSON_APPOSITIVE.finditer(text):
        name_words = m.group(1).split()
        if name_words[0] in _NOT_NAMES or any(i.start <= m.start(1) < i.end for i in institutions):
            continue
        lo, hi = m.start(2), m.end(2)
        inst = next((i for i in institutions if lo <= i.start < hi + 1), None)
        if inst is None:
            continue
        for word in name_words:
            if len(word) >= 3:
                out.setdefault(word, inst)
    return out
