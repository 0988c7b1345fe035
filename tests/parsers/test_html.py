"""Main text of the fixture news pages (templates with navigation, ads, comment threads, split
bodies, <br> layouts, a GBK page), for the default lxml heuristic and its BeautifulSoup twin."""

import re
from pathlib import Path

import pytest

from parsers.encoding import decode_bytes
from parsers.html import lxml_main_text, parse_html, soup_main_text

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
PAGES = sorted(SITE.glob("*.html"))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("extractor", ["lxml", "soup"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_main_text_is_the_article_body_and_nothing_else(page: Path, extractor: str):
    expected = page.with_suffix(".expected.txt").read_text(encoding="utf-8")
    got = parse_html(decode_bytes(page.read_bytes()), extractor=extractor).text
    assert words(got) == words(expected)


@pytest.mark.parametrize(
    "html",
    [
        "<p>Hello<!-- a comment -->world, said the doctor at the clinic today.</p>",
        "<div>First loose line of an old layout page here<br>Second loose line, <b>bold</b> words too<br>x</div>",
        "<div class='comments'><p>Great story, thanks for sharing it.</p></div><article><p>The body text.</p></article>",
        "<p>Text with <a href='/x'>a link</a> and <script>var s = 1;</script>a script in it.</p>",
        "<body>Only loose text in the body, nothing else at all.</body>",
    ],
)
def test_lxml_and_soup_heuristics_agree(html: str):
    import lxml.html

    assert lxml_main_text(lxml.html.document_fromstring(html)) == soup_main_text(html)


def test_the_main_text_is_taken_from_the_metadata_tree_so_metadata_survives():
    html = (
        "<html lang='en'><head><title>T</title><link rel='canonical' href='https://x.org/a?utm_source=y'>"
        "<meta property='article:published_time' content='2025-03-04'></head>"
        "<body><nav>Home News</nav><article><p>Stem cell therapy helped two patients in Guangzhou.</p>"
        "</article></body></html>"
    )
    doc = parse_html(html, url="https://x.org/a")
    assert doc.text == "Stem cell therapy helped two patients in Guangzhou."
    assert (doc.title, str(doc.published), doc.canonical_url, doc.language) == (
        "T",
        "2025-03-04",
        "https://x.org/a",
        "en",
    )
