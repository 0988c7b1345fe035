"""The keys that say two reports are about one development.

A development is a party (or a product, or a registered trial) applying a therapy to a
condition; its stage is an attribute over time. Keys, strongest first:

    registry:<NCT...>|<condition>              a trial registry identifier the report names
    product:<product>|<condition>              a product of products.csv (Yescarta, Elevidys)
    party:<institution key>|<family>|<condition>
                                               each named party; the therapy by family ("cell",
                                               "immune", "gene"), since outlets word it more or
                                               less specifically ("stem cell" / "iPSC-derived")
    article:<article id>|<therapy>|<condition> no party, product or registry id: the report
                                               stands alone and is never merged with another
                                               article's (two unrelated "CAR-T for lupus"
                                               stories without names are two developments)

    split:<article id>|<condition>             an analyst split this article's report into a
                                               development of its own (storage.curation); looked
                                               up before every other key

A university hospital reports under its university's name as often as under its own, so a
party key also looks up its parent ("kyoto university hospital" -> "kyoto university"), and a
parent-named report joins a child-named development when exactly one child matches. A parent
given after a comma ("Tianjin First Central Hospital, Peking University", "Zhongshan Hospital,
Fudan University") counts the same way; since the party's key drops it, the development keeps
it as "parent:<parent key>|<family>|<condition>|<development id>" (one per development, so
"exactly one" can be counted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from parsers.models import Claim, Therapy

_PARENT_HEADS = ("university",)  # bodies whose hospitals and schools report under their name


def family(therapy: str) -> str:
    try:
        return Therapy(therapy).family
    except ValueError:
        return therapy


def condition_key(indication: str) -> str:
    return " ".join(indication.lower().split())


def split_key(article_id: int, indication: str) -> str:
    return f"split:{article_id}|{condition_key(indication)}"


def party_key(institution_key: str, therapy: str, indication: str) -> str:
    return f"party:{institution_key}|{family(therapy)}|{condition_key(indication)}"


def parent_institution_keys(institution_key: str) -> list[str]:
    """The parents a key names within itself: "kyoto university hospital" -> ["kyoto
    university"]; "first affiliated hospital of sun yat sen university" -> ["sun yat sen
    university"]. Only parents of two words or more; never the key itself."""
    words = institution_key.split()
    parents = []
    for head in _PARENT_HEADS:
        if head not in words:
            continue
        i = words.index(head)
        if 1 <= i < len(words) - 1:  # "<name> university <unit>"
            parents.append(" ".join(words[: i + 1]))
        if words[-1] == head and "of" in words[:-1]:  # "<unit> of <name> university"
            j = len(words) - 1 - words[::-1].index("of")
            if len(words) - j - 1 >= 2:
                parents.append(" ".join(words[j + 1 :]))
    return [p for p in dict.fromkeys(parents) if p != institution_key]


def named_parents(name: str, key_of: Callable[[str], str]) -> list[str]:
    """The parents a name gives after a comma, as keys (``key_of``: name -> key), each with its
    own parents: "Tianjin First Central Hospital, Peking University" -> ["peking university"];
    "X Hospital, Fudan University School of Medicine" -> [..., "fudan university"]. Universities
    only, as ``parent_institution_keys``; "Institute X, Chinese Academy of Sciences" gives none."""
    out: list[str] = []
    for part in name.split(",")[1:]:
        key = key_of(part.strip())
        words = key.split()
        if len(words) >= 2 and any(head in words for head in _PARENT_HEADS):
            out += [key, *parent_institution_keys(key)]
    return list(dict.fromkeys(out))


def parent_key(parent: str, therapy: str, indication: str, development_id: int) -> str:
    return f"parent:{parent}|{family(therapy)}|{condition_key(indication)}|{development_id}"


def parent_pattern(parent: str, therapy: str, indication: str) -> str:
    """The LIKE pattern of ``parent_key`` for any development."""
    return _escape_like(f"parent:{parent}|{family(therapy)}|{condition_key(indication)}|") + "%"


def identity_keys(claim: Claim, party_keys: Sequence[str], article_id: int) -> list[tuple[str, str]]:
    """(kind, key) pairs for a claim, strongest first (see the module's docstring)."""
    condition = condition_key(claim.indication)
    keys = [("registry", f"registry:{rid}|{condition}") for rid in claim.registry_ids]
    if claim.product:
        keys.append(("product", f"product:{claim.product.lower()}|{condition}"))
    keys += [("party", party_key(p, claim.therapy, claim.indication)) for p in party_keys if p]
    if not keys:
        keys.append(("article", f"article:{article_id}|{claim.therapy}|{condition}"))
    return keys


def child_patterns(institution_key: str, therapy: str, indication: str) -> list[str]:
    """LIKE patterns for the party keys of institutions this one is the parent of."""
    tail = f"|{family(therapy)}|{condition_key(indication)}"
    name = _escape_like(institution_key)
    return [f"party:{name} %{_escape_like(tail)}", f"party:% of {name}{_escape_like(tail)}"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
