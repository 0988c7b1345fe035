"""Compare the main-text extractors ("auto", the heuristic alone, trafilatura alone, and
``trafilatura.extract`` with its defaults) in one run:

1. on real pages, when ``../shared/eval/maintext`` is present (159 pages with must-have and
   must-not snippets, trafilatura's evaluation data): snippet F1 as its ``score.py`` counts it
   (a snippet is found when it is a substring of the whitespace-normalised output), empty
   results, and pages/s (decode + parse + main text, best of three passes, one core);
2. on the fixture pages in ``tests/fixtures/site``: token precision, recall and F1 against each
   page's ``.expected.txt`` body.

    python bench/main_text_quality.py
"""

from __future__ import annotations

import functools
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers.pages.encoding import decode_bytes  # noqa: E402
from parsers.pages.html import MAIN_TEXT_EXTRACTORS, PageOptions, main_text, parse_html  # noqa: E402

SITE = ROOT / "tests" / "fixtures" / "site"
REAL_PAGES = ROOT.parent / "shared" / "eval" / "maintext"


def _ours(extractor: str, data: bytes, url: str) -> str:
    return main_text(decode_bytes(data), extractor, url)


def _trafilatura_defaults(data: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(data, url=url) or ""


def real_pages() -> None:
    """Snippet F1 and pages/s of each extractor on the real pages, in one run."""
    import json

    items = json.loads((REAL_PAGES / "annotations.json").read_text(encoding="utf-8"))
    pages = {url: (REAL_PAGES / "pages" / it["file"]).read_bytes() for url, it in items.items()}
    extractors = {name: functools.partial(_ours, name) for name in MAIN_TEXT_EXTRACTORS}
    extractors["trafilatura.extract (defaults)"] = _trafilatura_defaults

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    print(f"real pages: {len(pages)} from {REAL_PAGES}")
    print(f"{'extractor':<32}{'F1':>7}{'precision':>11}{'recall':>8}{'empty':>7}{'pages/s':>9}")
    for name, func in extractors.items():
        tp = fp = fn = empty = 0
        for url, item in items.items():
            out = norm(func(pages[url], url))
            empty += not out
            found = sum(1 for w in item["with"] if out and norm(w) in out)
            leaked = sum(1 for w in item["without"] if out and norm(w) in out)
            tp, fp, fn = tp + found, fp + leaked, fn + len(item["with"]) - found
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for url, data in pages.items():
                func(data, url)
            best = min(best, time.perf_counter() - started)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        print(f"{name:<32}{f1:>7.3f}{precision:>11.3f}{recall:>8.3f}{empty:>7}{len(pages) / best:>9.1f}")
    print(cascade_line(pages))
    print()


def cascade_line(pages: dict[str, bytes]) -> str:
    """How often the "auto" cascade keeps the fast heuristic's text and how often it falls
    through to trafilatura (``parsers.pages.maintext.page_main_text``)."""
    import lxml.html

    from parsers.pages.maintext import page_main_text

    paths = Counter(
        page_main_text(lxml.html.document_fromstring(decode_bytes(data).encode("utf-8", "replace")), url)[1]
        for url, data in pages.items()
    )
    through = paths.get("trafilatura", 0)
    return (
        f"auto: fell through to trafilatura on {through} of {len(pages)} pages ({through / len(pages):.0%}); "
        + ", ".join(f"{k} {v}" for k, v in sorted(paths.items()))
    )


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def scores(got: str, expected: str) -> tuple[float, float, float]:
    g, e = tokens(got), tokens(expected)
    overlap = sum((g & e).values())
    precision = overlap / max(1, sum(g.values()))
    recall = overlap / max(1, sum(e.values()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    if (REAL_PAGES / "annotations.json").exists():
        real_pages()
    pages = sorted(SITE.glob("*.html"))
    totals: dict[str, list[tuple[float, float, float]]] = {name: [] for name in MAIN_TEXT_EXTRACTORS}
    rates: dict[str, float] = {}
    print(f"{'page':<28}" + "".join(f"{name + ' P/R/F1':>26}" for name in MAIN_TEXT_EXTRACTORS))
    html_by_page = {p: decode_bytes(p.read_bytes()) for p in pages}
    for page in pages:
        expected = page.with_suffix(".expected.txt").read_text(encoding="utf-8")
        row = f"{page.stem:<28}"
        for name in MAIN_TEXT_EXTRACTORS:
            got = parse_html(html_by_page[page], options=PageOptions(name)).text
            p, r, f = scores(got, expected)
            totals[name].append((p, r, f))
            row += f"{p:>10.2f}{r:>8.2f}{f:>8.2f}"
        print(row)
    for name in MAIN_TEXT_EXTRACTORS:
        start = time.perf_counter()
        rounds = 20
        for _ in range(rounds):
            for page in pages:
                parse_html(html_by_page[page], options=PageOptions(name))
        rates[name] = rounds * len(pages) / (time.perf_counter() - start)
    print()
    for name, values in totals.items():
        mean = [sum(v[i] for v in values) / len(values) for i in range(3)]
        print(
            f"{name:<12} mean precision {mean[0]:.3f} recall {mean[1]:.3f} F1 {mean[2]:.3f}   "
            f"{rates[name]:.0f} pages/s (parse_html incl. metadata, one core)"
        )


if __name__ == "__main__":
    main()
