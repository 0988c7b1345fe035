"""The cheap page filter (``parsers.pipeline.page_may_mention_keywords``) against the full
path it spares (decode, tree, metadata, main text, then the CGT keyword test), in one run:

1. **losses**: pages the full path keeps (about cell or gene therapy) that the cheap test
   would skip — must be none — on every page set at hand: the real pages of
   ``../shared/eval/maintext`` (each also with the benchmark's stem-cell sentence put into its
   first paragraph, as ``bench/pipeline.py --real-pages`` does), the labelled articles of
   ``../shared/eval/train`` and ``../shared/eval/dev`` set as HTML pages (title, paragraphs,
   words of the first sentences in ``<b>``/``<a>``), and generated pages (``bench/corpus.py``);
2. **cost of a page skipped**: seconds per page of the cheap test (decoding included) and of the
   full path, on the pages both skip; the ratio is the figure to read (one core, best of three
   passes; the machine is shared and noisy).

    .venv/bin/python bench/page_filter.py            # ~1 min
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import insert_into_body, iter_site  # noqa: E402

from parsers.claims import RuleBasedExtractor  # noqa: E402
from parsers.errors import ParseError  # noqa: E402
from parsers.pages.article import read_html  # noqa: E402
from parsers.pages.encoding import decode_bytes  # noqa: E402
from parsers.pipeline import (  # noqa: E402
    mentions_keywords,
    page_may_mention_keywords,
    text_mentions_keywords,
)

SHARED = ROOT.parent / "shared" / "eval"
_CGT_SENTENCE = (
    b"Doctors at Riverside Hospital treated 4 patients with knee osteoarthritis using stem cell "
    b"injections, and all of them reported less pain after a month. "
)
NOW = datetime.now(UTC)


def real_pages() -> Iterable[tuple[str, bytes]]:
    for path in sorted((SHARED / "maintext" / "pages").glob("*.html")):
        data = path.read_bytes()
        yield f"maintext/{path.name}", data
        yield f"maintext+cgt/{path.name}", insert_into_body(data, _CGT_SENTENCE)


def labelled_pages() -> Iterable[tuple[str, bytes]]:
    """Each labelled article as a plain news page; a few words of each paragraph in inline tags
    (so terms broken by markup are exercised)."""
    for folder in ("train", "dev"):
        for path in sorted((SHARED / folder).glob("*.json")):
            item = json.loads(path.read_text(encoding="utf-8"))
            paras = []
            for k, para in enumerate(p for p in item.get("text", "").split("\n") if p.strip()):
                words = html.escape(para).split(" ")
                if len(words) > 6:
                    tag = "b" if k % 2 else "a href='/x'"
                    words[2] = f"<{tag}>{words[2]}"
                    words[4] = f"{words[4]}</{tag.split()[0]}>"
                paras.append("<p>" + " ".join(words) + "</p>")
            title = html.escape(item.get("title") or "")
            page = (
                f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{''.join(paras)}</article>"
                "<footer><p>All rights reserved.</p></footer></body></html>"
            )
            yield f"{folder}/{path.name}", page.encode("utf-8")


def generated_pages(n: int) -> Iterable[tuple[str, bytes]]:
    for page in iter_site(n):
        yield f"generated{page.path}", page.html


def full_keeps(data: bytes, extractor: RuleBasedExtractor) -> bool | None:
    """What the pipeline decided before the cheap test: None when the page fails to parse."""
    try:
        article = read_html(
            data,
            "page.html",
            NOW,
            url="https://example.org/a",
            relevant=lambda text: text_mentions_keywords(text, ()),
        )
    except ParseError:
        return None
    return mentions_keywords(article, ())


def cheap_keeps(data: bytes) -> bool:
    return page_may_mention_keywords(decode_bytes(data), ())


def best_seconds(fn: Callable[[bytes], object], pages: list[bytes], passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        for data in pages:
            fn(data)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generated", type=int, default=600, help="generated pages (0: none)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    extractor = RuleBasedExtractor()
    sets: dict[str, list[tuple[str, bytes]]] = {}
    if (SHARED / "maintext" / "pages").is_dir():
        sets["real pages (maintext), with and without the CGT sentence"] = list(real_pages())
    if (SHARED / "train").is_dir():
        sets["labelled articles as pages (train + dev)"] = list(labelled_pages())
    if args.generated:
        sets["generated pages"] = list(generated_pages(args.generated))
    result: dict[str, dict] = {}
    for name, pages in sets.items():
        kept_full = kept_cheap = lost = failed = 0
        lost_names: list[str] = []
        skipped_by_both: list[bytes] = []
        for page_name, data in pages:
            full = full_keeps(data, extractor)
            cheap = cheap_keeps(data)
            failed += full is None
            kept_full += bool(full)
            kept_cheap += cheap
            if full and not cheap:
                lost += 1
                lost_names.append(page_name)
            if full is False and not cheap:
                skipped_by_both.append(data)
        with_sentence = [data for page_name, data in pages if page_name.startswith("maintext+cgt/")]
        row: dict = {
            "pages": len(pages),
            "kept_by_full_path": kept_full,
            "kept_by_cheap_test": kept_cheap,
            "lost_by_cheap_test": lost,
            "lost_pages": lost_names[:10],
            "unparseable": failed,
            "skipped_by_both": len(skipped_by_both),
        }
        if with_sentence:  # the benchmark's CGT copies: the cheap test must keep every one
            row["cgt_sentence_pages_kept_by_cheap_test"] = (
                f"{sum(cheap_keeps(d) for d in with_sentence)} of {len(with_sentence)}"
            )
        if skipped_by_both:
            cheap_s = best_seconds(cheap_keeps, skipped_by_both)
            full_s = best_seconds(lambda d: full_keeps(d, extractor), skipped_by_both)
            n = len(skipped_by_both)
            row["ms_per_skipped_page_cheap"] = round(1000 * cheap_s / n, 3)
            row["ms_per_skipped_page_full"] = round(1000 * full_s / n, 3)
            row["full_over_cheap"] = round(full_s / cheap_s, 1)
        result[name] = row
        print(name)
        for key, value in row.items():
            print(f"  {key:<28} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
