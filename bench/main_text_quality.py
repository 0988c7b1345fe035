"""Compare the main-text extractors (trafilatura vs the BeautifulSoup heuristic) on the fixture
pages in ``tests/fixtures/site``: token precision, recall and F1 of each extractor's text
against the page's ``.expected.txt`` body, and pages per second.

    python bench/main_text_quality.py
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers.encoding import decode_bytes  # noqa: E402
from parsers.html import MAIN_TEXT_EXTRACTORS, parse_html  # noqa: E402

SITE = ROOT / "tests" / "fixtures" / "site"


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
    pages = sorted(SITE.glob("*.html"))
    totals: dict[str, list[tuple[float, float, float]]] = {name: [] for name in MAIN_TEXT_EXTRACTORS}
    rates: dict[str, float] = {}
    print(f"{'page':<28}" + "".join(f"{name + ' P/R/F1':>26}" for name in MAIN_TEXT_EXTRACTORS))
    html_by_page = {p: decode_bytes(p.read_bytes()) for p in pages}
    for page in pages:
        expected = page.with_suffix(".expected.txt").read_text(encoding="utf-8")
        row = f"{page.stem:<28}"
        for name in MAIN_TEXT_EXTRACTORS:
            got = parse_html(html_by_page[page], extractor=name).text
            p, r, f = scores(got, expected)
            totals[name].append((p, r, f))
            row += f"{p:>10.2f}{r:>8.2f}{f:>8.2f}"
        print(row)
    for name in MAIN_TEXT_EXTRACTORS:
        start = time.perf_counter()
        rounds = 20
        for _ in range(rounds):
            for page in pages:
                parse_html(html_by_page[page], extractor=name)
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
