"""Where the token may go: only in the `Authorization` header, and only on requests for
the origin it is meant for (scheme, host and effective port). How it is kept out of
output is `_redact.py`'s concern."""

from __future__ import annotations

import httpx

from ._redact import Secret

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and *effective* port: httpx reports a default port as None, so
    http://h:80 and http://h are one origin, and http://h:80 and https://h:443 two."""
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


def authorize(
    request: httpx.Request, token: Secret | None, home: tuple[str, str, int | None]
) -> None:
    """Put the token on `request` if it goes to `home`; make sure it carries none otherwise."""
    if token is not None and origin(request.url) == home:
        request.headers["Authorization"] = token.header
    else:
        request.headers.pop("Authorization", None)
