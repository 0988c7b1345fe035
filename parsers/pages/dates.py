"""Publication dates from the many ways pages write them."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(\d{2})(\d{2})(?!\d)")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_CJK_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def _make(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(value: str | None) -> date | None:
    """The calendar date in ``value`` (ISO 8601, RFC 2822, "Nov. 28, 2022", "28 November 2022",
    "2022/11/28", "2022年11月28日"), or None when it holds none."""
    if not value:
        return None
    s = value.strip()
    if not s:
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if re.match(r"^[A-Za-z]{3},\s", s):
        try:
            return parsedate_to_datetime(s).date()
        except (TypeError, ValueError, IndexError):
            pass
    for pattern in (_ISO, _CJK_DATE):
        m = pattern.search(s)
        if m:
            found = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found:
                return found
    m = _MDY.search(s)
    if m and m.group(1).lower() in _MONTHS:
        found = _make(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        if found:
            return found
    m = _DMY.search(s)
    if m and m.group(2).lower() in _MONTHS:
        found = _make(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        if found:
            return found
    return None


def date_from_url(url: str | None) -> date | None:
    """A date written into an article URL (``/2024/05/31/``, ``/20240531/``), or None."""
    if not url:
        return None
    m = re.search(r"/(20\d{2}|19\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)", url)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(r"/(20\d{2})-?(\d{2})/(\d{2})/", url)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _COMPACT.search(url)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None
