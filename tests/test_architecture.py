"""ARCHITECTURE.md names only what exists: every file it mentions is in the repository and
every function, class or constant it names is defined in one of the modules named in the same
step (or, where a step names none, somewhere in the three layers)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "ARCHITECTURE.md"
CODE_DIRS = ("flows", "parsers", "storage")


def _mentions() -> list[tuple[tuple[str, ...], str]]:
    """(the .py files named in the same step or item, identifier) for each identifier."""
    out: list[tuple[tuple[str, ...], str]] = []
    for block in re.split(r"\n(?=\d\. |- |\|)", DOC.read_text(encoding="utf-8")):
        tokens = re.findall(r"`([^`]+)`", block)
        files = tuple(t for t in tokens if t.endswith(".py"))
        for token in tokens:
            identifier = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", token)
            if identifier and not token.endswith((".py", ".csv", ".md")):
                out.append((files, token))
    return out


def _source(path: str) -> str | None:
    candidates = [ROOT / path] + [ROOT / d / path for d in CODE_DIRS]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def _defines(source: str, name: str) -> bool:
    head, _, attr = name.partition(".")
    if attr:  # Class.attribute
        return bool(re.search(rf"^class {head}\b", source, re.M)) and bool(
            re.search(rf"\b(def {attr}\b|{attr}\s*[:=])", source)
        )
    return bool(re.search(rf"^\s*(async def|def|class) {name}\b|^{name}\s*[:=]", source, re.M))


def test_every_file_named_exists():
    files = set(re.findall(r"`([^`]+\.(?:py|md|csv))`", DOC.read_text(encoding="utf-8")))
    assert files
    missing = [f for f in files if _source(f) is None and not (ROOT / "parsers" / "data" / f).is_file()]
    assert missing == []


def test_every_function_named_is_defined_where_it_is_named():
    everything = "\n".join(p.read_text(encoding="utf-8") for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))
    words = {"flows", "parsers", "storage"}  # layer names, not identifiers
    mentions = [(f, n) for f, n in _mentions() if n not in words]
    assert len(mentions) > 20
    wrong = []
    for files, name in mentions:
        sources = [s for s in (_source(f) for f in files) if s is not None]
        if any(_defines(s, name) for s in sources) or (not sources and _defines(everything, name)):
            continue
        wrong.append((files, name))
    assert wrong == []
