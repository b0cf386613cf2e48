"""`with_raw_response`: the response behind a call, for a support ticket or a header.

`fs.instances.with_raw_response.get(id)` runs the same call as `fs.instances.get(id)`
(the same checks, retries and errors) and returns a `RawResponse`: the parsed value
and the final HTTP response it came from. The send path hands the response over
through a context variable set for that one call only, so concurrent calls (tasks,
threads) never see each other's.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from ._redact import Redactor, safe_response

T = TypeVar("T")

# Where the send path puts each API response of the call that set it (None: no call).
captured: ContextVar[list[tuple[httpx.Response, Redactor]] | None] = ContextVar(
    "fluidstack_client_captured", default=None
)

# Headers a server or its proxy names a request by, most specific first.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-correlation-id",
    "cf-ray",
)


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """What a call returned, and the HTTP response it came from.

    ```python
    raw = await fs.instances.with_raw_response.get(instance_id)
    print(raw.status_code, raw.request_id)
    instance = raw.parse()
    ```

    Attributes:
        http_response: The final `httpx.Response` (after any redirect a GET
            followed), its body read, with `Authorization` redacted and the token
            scrubbed from it, as on errors.
    """

    http_response: httpx.Response
    _parsed: T

    @property
    def status_code(self) -> int:
        """The response's HTTP status."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response's headers (the token scrubbed from their values)."""
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """The server's id for the request (`X-Request-Id`, `Request-Id`, and the
        like), for a support ticket; None when it sent none."""
        return request_id_of(self.http_response.headers)

    def parse(self) -> T:
        """What the plain call returns (a model, a list of them, or None).

        Returns:
            The parsed body, as the call without `with_raw_response` returns it.
        """
        return self._parsed


def request_id_of(headers: httpx.Headers) -> str | None:
    """The first request-id header a response carries (REQUEST_ID_HEADERS), or None."""
    for name in REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value
    return None


def capture_into(sink: list[tuple[httpx.Response, Redactor]]) -> object:
    """Start capturing this context's API responses into `sink`; returns the token
    `captured.reset()` takes."""
    return captured.set(sink)


def raw_response(sink: list[tuple[httpx.Response, Redactor]], parsed: T) -> RawResponse[T]:
    """The RawResponse of a call whose responses went into `sink` (the last is the
    call's own)."""
    response, redactor = sink[-1]
    return RawResponse(safe_response(response, redactor), parsed)
