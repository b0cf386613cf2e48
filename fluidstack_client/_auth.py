"""The bearer token: checked once, kept out of every repr and pickle, and attached
only to requests for the origin it is meant for."""

from __future__ import annotations

import re

import httpx

from ._logscrub import watch
from .errors import ConfigurationError, Redactor

# RFC 6750's b64token is narrower; any visible ASCII character can go in a header
# as is. Anything else (NUL, VT, a space, non-ASCII) would make h11 reject the
# header and quote it, token and all, in its error.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Auth0 JWTs are 1-2 KB; servers refuse headers much over 8-16 KB anyway.
MAX_TOKEN_CHARS = 16 * 1024


def check_token(value: object) -> str:
    """`value` as a token that can be sent in a header, or a ConfigurationError that
    does not repeat it."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("the API token must be a non-empty string")
    token = value.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise ConfigurationError(
            f"the API token is {len(token):,} characters long; a real one is a few "
            f"thousand at most ({MAX_TOKEN_CHARS:,} accepted)"
        )
    if _HEADER_SAFE.fullmatch(token) is None:
        position = next(i for i, ch in enumerate(token) if not _HEADER_SAFE.fullmatch(ch))
        raise ConfigurationError(
            "the API token contains a character that cannot be sent in an HTTP header "
            f"(whitespace, a control character or non-ASCII, at position {position}); "
            "the token is not shown here"
        )
    return token


class Secret:
    """A token: prints as `Secret('***')` wherever it ends up, and refuses to be pickled.

    What a `TokenProvider` hands the client. While it lives, its value is scrubbed
    from httpx's and httpcore's log records and from what the server sends back.

    Args:
        value: The token. Checked: characters a header cannot carry, or over 16 KiB,
            raise `ConfigurationError` (the message does not repeat it).
        also: Other secrets that travel with it (a client secret), scrubbed the same.

    Attributes:
        redactor: Scrubs this token (and `also`) from text and bytes.
    """

    __slots__ = ("_value", "redactor")

    def __init__(self, value: str, *, also: tuple[str, ...] = ()) -> None:
        self._value = check_token(value)
        # `also`: other secrets that travel with this token (a client secret), scrubbed
        # from what the server sends back just the same.
        self.redactor = Redactor(self._value, *also)
        watch(self.redactor)

    def reveal(self) -> str:
        """The token itself, for a provider that must compare or store it.

        Returns:
            The token as given (stripped).
        """
        return self._value

    @property
    def header(self) -> str:
        """The `Authorization` header value: `Bearer <token>`."""
        return f"Bearer {self._value}"

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("the Fluidstack token cannot be pickled")


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
