"""parsers/pipeline.py: the cheap page filter and the skip it allows before any tree is built."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from parsers.claims import RuleBasedExtractor
from parsers.errors import EmptyDocumentError
from parsers.models import Therapy
from parsers.pipeline import page_may_mention_keywords, process_document
from parsers.vocab import Match, Term, Vocabulary

NOW = datetime(2026, 12, 7, tzinfo=UTC)
FILLER = "<p>" + "The council met on Tuesday to discuss the new bus timetable for the town. " * 6 + "</p>"


def page(body: str, head: str = "<title>Local news</title>") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body><article>{body}{FILLER}</article></body></html>"


def stages_of(html: str, keywords=()) -> tuple[list, list[str]]:
    seen: list[str] = []

    @contextmanager
    def timer(stage: str):
        seen.append(stage)
        yield

    out = process_document(
        html.encode(),
        "page.html",
        NOW,
        is_html=True,
        keywords=keywords,
        url="https://example.org/a",
        timer=timer,
    )
    return out, seen


@pytest.mark.parametrize(
    "body",
    [
        "<p>Doctors gave two patients a gene <b>therapy</b> last month.</p>",
        "<p>Doctors gave two patients <a href='/x'>CAR-T</a> cells last month.</p>",
        "<p>Doctors injected stem&nbsp;cells into two knees last month.</p>",
        "<p>Doctors injected stem&#32;cells into two knees last month.</p>",
        "<p>Fewer than <5 of the patients given a gene therapy had a fever >3 days.</p>",
    ],
)
def test_a_page_naming_a_therapy_through_markup_or_entities_passes_and_is_read(body):
    html = page(body)
    assert page_may_mention_keywords(html, ())
    out, seen = stages_of(html)
    assert len(out) == 1 and not out[0].skipped
    assert "filter" in seen and "date" in seen  # tested cheaply, then read in full


@pytest.mark.parametrize(
    "head",
    [
        '<title>Local news</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Hospital treats boy with gene therapy"}</script>',
        "<title>Local news</title><meta property='og:title' content='Hospital treats boy with gene therapy'>",
        "<title>Hospital treats boy with gene therapy</title>",
    ],
)
def test_a_therapy_named_only_where_the_title_comes_from_keeps_the_page(head):
    html = page("<p>A boy was treated at the city hospital this week, his parents said.</p>", head)
    assert page_may_mention_keywords(html, ())
    out, _ = stages_of(html)
    assert not out[0].skipped
    assert "gene therapy" in (out[0].article.title or "")


def test_a_page_about_something_else_is_skipped_before_any_tree_is_built():
    html = page("<p>The mayor opened a new bridge; <b>cells</b> of the old jail became a museum.</p>")
    assert not page_may_mention_keywords(html, ())
    out, seen = stages_of(html)
    assert len(out) == 1 and out[0].skipped and out[0].claims == ()
    assert out[0].article.url == "https://example.org/a"
    assert seen == ["decode", "filter"]  # decoding and the cheap test only: no metadata, no main text


def test_code_and_comments_are_not_text_but_meta_tags_make_the_test_keep_a_page():
    code = "<script>var topic = 'gene therapy';</script><style>.gene-therapy{}</style><!-- gene therapy -->"
    assert not page_may_mention_keywords(page("<p>The mayor opened a new bridge.</p>" + code), ())
    html = page("<p>The mayor opened a new bridge.</p>", "<meta name='keywords' content='gene therapy'>")
    assert page_may_mention_keywords(html, ())  # kept by the cheap test (a meta tag may be the title) ...
    out, seen = stages_of(html)
    assert out[0].skipped and "date" in seen  # ... and skipped by the full reading, as before


def test_an_unclosed_script_keeps_the_rest_of_the_page():
    html = page("<p>Doctors gave two patients a gene therapy.</p>").replace(
        "<article>", "<script>var x = 1;<article>"
    )
    assert page_may_mention_keywords(html, ())


def test_a_source_keyword_list_is_tested_the_same_way():
    html = page("<p>The regulator approved Zolgensma&reg; for older children.</p>")
    assert page_may_mention_keywords(html, ("zolgensma",))
    assert not page_may_mention_keywords(html, ("kymriah",))
    assert not stages_of(html, ("zolgensma",))[0][0].skipped
    assert stages_of(html, ("kymriah",))[0][0].skipped


def test_an_empty_page_is_still_a_failure_not_a_skip():
    with pytest.raises(EmptyDocumentError):
        stages_of("  \n ")


def test_without_keywords_every_page_is_read_in_full():
    out = process_document(page(FILLER).encode(), "page.html", NOW, is_html=True, keywords=None)
    assert not out[0].skipped and "bus timetable" in out[0].article.text


class WithOwnTherapyWord(Vocabulary):
    """The shipped vocabulary and one more therapy word, as a user's own data would add it."""

    WORD = "zorbocel"

    def scan(self, text, normalised=None):
        found = super().scan(text, normalised)
        at = text.lower().find(self.WORD)
        if at >= 0:
            found.append(
                Match(at, at + len(self.WORD), Term("therapy", Therapy.CELL, Therapy.CELL.specificity))
            )
        return sorted(found, key=lambda m: m.start)

    def may_name_a_therapy(self, text):
        return self.WORD in text.lower() or super().may_name_a_therapy(text)


def test_the_cgt_filter_asks_the_claim_extractors_own_vocabulary():
    html = page("<p>Doctors gave two patients zorbocel last month.</p>")

    def read(extractor):
        return process_document(html.encode(), "page.html", NOW, extractor, is_html=True, keywords=())

    assert read(RuleBasedExtractor())[0].skipped  # the shipped words do not know it
    [kept] = read(RuleBasedExtractor(WithOwnTherapyWord()))
    assert not kept.skipped and "zorbocel" in kept.article.text
