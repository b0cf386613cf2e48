"""Turning what went wrong into the right `FluidstackError`: a status that is not the
operation's success (`status_error`), no usable response (`transport_error`), a 2xx
the spec does not document or a body that does not parse (`validation_error`).

Each error is built from a safe copy of what arrived (`_redact.py`), and every piece
of its text comes from that copy, so no cut or parse can bring back part of a secret.
"""

from __future__ import annotations

import json
import ssl

import httpx

from ._redact import (
    NO_SECRET,
    Redactor,
    clean,
    copy_response,
    display_url,
    redacted_request,
    safe_response,
    scrub_json,
)
from .errors import (
    AmbiguousWriteError,
    AmbiguousWriteTimeoutError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    UnprocessableEntityError,
    _rebuild,
)

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def fresh(error: BaseException) -> BaseException:
    """A copy of a shared outcome for one more caller to raise (raising one object in
    many places makes its traceback grow with every raiser's frames)."""
    try:
        copy: BaseException = _rebuild(type(error), error.args, dict(error.__dict__))
    except Exception:  # an exception type that cannot be rebuilt: share it
        return error
    copy.__cause__ = error.__cause__
    return copy


# Deeper bodies are not kept on an exception: pickling or printing one recurses.
MAX_BODY_DEPTH = 64


def safe_parts(response: httpx.Response, redactor: Redactor) -> tuple[httpx.Response, object]:
    """The safe copy of an error response and its parsed body, scrubbed after parsing
    too: a `\\u`-escaped or UTF-16 echo hides from the byte scrub. If the parse
    revealed one, the kept content is the scrubbed body, re-serialized."""
    response = safe_response(response, redactor)
    body = parse_body(response.content)
    scrubbed = scrub_json(body, redactor)
    if scrubbed != body:
        body = scrubbed
        response = copy_response(response, json.dumps(body).encode())
    return response, body


def parse_body(content: bytes) -> object:
    """The JSON value of an error body, or None (not JSON, or nested over
    MAX_BODY_DEPTH levels)."""
    if not content:
        return None
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return value if _depth_at_most(value, MAX_BODY_DEPTH) else None


def _depth_at_most(value: object, limit: int) -> bool:
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, list | dict)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return True
    return not any(isinstance(item, list | dict) for item in level)


def status_error(
    response: httpx.Response, redactor: Redactor = NO_SECRET, *, hint: str = ""
) -> APIStatusError:
    """The typed error for a status that is not the operation's success."""
    response, body = safe_parts(response, redactor)
    status = response.status_code
    if 300 <= status < 400:
        cls: type[APIStatusError] = RedirectError
    else:
        cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        message = clean(body["message"], redactor)
    else:
        message = snippet(response) or _reason(response)
    if cls is RedirectError:
        location = response.headers.get("Location")
        where = f"to {_location(response, location)}" if location else ""
        hint = f"; redirect {where or 'without a Location'} not followed {hint}".rstrip()
    return cls(message, response=response, body=body, hint=hint)


def _location(response: httpx.Response, location: str) -> str:
    try:
        return display_url(response.request.url.join(location))
    except (httpx.InvalidURL, ValueError, TypeError):
        return clean(repr(location), limit=300)


def _reason(response: httpx.Response) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return "(empty body)"


def snippet(response: httpx.Response, chars: int = 200) -> str:
    """A short, single-line excerpt of a (safe copy of a) response body."""
    text = " ".join(response.content[: chars * 8].decode("utf-8", "replace").split())
    return clean(text, limit=chars)


def transport_error(
    exc: BaseException,
    request: httpx.Request,
    redactor: Redactor = NO_SECRET,
    *,
    unknown_write: str | None = None,
) -> APIConnectionError:
    """The typed error for a request that got no usable response. `unknown_write`: the
    operation of a write that may have been carried out (`_retry.outcome_unknown`),
    which is then an AmbiguousWriteError saying so."""
    timeout = isinstance(exc, httpx.TimeoutException)
    cls = APITimeoutError if timeout else APIConnectionError
    tls = tls_failure(exc)
    if tls is not None:
        detail = f"TLS failed, not retried: {tls}"
    elif unusable_redirect(exc):
        detail = (
            "the server answered with a redirect whose Location is not a valid URL; "
            "not followed, not retried"
        )
    elif isinstance(exc, httpx.LocalProtocolError):
        # h11 quotes the offending header, which could be a secret: say only what it was.
        detail = "the request could not be sent (LocalProtocolError: an invalid header or body)"
    else:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    safe = redacted_request(request, redactor)
    if unknown_write is not None:
        kind = AmbiguousWriteTimeoutError if timeout else AmbiguousWriteError
        message = (
            f"{unknown_write} was sent, but its answer was lost ({clean(detail, redactor)}): "
            "it may have been carried out. It is not sent again; check before retrying "
            "(list what it would have made, e.g. instances by name)"
        )
        return kind(message, request=safe, operation=unknown_write)
    return cls(clean(detail, redactor), request=safe)


def unusable_redirect(exc: BaseException) -> bool:
    """httpx builds the next request of every 3xx, even when not following it, and
    raises RemoteProtocolError (losing the response) when its Location does not parse.
    The same answer would come again: not retried."""
    return isinstance(exc, httpx.RemoteProtocolError) and str(exc).startswith(
        "Invalid URL in location header"
    )


def tls_failure(exc: BaseException) -> BaseException | None:
    """The TLS error behind a transport failure (a bad certificate, a protocol
    mismatch), or None. Those are not transient, so they are not retried."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError) and not isinstance(seen, _TRANSIENT_TLS):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# An EOF or a reset mid-handshake can pass; "want read/write" is no failure at all, only
# non-blocking I/O asking to be called again (it is in the context of the async
# client's handshake timeout: a hang is a timeout, and is retried like one).
_TRANSIENT_TLS = (
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    ssl.SSLSyscallError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
)


WRITE_DONE = "; the write was carried out (its status says so), only its answer is unreadable"
DELETED_BEFORE = " (an earlier attempt may have deleted it: it is gone either way)"
WRITE_MAY_BE_DONE = (
    " (a write is not sent again: it may have been carried out before the server "
    "failed; check before retrying)"
)


def validation_error(
    response: httpx.Response, problem: str, redactor: Redactor = NO_SECRET, *, write: bool = False
) -> APIResponseValidationError:
    """The typed error for a 2xx the spec does not document, or a body that does not
    parse (`write`: of a request never sent twice, whose 2xx says it was done)."""
    response = safe_response(response, redactor)
    done = WRITE_DONE if write and 200 <= response.status_code < 300 else ""
    return APIResponseValidationError(
        f"{response.status_code} {clean(problem, redactor)}{done}; body starts: "
        f"{snippet(response) or '(empty)'}",
        response=response,
    )
