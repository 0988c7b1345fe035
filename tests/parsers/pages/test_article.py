from datetime import UTC, date, datetime

import pytest

from parsers.errors import BinaryDocumentError, EmptyDocumentError, MalformedDocumentError, ParseError
from parsers.pages.article import read_article, read_html, read_json, read_text
from tests.conftest import SEED_ARTICLE

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_seed_txt_date_marker_gives_the_publication_date_and_is_removed():
    article = read_text(SEED_ARTICLE.read_bytes(), SEED_ARTICLE.name, NOW)
    assert article.published == date(2026, 1, 19)
    assert article.text.startswith("Hospitals and research institutes in Guangzhou")
    assert "date 2026" not in article.text
    assert article.fetched_at == NOW
    assert article.external_id == SEED_ARTICLE.stem


def test_txt_without_marker_has_no_date_but_a_fetch_time_and_title():
    article = read_text(b"Short headline\n\nBody text of the article.", "a.txt", NOW)
    assert article.published is None
    assert article.fetched_at == NOW
    assert article.title == "Short headline"
    assert article.text == "Body text of the article."


def test_html_title_date_and_main_text_from_json_ld():
    html = b"""<html lang="en"><head><title>Site | Page</title>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "CAR-T for lupus",
      "datePublished": "2024-10-24T08:00:00+08:00"}</script>
    <link rel="canonical" href="https://example.org/news/1?utm_source=x&id=3"></head>
    <body><nav><p>Home News Sport</p></nav><article><p>First paragraph of the story.</p>
    <p>Second paragraph with more words in it.</p></article>
    <footer><p>Copyright</p></footer></body></html>"""
    article = read_html(html, "page.html", NOW, url="https://example.org/news/1")
    assert article.title == "CAR-T for lupus"
    assert article.published == date(2024, 10, 24)
    assert article.url == "https://example.org/news/1?id=3"
    assert article.language == "en"
    assert "First paragraph of the story." in article.text
    assert "Second paragraph" in article.text
    assert "Home News" not in article.text and "Copyright" not in article.text


@pytest.mark.parametrize(
    "meta",
    [
        '<meta property="article:published_time" content="2022-11-23T10:00:00Z">',
        '<meta name="pubdate" content="2022-11-23">',
        '<meta name="date" content="Nov. 23, 2022">',
    ],
)
def test_html_date_from_meta_tags(meta):
    html = f"<html><head>{meta}<title>T</title></head><body><p>Some text here.</p></body></html>"
    assert read_html(html.encode(), "x.html", NOW).published == date(2022, 11, 23)


def test_json_fields():
    data = (
        b'{"id": "a1", "url": "https://x.org/a", "source": "X", "title": "T", '
        b'"published": "2023-05-31", "text": "Body."}'
    )
    [article] = read_json(data, "a1.json", NOW)
    assert (article.external_id, article.url, article.source_name, article.title) == (
        "a1",
        "https://x.org/a",
        "X",
        "T",
    )
    assert article.published == date(2023, 5, 31)


def test_json_with_null_date_has_none():
    [article] = read_json(b'{"id": "b", "published": null, "text": "Body."}', "b.json", NOW)
    assert article.published is None and article.fetched_at == NOW


@pytest.mark.parametrize(
    "data,name,error",
    [
        (b"", "empty.txt", EmptyDocumentError),
        (b"   \n\n  ", "blank.txt", EmptyDocumentError),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "image.txt", BinaryDocumentError),
        (b"caf\xe9 au lait \x81\x8d\x8f\x90\x9d\xff\xfe" * 3, "bad.txt", BinaryDocumentError),
        (b'{"id": "x", "title": "no text"}', "notext.json", EmptyDocumentError),
        (b'{"id": "x", "text": ', "broken.json", MalformedDocumentError),
        (b"plain", "file.pdf", ParseError),
    ],
)
def test_bad_input_raises_a_parse_error_with_a_reason(data, name, error):
    with pytest.raises(error) as info:
        read_article(data, name, NOW)
    assert isinstance(info.value, ParseError)
    assert str(info.value).strip()
    assert "\n" not in str(info.value)
