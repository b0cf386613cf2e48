"""Which redirects the client follows. A pure decision; the clients do the I/O.

The spec documents no redirects, so a 3xx is followed only where that is harmless:
for a read (GET), within the client's own origin (scheme, host and effective
port), at most `MAX_REDIRECTS` times. A read is never taken to another origin: an
answer from there (a /regions table, say) would be trusted as the API's own. A
write answered with a 3xx is never re-sent anywhere: it raises `RedirectError`,
because the server may have acted on it (and a 302 to a login page is not the
write's success).
"""

from __future__ import annotations

import httpx

from ._auth import origin

MAX_REDIRECTS = 5


def follow(
    response: httpx.Response, redirects_done: int, home: tuple[str, str, int | None]
) -> httpx.Request | str:
    """The request that follows the 3xx `response` to a GET, or why it is not followed."""
    if response.request.method != "GET":
        return "(writes are never redirected)"
    target = response.next_request
    if target is None:
        return ""
    if redirects_done >= MAX_REDIRECTS:
        return f"(stopped after {MAX_REDIRECTS} redirects)"
    if origin(target.url) != home:
        return "(a redirect to another origin is never followed)"
    target.headers.pop("Authorization", None)
    return target
