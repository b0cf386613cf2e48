"""Every error the client raises. All of them derive from `FluidstackError`.

```
FluidstackError
├── ConfigurationError            no token, a malformed or plain-http base URL, a NaN option, ...
├── InvalidParameterError         a bad argument, caught before anything is sent (also a ValueError)
├── RegionNotFoundError           region(name) with a name /regions does not list
├── RegionURLError                a region URL that is not https (and not loopback) or malformed
├── WaitTimeoutError              a waiter's timeout passed (.last: the last instance seen)
├── InstanceStateError            a waited-for instance entered a failed state (.instance)
└── APIError                      something went wrong talking to the API
    ├── APIConnectionError        no usable response: refused, reset, dropped, DNS, TLS, ...
    │   ├── APITimeoutError       connect/read/write/pool timeout, or the attempt's deadline
    │   └── AmbiguousWriteError   a write's answer was lost after it was sent: it may have
    │       │                     been carried out (.method, .url, .operation)
    │       └── AmbiguousWriteTimeoutError   the same, lost to a timeout (also an
    │                                        APITimeoutError)
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

from typing import TYPE_CHECKING, Any

import httpx

from ._raw import request_id_of
from ._redact import clean, display_url

if TYPE_CHECKING:  # (the regional models load on first use, never with the errors)
    from ._generated.region.models import Instance, Project

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AmbiguousWriteTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "FluidstackError",
    "InstanceStateError",
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
    "WaitTimeoutError",
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


class WaitTimeoutError(FluidstackError):
    """A waiter (`instances.wait()`, `wait_deleted()`) ran out of time.

    ```python
    try:
        await region.instances.wait(instance_id, timeout=600)
    except WaitTimeoutError as exc:
        print("still", exc.last.state if exc.last else "unknown")
    ```

    Args:
        message: What was waited for, and how long.
        last: The last object the waiter saw, or None.

    Attributes:
        message: What was waited for, and how long.
        last: The last object seen (an instance, say), or None if no poll succeeded.
    """

    def __init__(self, message: str, *, last: Instance | Project | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last = last


class InstanceStateError(FluidstackError):
    """An instance being waited for entered a state that ends the wait as a failure
    (`fail_on`: `error`, `out-of-stock` by default).

    ```python
    try:
        await region.instances.wait(instance.id)
    except InstanceStateError as exc:
        await region.instances.delete(exc.instance.id)  # out of stock: clean up
    ```

    Args:
        message: Which instance, which state.
        instance: The instance as last seen.

    Attributes:
        message: Which instance, and the state that ended the wait.
        instance: The instance, in the state that ended the wait.
    """

    def __init__(self, message: str, *, instance: Instance) -> None:
        super().__init__(message)
        self.message = message
        self.instance = instance


class APIError(FluidstackError):
    """Talking to the API failed.

    `str(exc)` is `METHOD URL: message` (the URL without query or credentials).

    Args:
        message: What went wrong, safe to print.
        request: The request, if one was built.

    Attributes:
        message: What went wrong, without the method and URL.
        request: The request sent, with `Authorization` redacted and the token
            scrubbed from its other headers and URL, or None.
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


class AmbiguousWriteError(APIConnectionError):
    """A write (a POST) was sent, and its answer lost: it may have been carried out.

    The connection was reset, dropped, or timed out after the request left, so the
    client cannot tell whether the server acted on it, and does not send it again (a
    second `instances.create` would be a second GPU instance). Check before trying
    again: list what the write would have made (instances by name) and adopt it.

    ```python
    try:
        instance = await region.instances.create(name="train-0", type=gpu)
    except AmbiguousWriteError:
        found = [i for i in await region.instances.list() if i.name == "train-0"]
        instance = found[0] if found else await region.instances.create(
            name="train-0", type=gpu
        )
    ```

    Args:
        message: What went wrong, safe to print.
        request: The request (a safe copy).
        operation: The spec's operation (`create_instance`).

    Attributes:
        method: The request's method (`POST`).
        url: Where it went, as errors show URLs (no query, no credentials).
        operation: The spec's operation it belongs to (`create_instance`).
    """

    def __init__(self, message: str, *, request: httpx.Request, operation: str) -> None:
        super().__init__(message, request=request)
        self.method = request.method
        self.url = display_url(request.url)
        self.operation = operation


class AmbiguousWriteTimeoutError(AmbiguousWriteError, APITimeoutError):
    """An `AmbiguousWriteError` whose answer was lost to a timeout: also an
    `APITimeoutError`, for code that catches timeouts.

    ```python
    except AmbiguousWriteError as exc:  # catches this one too
        log.warning("%s may have happened: %s", exc.operation, exc)
    ```
    """


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

    @property
    def request_id(self) -> str | None:
        """The server's id for the request (`X-Request-Id` and the like), for a support
        ticket; None when it sent none."""
        return request_id_of(self.response.headers)


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
