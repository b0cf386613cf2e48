"""Every error the client raises. All of them derive from `FluidstackError`.

```
FluidstackError
├── ConfigurationError            no token, a malformed base URL, ...
├── InvalidParameterError         a bad argument, caught before anything is sent (also a ValueError)
├── RegionNotFoundError           region(name) with a name /regions does not list
├── RegionURLError                a region URL that is not https (and not loopback) or malformed
└── APIError                      something went wrong talking to the API
    ├── APIConnectionError        no usable response: refused, reset, dropped, DNS, ...
    │   └── APITimeoutError
    ├── APIResponseValidationError  a 2xx whose body is not what the spec says
    └── APIStatusError            any non-2xx status (.status_code, .message, .response)
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404
        ├── ConflictError               409
        ├── UnprocessableEntityError    422
        ├── RateLimitError              429
        └── InternalServerError         >= 500
```

Messages never contain the bearer token: text the server echoes back is scrubbed.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import httpx

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
    "RegionNotFoundError",
    "RegionURLError",
    "UnprocessableEntityError",
]

_SNIPPET_CHARS = 200


class FluidstackError(Exception):
    """Base class of every error raised by fluidstack_client."""


class ConfigurationError(FluidstackError):
    """The client cannot be set up as asked (for example: no token)."""


class InvalidParameterError(FluidstackError, ValueError):
    """An argument was rejected before any request was sent."""


class RegionNotFoundError(FluidstackError):
    """`region(name)` was asked for a region the API does not list."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(repr(k) for k in known) or "none"
        super().__init__(f"unknown region {name!r}; known regions: {listed}")


class RegionURLError(FluidstackError):
    """A region URL was refused (not https and not loopback, or malformed)."""


class APIError(FluidstackError):
    """Talking to the API failed. `request` is the last request sent, if any."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No usable HTTP response arrived (connection refused, reset or dropped)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""


class APIResponseValidationError(APIError):
    """A successful response whose body does not match the spec."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The API answered with a non-2xx status."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code

    def __str__(self) -> str:
        return f"{self.status_code} {_reason(self.status_code)}: {self.message}"


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


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "[REDACTED]") if secret else text


def snippet(response: httpx.Response, secret: str | None = None) -> str:
    """A short, single-line, token-free excerpt of a response body."""
    text = " ".join(response.content[: _SNIPPET_CHARS * 4].decode("utf-8", "replace").split())
    if len(text) > _SNIPPET_CHARS:
        text = text[:_SNIPPET_CHARS] + "..."
    return _scrub(text, secret)


def _error_message(response: httpx.Response, secret: str | None) -> str:
    """The spec's `Error.message` when the body is one, else a body snippet."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return _scrub(body["message"], secret)
    return snippet(response, secret) or "(empty body)"


def status_error(response: httpx.Response, secret: str | None = None) -> APIStatusError:
    """The typed error for a non-2xx response; any status code at all maps to one."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(_error_message(response, secret), response=response)


def transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    """The typed error for a request that got no usable response."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    detail = str(exc) or type(exc).__name__
    return cls(f"{request.method} {request.url.path}: {detail}", request=request)


def validation_error(
    response: httpx.Response, problem: BaseException, secret: str | None = None
) -> APIResponseValidationError:
    """The typed error for a 2xx body the generated models could not parse."""
    what = _scrub(f"{type(problem).__name__}: {problem}", secret)
    return APIResponseValidationError(
        f"{response.request.method} {response.request.url.path} returned {response.status_code} "
        f"with a body that does not match the spec ({what}); body starts: "
        f"{snippet(response, secret) or '(empty)'}",
        response=response,
    )
