"""The old path of the page-text functions, kept for callers outside the project (e.g. the
main-text scorer: ``score.py --func parsers.html:page_text``). Page reading lives in
``parsers.pages``; import from ``parsers.pages.html`` in new code."""

from .pages.html import PageOptions, main_text, page_text, parse_html

__all__ = ["PageOptions", "main_text", "page_text", "parse_html"]
