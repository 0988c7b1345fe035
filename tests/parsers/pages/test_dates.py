from datetime import date

import pytest

from parsers.pages.dates import date_from_url, parse_date


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-01-19", date(2026, 1, 19)),
        ("2022-11-23T10:00:00Z", date(2022, 11, 23)),
        ("2024-12-27T08:30:00+09:00", date(2024, 12, 27)),
        ("Tue, 22 Nov 2022 15:04:05 GMT", date(2022, 11, 22)),
        ("Nov. 28, 2022", date(2022, 11, 28)),
        ("MONDAY, Nov. 28, 2022 (HealthDay News)", date(2022, 11, 28)),
        ("28 November 2022", date(2022, 11, 28)),
        ("2023/05/31", date(2023, 5, 31)),
        ("2023年5月31日", date(2023, 5, 31)),
        ("", None),
        ("no date here", None),
        ("2023-02-30", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_date_from_url():
    assert date_from_url("https://x.org/2024/05/31/story.html") == date(2024, 5, 31)
    assert date_from_url("https://x.org/news/story.html") is None
