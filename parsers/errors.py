"""Errors raised by the parsers.

    ParseError                 base: catch this to record any bad input and go on
    ├── EmptyDocumentError     nothing to read (empty file, whitespace only, no text field)
    ├── BinaryDocumentError    the bytes are not text (NUL bytes, undecodable)
    └── MalformedDocumentError the format is broken (invalid JSON, wrong field types)

Parsers raise on malformed input and return empty results when there is simply nothing to find
(an article without claims is not an error).
"""


class ParseError(ValueError):
    """Input that cannot be turned into an article."""


class EmptyDocumentError(ParseError):
    """The input holds no article text."""


class BinaryDocumentError(ParseError):
    """The input is binary or cannot be decoded as text."""


class MalformedDocumentError(ParseError):
    """The input's format is broken (e.g. invalid JSON)."""
