"""Which redirects the client follows. A pure decision; the clients do the I/O.

The spec documents no redirects, so a 3xx is followed only where that is harmless:
for a read (GET), at most `MAX_REDIRECTS` times, and never to plain http (except
from loopback to loopback, for local test servers). A write answered with a 3xx
is never re-sent anywhere: it raises `RedirectError`, because the server may have
acted on it (and a 302 to a login page is not the write's success). The token goes
only to the client's own origin on every hop (`_auth.authorize`).
"""

from __future__ import annotations

import httpx

from ._config import is_loopback

MAX_REDIRECTS = 5


def follow(response: httpx.Response, redirects_done: int) -> httpx.Request | str:
    """The request that follows the 3xx `response` to a GET, or why it is not followed."""
    request = response.request
    if request.method != "GET":
        return "(writes are never redirected)"
    target = response.next_request
    if target is None:
        return ""
    if redirects_done >= MAX_REDIRECTS:
        return f"(stopped after {MAX_REDIRECTS} redirects)"
    url = target.url
    secure = url.scheme == "https" or (
        url.scheme == "http" and request.url.scheme == "http" and is_loopback(url.host)
    )
    if not secure:
        return "(a redirect to plain http is never followed)"
    target.headers.pop("Authorization", None)
    return target
