"""The bearer token: kept out of every repr, and sent only to the origin it is meant for."""

from __future__ import annotations

from collections.abc import Generator

import httpx


class Secret:
    """Holds the token; prints as `Secret('***')` wherever it ends up."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("the Fluidstack token cannot be pickled")


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer ...` to requests for one origin, and only that one.

    httpx re-runs the auth flow for every redirect hop, so a redirect to another
    origin (scheme, host or port) goes out without the token.
    """

    def __init__(self, token: Secret, base_url: httpx.URL) -> None:
        self._token = token
        self._origin = origin(base_url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if origin(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        else:
            request.headers.pop("Authorization", None)
        yield request

    def __repr__(self) -> str:
        scheme, host, port = self._origin
        return f"BearerAuth(origin='{scheme}://{host}{f':{port}' if port else ''}')"
