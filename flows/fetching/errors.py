"""What can go wrong fetching one URL, as one exception tree (every error while fetching a URL
is a FetchError for that URL, never another kind):

    FetchError                  base: a URL could not be fetched (.reason, .transient, .kind)
    ├── UnreachableError        DNS failure (permanent), refused/reset connection (transient)
    ├── FetchTimeoutError       connect, read or total timeout (transient)
    ├── HTTPStatusError         4xx (permanent); 429 and 5xx (transient, honours Retry-After)
    ├── TooLargeError           body beyond ``max_bytes`` (permanent; the download is aborted)
    ├── ContentTypeError        not the type asked for (permanent)
    ├── RobotsDisallowedError   robots.txt disallows our user agent (permanent)
    ├── RedirectError           more than ``max_redirects`` redirects, a loop, or a malformed
    │                           Location (permanent)
    ├── ContentEncodingError    a body whose Content-Encoding does not decode, or with more than
    │                           two content-coding layers (permanent)
    ├── BadURLError             a link that is not a valid http(s) URL (permanent)
    └── ForbiddenAddressError   the host resolves to a private, loopback, link-local or
                                multicast address that is not allowed (permanent)
"""

from __future__ import annotations


class FetchError(Exception):
    """A URL could not be fetched. ``kind`` names the failure for summaries, ``transient``
    says whether trying again at once may help, ``retry_later`` whether a later run should
    (every transient error, and an origin whose robots.txt was unavailable this run)."""

    kind = "fetch"
    transient = False

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        transient: bool | None = None,
        retry_after: float | None = None,
        retry_later: bool | None = None,
    ) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason
        if transient is not None:
            self.transient = transient
        self.retry_after = retry_after
        self.retry_later = self.transient if retry_later is None else retry_later


class UnreachableError(FetchError):
    kind = "unreachable"
    transient = True


class FetchTimeoutError(FetchError):
    kind = "timeout"
    transient = True


class HTTPStatusError(FetchError):
    kind = "http"


class TooLargeError(FetchError):
    kind = "too_large"


class ContentTypeError(FetchError):
    kind = "content_type"


class RobotsDisallowedError(FetchError):
    kind = "robots"


class RedirectError(FetchError):
    kind = "redirect"


class ForbiddenAddressError(FetchError):
    kind = "forbidden_address"


class ContentEncodingError(FetchError):
    kind = "content_encoding"


class BadURLError(FetchError):
    kind = "invalid_url"
