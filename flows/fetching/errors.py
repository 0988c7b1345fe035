"""What can go wrong fetching one URL, as one exception tree. Every error while fetching a URL
is a ``FetchError`` for that URL, and each is either transient (trying again may help: the
client retries it, and a later run fetches the link again) or permanent — by its class, never
by a flag of one instance:

    FetchError                    base (.url, .reason, .kind, .transient, .retry_later)
    ├── TransientFetchError       trying again may help
    │   ├── ConnectionFailedError refused or reset connection
    │   ├── FetchTimeoutError     connect, read or total timeout
    │   └── ServerBusyError       HTTP 429 and 5xx (honours Retry-After)
    └── PermanentFetchError       trying again will not help
        ├── HostNotFoundError     the host name does not resolve
        ├── PageStatusError       any other status outside 2xx/304 (404, 410, 403, a 3xx without
        │                         Location)
        ├── TooLargeError         body beyond the cap (the download is aborted)
        ├── ContentTypeError      not the type asked for
        ├── RobotsDisallowedError robots.txt disallows our user agent (or could not be read:
        │                         ``retry_later``, the link waits for the next run)
        ├── RedirectError         too many redirects, a loop, or a malformed Location
        ├── ContentEncodingError  a body whose Content-Encoding does not decode, or more than two
        │                         content-coding layers
        ├── BadURLError           a link that is not a valid http(s) URL
        └── ForbiddenAddressError the host resolves to a private, loopback, link-local or
                                  multicast address that is not allowed

``kind`` names the failure in summaries and stored reasons ("unreachable", "timeout", "http",
...); the names differ from httpx's own exceptions (``httpx.HTTPStatusError``) on purpose.
"""

from __future__ import annotations


class FetchError(Exception):
    """A URL could not be fetched. ``kind`` names the failure for summaries, ``transient``
    (of the class) says whether trying again at once may help, ``retry_later`` whether a later
    run should (every transient error, and an origin whose robots.txt was unavailable)."""

    kind = "fetch"
    transient = False

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        retry_after: float | None = None,
        retry_later: bool | None = None,
    ) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason
        self.retry_after = retry_after
        self.retry_later = self.transient if retry_later is None else retry_later


class TransientFetchError(FetchError):
    transient = True


class PermanentFetchError(FetchError):
    transient = False


class ConnectionFailedError(TransientFetchError):
    kind = "unreachable"


class FetchTimeoutError(TransientFetchError):
    kind = "timeout"


class ServerBusyError(TransientFetchError):
    kind = "http"


class HostNotFoundError(PermanentFetchError):
    kind = "unreachable"


class PageStatusError(PermanentFetchError):
    kind = "http"


class TooLargeError(PermanentFetchError):
    kind = "too_large"


class ContentTypeError(PermanentFetchError):
    kind = "content_type"


class RobotsDisallowedError(PermanentFetchError):
    kind = "robots"


class RedirectError(PermanentFetchError):
    kind = "redirect"


class ForbiddenAddressError(PermanentFetchError):
    kind = "forbidden_address"


class ContentEncodingError(PermanentFetchError):
    kind = "content_encoding"


class BadURLError(PermanentFetchError):
    kind = "invalid_url"
