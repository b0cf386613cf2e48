"""Every error the client raises. All of them derive from `FluidstackError`.

```
FluidstackError
├── ConfigurationError            no token, a malformed or plain-http base URL, a NaN option, ...
├── InvalidParameterError         a bad argument, caught before anything is sent (also a ValueError)
├── RegionNotFoundError           region(name) with a name /regions does not list
├── RegionURLError                a region URL that is not https (and not loopback) or malformed
└── APIError                      something went wrong talking to the API
    ├── APIConnectionError        no usable response: refused, reset, dropped, DNS, TLS, ...
    │   └── APITimeoutError       connect/read/write/pool timeout, or the attempt's deadline
    ├── APIResponseValidationError  a 2xx the spec does not document, or whose body is not
    │   │                           what the spec says
    │   └── ResponseTooLargeError   a body over the client's size cap
    └── APIStatusError            any other status (.status_code, .message, .body, .response)
        ├── RedirectError               3xx not followed (writes are never redirected)
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404
        ├── ConflictError               409
        ├── UnprocessableEntityError    422
        ├── RateLimitError              429
        └── InternalServerError         >= 500
```

What a person or a log sees is safe: `str(exc)` is one line, names the method and
the URL (without query or credentials), and carries server text only with control
characters escaped and capped in length; the bearer token is scrubbed from it. The
`request` and `response` on an exception have `Authorization` redacted and the
token scrubbed from the body, and every exception survives `pickle`.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._redact import clean, display_url

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "FluidstackError",
    "InternalServerError",
    "InvalidParameterError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RegionNotFoundError",
    "RegionURLError",
    "ResponseTooLargeError",
    "UnprocessableEntityError",
]


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class FluidstackError(Exception):
    """Base class of every error raised by fluidstack_client."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt without calling __init__, so keyword-only constructors round-trip
        # through pickle (multiprocessing, task queues).
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConfigurationError(FluidstackError):
    """The client cannot be set up as asked (for example: no token)."""


class InvalidParameterError(FluidstackError, ValueError):
    """An argument was rejected before any request was sent."""


class RegionNotFoundError(FluidstackError):
    """`region(name)` was asked for a region the API does not list.

    Args:
        name: The name asked for.
        known: The names `/regions` lists.

    Attributes:
        name: The name asked for.
        known: The names `/regions` lists (the message shows up to 50).
    """

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(clean(repr(k), limit=80) for k in known[:50]) or "none"
        super().__init__(f"unknown region {clean(repr(name), limit=80)}; known regions: {listed}")


class RegionURLError(FluidstackError):
    """A region URL was refused (not https and not loopback, or malformed)."""


class APIError(FluidstackError):
    """Talking to the API failed.

    `str(exc)` is `METHOD URL: message` (the URL without query or credentials).

    Args:
        message: What went wrong, safe to print.
        request: The request, if one was built.

    Attributes:
        message: What went wrong, without the method and URL.
        request: The request sent, with `Authorization` redacted, or None.
    """

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        where = f"{request.method} {display_url(request.url)}: " if request is not None else ""
        super().__init__(where + message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No usable HTTP response arrived (connection refused, reset or dropped, TLS failure)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write, a pooled connection, or the deadline)."""


class APIResponseValidationError(APIError):
    """A 2xx the spec does not document for the operation, or a body that does not match it.

    Args:
        message: What is wrong with the response.
        response: The response (a safe copy: token scrubbed).

    Attributes:
        response: The response, token scrubbed; `response.content` is its body.
        status_code: Its HTTP status.
    """

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code


class ResponseTooLargeError(APIResponseValidationError):
    """The response body was larger than the client's `max_response_size`.

    Args:
        message: What was refused.
        response: The response (its body not read).
        limit: The cap, in bytes.

    Attributes:
        limit: The cap that was exceeded, in bytes.
    """

    def __init__(self, message: str, *, response: httpx.Response, limit: int) -> None:
        super().__init__(message, response=response)
        self.limit = limit


class APIStatusError(APIError):
    """The API answered with a status other than the operation's success.

    `str(exc)` is `METHOD URL: STATUS message`.

    Args:
        message: The server's message.
        response: The response (a safe copy).
        body: Its parsed JSON body.
        hint: Added to `str(exc)`: what the client knows about the cause.

    Attributes:
        message: The server's `Error.message` (or a body excerpt, or the reason
            phrase), made safe to print.
        response: The response, `Authorization` redacted and the token scrubbed;
            `response.content` is the body as received, up to 64 KiB.
        status_code: The HTTP status.
        body: The parsed JSON body, or None (not JSON).
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object = None, hint: str = ""
    ) -> None:
        super().__init__(f"{response.status_code} {message}{hint}", request=response.request)
        self.message = message
        self.response = response
        self.status_code = response.status_code
        self.body = body


class RedirectError(APIStatusError):
    """A 3xx that was not followed: the API documents no redirects, writes are never
    redirected, and reads are followed only within the client's own origin, at most
    5 times.
    `location` is the `Location` header, if any."""

    @property
    def location(self) -> str | None:
        """The `Location` header, or None."""
        value: str | None = self.response.headers.get("Location")
        return value


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401: the token is missing, malformed, expired or wrong."""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class ConflictError(APIStatusError):
    """409 (for example: an SSH key with that name already exists)."""


class UnprocessableEntityError(APIStatusError):
    """422"""


class RateLimitError(APIStatusError):
    """429"""


class InternalServerError(APIStatusError):
    """Any status >= 500, including edge-proxy codes such as 520."""
