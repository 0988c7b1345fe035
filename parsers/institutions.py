"""Institution names in running text: hospitals, universities, institutes and companies.

A name is a run of capitalised words (joined by "of", "and", "for", "the", "de", "&") that holds
a head word from ``data/institutions.csv`` ("Hospital", "University", "Therapeutics" ...), or a
company introduced by its role ("drugmaker CSL Behring", "developed by Sarepta").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .vocab import Match, Vocabulary
from .wordlists import word_list

_CONNECTORS = word_list("institution_connector")
# Capitalised words that start a sentence or title a person, never part of an institution name.
_LEADING = word_list("name_leading_word")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'’.&-]*|&")
_NOT_COMPANY = word_list("not_a_company")
_UNITS = word_list("institution_unit")


# Kinds of named bodies that are never a claim's party: journals and newspapers, and societies,
# associations and councils (data/institutions.csv).
NOT_PARTIES = frozenset({"publication", "society"})


@dataclass(frozen=True, slots=True)
class Institution:
    start: int
    end: int
    name: str  # as the text writes it
    kind: str  # hospital, university, institute, company
    canonical: str | None = None  # the organisations.csv name, when the text uses a known one


def _head_kind(word: str, heads: dict[str, str]) -> str | None:
    kind = heads.get(word)
    if kind is None and word[-1:] in "s’'.,":
        bare = word[:-2] if word.endswith(("’s", "'s")) else word.rstrip("’'.,")
        kind = heads.get(bare)
    return kind


# "Agency's", and the apostrophe alone after a plural ("Brightwave Therapeutics' gene therapy")
_POSSESSIVE_END = re.compile(r"(’s|'s|(?<=s)[’'])$")
_OPENERS = "\"“‘'(["
_NAME_TOKEN = re.compile(r"[A-Z0-9\u00c0-\u00de][\w'’.&-]*$")


def _stop_inside_name(text: str, space: int, token: str) -> bool:
    """Whether a word ending in a full stop, met going left from a name, belongs to it: an
    abbreviation ("St.", "Co.", "U.S."), or an initial after another name word ("Robert H.")."""
    word = token[:-1]
    if word in _ABBREVIATIONS or "." in word:
        return True
    if len(word) == 1 and word.isupper():
        before = text[max(0, space - 40) : max(space, 0)].split()
        return bool(before) and bool(_NAME_TOKEN.match(before[-1])) and not before[-1].endswith(".")
    return False


def _run_start(text: str, pos: int) -> int:
    """Where the run of capitalised words (and inner connectors) ending before ``pos`` starts."""
    start = pos
    for _ in range(12):
        if start < 2 or text[start - 1] not in " \u00a0":
            break
        lo = max(0, start - 80)  # a word longer than that is no name (and the search stays short)
        space = max(
            text.rfind(" ", lo, start - 1),
            text.rfind("\u00a0", lo, start - 1),
            text.rfind("\n", lo, start - 1),
        )
        if space == -1 and lo > 0:
            break
        token = text[space + 1 : start - 1]
        if token.endswith(".") and not _stop_inside_name(text, space, token):
            break  # the full stop ends the sentence before the name ("... hemophilia B. Harbor Bio")
        if token in _CONNECTORS or _NAME_TOKEN.match(token):
            start = space + 1
        elif token[:1] in _OPENERS and _NAME_TOKEN.match(token[1:]):
            start = space + 2  # the name starts after an opening quote or bracket
            break
        else:
            break
    while text[start:pos].split(" ", 1)[0] in _CONNECTORS and start < pos:
        start = text.index(" ", start) + 1
    return start


_RUN_RIGHT = re.compile(
    r"[\w'’.&-]*(?:[ \u00a0](?:(?:"
    + "|".join(sorted(map(re.escape, _CONNECTORS), key=len, reverse=True))
    + r")[ \u00a0])*[A-Z\u00c0-\u00de][\w'’.&-]*)*"
)


_COMPANY_AFTER = re.compile(r"\s+((?:[A-Z][\w’'.&-]*)(?:\s+[A-Z][\w’'.&-]*){0,3})")
_ACRONYM_BEFORE = re.compile(r"\b([A-Z]{2,6})\s+$")
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')\s+(?=[A-Za-z])")
_FOLLOWING_WORDS = re.compile(r"[a-z][a-z-]+(?: [a-z][a-z-]+)?")  # "gene therapy", "CAR-T" aside
_BRAND = re.compile(r"[A-Z][\w-]+")
_OWNER_BEFORE = re.compile(r"\b([A-Z][A-Za-z0-9&.-]+(?:\s+[A-Z][A-Za-z0-9&.-]+)?)$")


_FULL_STOP = re.compile(r"([\w'’-]+)\.[ \u00a0\n]")
_ABBREVIATIONS = frozenset(word_list("name_abbreviation"))


def _sentence_end(text: str, start: int, end: int) -> int:
    """``end``, or the end of the first word in ``text[start:end]`` that closes a sentence (a
    full stop and a space): "Beijing GoBroad Boren Hospital. With extensive experience" is no
    name, unless the word is an abbreviation ("St. Mary's Hospital", "Co. Ltd")."""
    for stop in _FULL_STOP.finditer(text, start, end):
        if stop.group(1) not in _ABBREVIATIONS and not (len(stop.group(1)) == 1 and stop.group(1).isupper()):
            return stop.end(1)
    return end


def _possessives(text: str) -> list[re.Match[str]]:
    """``_POSSESSIVE.finditer(text)``, found from the apostrophes (str.find) instead: an article
    has a few, and the regex engine's scan over every character cost ~35 us per 5 KB article."""
    found = []
    for quote in ("'", "’"):
        at = text.find(quote)
        while at != -1:
            m = _POSSESSIVE.match(text, at)
            if m is not None:
                found.append(m)
            at = text.find(quote, at + 1)
    found.sort(key=lambda m: m.start())
    return found


def find_institutions(text: str, vocab: Vocabulary, matches: list[Match] | None = None) -> list[Institution]:
    """Institutions named in ``text``, in order of appearance (regulators excluded).

    ``matches`` are the text's vocabulary matches when the caller has scanned it already (one
    pass for everything); otherwise it is scanned here.
    """
    heads = vocab.institution_heads
    if matches is None:
        matches = vocab.scan(text)
    place_ends = {m.start: m.end for m in matches if m.role == "place"}
    found: list[Institution] = []
    done_until = -1
    for m in matches:
        if m.role == "org_head":
            if m.start < done_until:
                continue
            start = _run_start(text, m.start)
            right = _RUN_RIGHT.match(text, m.start)
            end = _sentence_end(text, m.start, right.end()) if right else m.start
            done_until = end
            run = [(start + w.start(), start + w.end(), w.group()) for w in _WORD.finditer(text[start:end])]
            found.extend(_institutions_in_run(text, run, heads))
        elif m.role == "org_intro":
            after = _COMPANY_AFTER.match(text, m.end)
            if after:
                name = _trim_company(after.group(1))
                if name:
                    found.append(Institution(after.start(1), after.start(1) + len(name), name, "company"))
        elif m.role == "org_known":
            kind = m.term.category or "company"
            found.append(Institution(m.start, m.end, text[m.start : m.end], kind, canonical=m.value))
        elif m.role == "org_head_lc":
            acronym = _ACRONYM_BEFORE.search(text, max(0, m.start - 10), m.start)
            if acronym:
                kind = heads.get(m.value.title(), "hospital")
                found.append(Institution(acronym.start(1), m.end, text[acronym.start(1) : m.end], kind))
    for at, listed in _tickers(text):
        # "Daiichi Sankyo (TYO: 4568) today announced": a name with a stock ticker is a company
        name = _trim_company(listed)
        offset = listed.find(name) if name and name not in _LEGAL_SUFFIXES else -1
        if offset != -1:  # (-1: the name spans lines, or was trimmed inside)
            found.append(Institution(at + offset, at + offset + len(name), name, "company"))
    for possessive in _possessives(text):
        if _closes_quotation(text, possessive.start()):
            continue  # "‘Made in India’ CAR-T cell therapy": a quotation's end, no possessive
        # "Sarepta's Elevidys", "Harborview's gene therapy trial": the owner of a product or therapy
        brand = _BRAND.match(text, possessive.end())
        if brand is None or not vocab.names_a_therapy(brand.group(0)):
            following = _FOLLOWING_WORDS.match(text, possessive.end())
            if following is None or not vocab.names_a_therapy(following.group(0)):
                continue
        owner = _OWNER_BEFORE.search(text, max(0, possessive.start() - 60), possessive.start())
        # "India's first CAR-T therapy", "Skysona's lentiviral vector": a place's or a product's
        # therapy names no owner.
        if (
            owner is not None
            and owner.group(1) not in _NOT_COMPANY
            and not _is_place(owner, place_ends)
            and not vocab.names_a_therapy(owner.group(1))
        ):
            found.append(Institution(owner.start(1), owner.end(1), owner.group(1), "company"))
    found.sort(key=lambda inst: (inst.start, -(inst.end - inst.start)))
    out: list[Institution] = []
    for inst in found:
        if out and inst.start < out[-1].end:
            continue
        out.append(_without_place_possessive(text, inst, place_ends))
    return [inst for inst in out if not _is_regulator(inst.name, vocab)]


_EXCHANGES = word_list("stock_exchange")
# "(NASDAQ: XXXX)", "($GSK)": a ticker, the exchange's name checked against the list.
_TICKER = re.compile(r"\(\s*(?:\$[A-Z]{1,6}|([A-Za-z]+)\s*:\s*[\w.]{1,10})\s*\)")
_CAPITALISED = re.compile(r"[A-Z][\w&.-]*$")
_LEGAL_SUFFIXES = frozenset(
    {"Inc", "Inc.", "Ltd", "Ltd.", "Corp", "Corp.", "Co", "Co.", "LLC", "plc", "PLC", "AG", "SA", "NV"}
)


def _tickers(text: str) -> list[tuple[int, str]]:
    """(start, name) of each name of one to four capitalised words before a stock ticker
    ("Daiichi Sankyo (TYO: 4568)", "GlaxoSmithKline’s ($GSK)"; the possessive left out)."""
    found = []
    for ticker in _TICKER.finditer(text):
        if ticker.group(1) is not None and ticker.group(1) not in _EXCHANGES:
            continue
        # Back from the bracket over up to four capitalised words (a possessive and a comma
        # after the last one left out): no regex search over what comes before.
        end = ticker.start()
        while end and text[end - 1].isspace():
            end -= 1
        end -= text[end - 1 : end] == ","
        if text[max(0, end - 2) : end] in ("’s", "'s"):
            end -= 2
        start = end
        for _ in range(4):  # words joined by single spaces, back from the bracket
            after = start if start == end else start - 1
            if after < end and text[after] != " ":
                break
            begin = after
            while begin > max(0, after - 40) and not text[begin - 1].isspace():
                begin -= 1
            if not _CAPITALISED.match(text[begin:after]):
                break
            start = begin
        if start < end:
            found.append((start, text[start:end]))
    return found


def _closes_quotation(text: str, at: int) -> bool:
    """True when the bare apostrophe at ``at`` closes a quotation opened by "‘" shortly before."""
    if text[at] not in "’'" or text.startswith(("’s", "'s"), at):
        return False
    opened = text.rfind("‘" if text[at] == "’" else "'", max(0, at - 80), at)
    return opened != -1 and text.find(text[at], opened + 1, at) == -1


def _is_place(owner: re.Match[str], place_ends: dict[int, int]) -> bool:
    return place_ends.get(owner.start(1)) == owner.end(1)


_PLACE_POSSESSIVE = re.compile(r"(?:’s|'s)\s+(?=\S)")


def _without_place_possessive(text: str, inst: Institution, place_ends: dict[int, int]) -> Institution:
    """ "Saudi Arabia's King Faisal Specialist Hospital" is the hospital: a place's possessive
    before a name ("Shanghai's Ruijin Hospital") is where it is, not part of its name."""
    end = place_ends.get(inst.start)
    if end is None or end >= inst.end:
        return inst
    after = _PLACE_POSSESSIVE.match(text, end)
    if after is None or after.end() >= inst.end:
        return inst
    return Institution(after.end(), inst.end, text[after.end() : inst.end], inst.kind, inst.canonical)


def _trim_company(name: str) -> str:
    words = name.split()
    while words and (words[-1].lower() in _CONNECTORS or words[-1] in _LEADING):
        words.pop()
    while words and words[0] in _NOT_COMPANY:
        words.pop(0)
    name = " ".join(words).rstrip(".,;:’'")
    name = _POSSESSIVE_END.sub("", name) if name.endswith("s") else name
    if not name or name in _NOT_COMPANY:
        return ""
    return name


def _is_regulator(name: str, vocab: Vocabulary) -> bool:
    """True for regulators and their parts ("FDA Center for Biologics Evaluation and Research")."""
    regulators = vocab.regulator_names
    prefix = ""
    for word in name.split(" "):  # is any leading run of words a regulator's name?
        word = _POSSESSIVE_END.sub("", word) if word.endswith("s") else word  # "Agency's CHMP"
        prefix = f"{prefix} {word}" if prefix else word
        if prefix in regulators:
            return True
    return False


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
    # "Paul Harmatz of UCSF Benioff Children's Hospital", "Xu Huji of Changzheng Hospital": words
    # before "of" without a head word are a person (or a place) of the institution after it.
    first_of = next((k for k, (_, _, w) in enumerate(run) if w == "of"), None)
    if (
        first_of
        and not any(kinds[:first_of])
        and not any(w in _UNITS for _, _, w in run[:first_of])
        and any(kinds[first_of + 1 :])
    ):
        rest = first_of + 1
        while rest < len(run) and run[rest][2].lower() in _CONNECTORS:
            rest += 1
        return _institutions_in_run(text, run[rest:], heads)
    # A bare head word ("Hospitals", "University") names no particular institution.
    if all(k or w.lower() in _CONNECTORS for (_, _, w), k in zip(run, kinds, strict=True)):
        return []
    # "Harvard University and MIT", "Vertex Pharmaceuticals and CRISPR Therapeutics": split at
    # "and" when the right side is a bare acronym or both sides are institutions of their own.
    for k, (_, _, w) in enumerate(run):
        if w.lower() in ("and", "&") and k + 1 < len(run):
            right = run[k + 1 :]
            both_named = (
                any(kinds[:k])
                and any(kinds[k + 1 :])
                and len(right) >= 2
                and not all(kinds[j] for j in range(k + 1, len(run)))
            )
            if (len(right) == 1 and right[0][2].isupper()) or both_named:
                return _institutions_in_run(text, run[:k], heads) + _institutions_in_run(text, right, heads)
    start, end = run[0][0], run[-1][1]
    name = text[start:end].rstrip(".,")
    name = _POSSESSIVE_END.sub("", name) if name.endswith(("s", "'", "’")) else name
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


_APPOSITIVE_START = re.compile(r",\s+(?:a|an|the|who\s+is)\s+")
_NAME_BEFORE = re.compile(r"((?:[A-Z][a-z’'-]+\s+){0,2}[A-Z][a-z’'-]+)$")
_NOT_NAMES = word_list("not_a_person_name")


def find_affiliations(text: str, institutions: list[Institution]) -> dict[str, Institution]:
    """Person names mapped to the institution their apposition names: "Pan Guangjin, a researcher
    at Guangzhou Institute ..." maps "Pan" and "Guangjin" to that institute, so that a later
    "Pan said ..." can be attributed."""
    out: dict[str, Institution] = {}
    if not institutions:
        return out
    for m in _APPOSITIVE_START.finditer(text):
        name_match = _NAME_BEFORE.search(text, max(0, m.start() - 60), m.start())
        if name_match is None:
            continue
        name_words = name_match.group(1).split()
        if name_words[0] in _NOT_NAMES or any(i.start <= name_match.start(1) < i.end for i in institutions):
            continue
        lo = m.end()
        stop = re.search(r"[;.]", text[lo : lo + 160])
        hi = lo + (stop.start() if stop else 160)
        inst = next((i for i in institutions if lo <= i.start < hi + 1), None)
        if inst is None:
            continue
        for word in name_words:
            if len(word) >= 2 and word not in _NOT_NAMES:
                out.setdefault(word, inst)
    return out
