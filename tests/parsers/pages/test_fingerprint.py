"""parsers/pages/fingerprint.py: content hashes, shingles, resemblance and LSH bands."""

from parsers.pages.fingerprint import (
    BANDS,
    content_hash,
    fingerprint,
    jaccard,
    normalise_text,
    resemblance,
    shingles,
    stated_in,
)

TEXT = (
    "Doctors at Riverside Hospital treated two patients with knee osteoarthritis using stem cell "
    "injections last spring. Both reported significant relief after a month, the hospital said, "
    "and a larger trial is planned for next year with forty patients at three sites."
)


def test_normalise_text_ignores_case_punctuation_width_and_spacing():
    assert normalise_text("  Stem-Cell\tTHERAPY, ＡＢＣ!\n") == "stem cell therapy abc"
    assert content_hash("Stem cell therapy.") == content_hash("stem  cell—therapy")
    assert content_hash("stem cell therapy") != content_hash("stem cell therapies")


def test_shingles_are_five_word_windows_and_chinese_characters():
    assert shingles("a b c d e f") == {"a b c d e", "b c d e f"}
    assert shingles("a b c") == set()
    chinese = "干细胞" * 80
    assert all(len(s.split()) == 5 for s in shingles(chinese))


def test_jaccard_and_resemblance():
    assert jaccard(TEXT, TEXT.upper()) == 1.0
    assert jaccard(TEXT, "Something else entirely, about the council's new bus timetable today.") == 0.0
    assert jaccard("short", "Short!") == 1.0 and jaccard("short", "other") == 0.0
    # a copy cut to its first half: low resemblance, but contained
    long_text = " ".join(
        f"Paragraph {i} tells of patient {i * 7} and visit {i * 13} in week {i}." for i in range(60)
    )
    half = long_text[: len(long_text) // 2]
    j, contained = resemblance(half, long_text)
    assert j < 0.6 and contained == 1.0


def test_stated_in_measures_how_much_of_a_passage_a_text_states():
    assert stated_in("both reported significant relief", TEXT) == 1.0
    assert stated_in("the mayor opened a bridge", TEXT) == 0.0
    assert 0.5 < stated_in("both reported considerable relief after a month", TEXT) < 1.0


def test_fingerprint_bands_match_for_a_near_copy_and_not_for_another_text():
    base = " ".join(f"{TEXT} Paragraph {i} says more about the trial." for i in range(4))
    copy = base.replace("spring", "summer", 1)
    other = base.replace("Doctors", "Nurses").replace("knee", "hip").replace("stem cell", "gene")
    a, b, c = fingerprint(base), fingerprint(copy), fingerprint(other)
    assert len(a.bands) == BANDS and a.content_hash == content_hash(base)
    assert a.content_hash != b.content_hash
    assert len(set(a.bands) & set(b.bands)) >= BANDS // 2  # most bands agree for a one-word change
    assert fingerprint(base) == a  # stable across calls (and processes: CRC-32, blake2b)
    assert len(set(a.bands) & set(c.bands)) < len(set(a.bands) & set(b.bands))


def test_a_short_text_is_compared_by_its_hash_only():
    assert fingerprint("Too short to shingle.").bands == ()
