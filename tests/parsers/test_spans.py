"""Span sets (``parsers.spans``): overlap answers as a scan of every span would give them."""

import random

from parsers.spans import SpanSet


def test_overlap_is_sharing_a_character():
    spans = SpanSet([(10, 20), (30, 35)])
    assert spans.overlaps(15, 16)
    assert spans.overlaps(5, 11)
    assert spans.overlaps(19, 31)
    assert not spans.overlaps(20, 30)  # touching ends share no character
    assert not spans.overlaps(0, 10)
    assert not spans.overlaps(35, 40)
    assert len(spans) == 2


def test_an_empty_set_overlaps_nothing():
    assert not SpanSet().overlaps(0, 100)


def test_answers_match_a_full_scan_with_nested_and_long_spans():
    rng = random.Random(3)
    raw = [(a, a + rng.randint(1, 60)) for a in (rng.randint(0, 2000) for _ in range(300))]
    raw.append((100, 1900))  # one long span covering most others
    spans = SpanSet(raw)
    for _ in range(2000):
        start = rng.randint(0, 2100)
        end = start + rng.randint(1, 40)
        assert spans.overlaps(start, end) == any(a < end and start < b for a, b in raw)
