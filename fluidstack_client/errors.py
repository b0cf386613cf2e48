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

import json
import ssl
from typing import Any, Generic, TypeVar

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
    "RedirectError",
    "RegionNotFoundError",
    "RegionURLError",
    "ResponseTooLargeError",
    "UnprocessableEntityError",
]

S = TypeVar("S")
MESSAGE_CHARS = 500  # server text in str(exc) is cut here
REDACTED = "[REDACTED]"


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


def fresh(error: BaseException) -> BaseException:
    """A copy of a shared outcome for one more caller to raise (raising one object in
    many places makes its traceback grow with every raiser's frames)."""
    try:
        copy: BaseException = _rebuild(type(error), error.args, dict(error.__dict__))
    except Exception:  # an exception type that cannot be rebuilt: share it
        return error
    copy.__cause__ = error.__cause__
    return copy


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


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# -- making text safe to print ---------------------------------------------------------

# C0, DEL, C1, line/paragraph separators and bidi controls: each could forge or hide
# a log line. They are shown escaped instead.
_UNSAFE = [
    *range(0x20),
    *range(0x7F, 0xA0),
    0xAD,  # soft hyphen
    0x061C,  # Arabic letter mark
    0x180E,  # Mongolian vowel separator
    *range(0x200B, 0x2010),  # zero-width spaces and joiners, LRM, RLM
    *range(0x2028, 0x202F),  # line and paragraph separators, bidi embeddings
    *range(0x2060, 0x2065),  # word joiner and invisible operators
    *range(0x2066, 0x206A),  # bidi isolates
    0xFEFF,  # zero-width no-break space
    *range(0xE0000, 0xE0080),  # tag characters
]
_ESCAPES = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"
    for c in _UNSAFE
}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})


# Shorter secrets (test tokens like "t") are not scrubbed: replacing every "t" in a
# message protects nothing and makes it unreadable.
MIN_SCRUBBED = 8


class Sealed(Generic[S]):
    """Secret material that prints as `***` and refuses to be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: S) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "***"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("secret material cannot be pickled")


class Redactor:
    """Scrubs secrets from text and bytes, in the forms a server may echo them in: as
    is, JSON-escaped (also with `\\/`), URL- or form-encoded, HTML-escaped.

    Args:
        secrets: The secrets (None and empty ones are skipped).
        always: Scrub secrets shorter than 8 characters too (a test token of that
            length would otherwise turn every common word into `[REDACTED]`).

    Attributes:
        margin: The length of the longest form of a secret: text cut this far past a
            limit leaves no partial echo before it.
    """

    __slots__ = ("__weakref__", "_forms", "margin")

    def __init__(self, *secrets: str | None, always: bool = False) -> None:
        # `always`: scrub even a short secret (a client secret is never harmless).
        forms: set[str] = set()
        for secret in secrets:
            if secret and (always or len(secret) >= MIN_SCRUBBED):
                import html
                from urllib.parse import quote, quote_plus

                escaped = json.dumps(secret)[1:-1]
                forms |= {
                    secret,
                    escaped,
                    escaped.replace("/", "\\/"),
                    quote(secret, safe=""),
                    quote(secret),
                    quote_plus(secret),
                    html.escape(secret),
                }
        texts = tuple(sorted(forms, key=len, reverse=True))
        # (A JSON body in UTF-16, or with the secret \\u-escaped, hides it from this
        # byte scrub; status_error scrubs the parsed body as well.)
        self._forms = Sealed((texts, tuple(f.encode() for f in texts)))
        # A cut this much past a limit leaves no partial echo before the limit.
        self.margin = max(map(len, texts), default=0)

    def text(self, text: str) -> str:
        """`text` with every form of every secret replaced by `[REDACTED]`.

        Args:
            text: Any text.

        Returns:
            The scrubbed text (the same object when there was nothing to scrub).
        """
        for form in self._forms._value[0]:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def bytes(self, data: bytes) -> bytes:
        """`data` with every form of every secret replaced by `[REDACTED]`.

        Args:
            data: Any bytes.

        Returns:
            The scrubbed bytes (the same object when there was nothing to scrub).
        """
        for form in self._forms._value[1]:
            if form in data:
                data = data.replace(form, REDACTED.encode())
        return data

    def __repr__(self) -> str:
        return "Redactor(***)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Redactor holds a secret and cannot be pickled")


NO_SECRET = Redactor()


def scrub_json(value: object, redactor: Redactor) -> object:
    """A parsed JSON value with the secret scrubbed from every string in it (after
    decoding: a `\\u0073...` escape or a UTF-16 body hides it from a byte scrub)."""
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, list):
        return [scrub_json(v, redactor) for v in value]
    if isinstance(value, dict):
        return {redactor.text(k): scrub_json(v, redactor) for k, v in value.items()}
    return value


def clean(text: str, redactor: Redactor = NO_SECRET, *, limit: int = MESSAGE_CHARS) -> str:
    """Server (or other untrusted) text made safe for one log line: the secret scrubbed
    first, control characters escaped, then cut to `limit` characters."""
    text = redactor.text(text).translate(_ESCAPES)
    if len(text) > limit:
        text = f"{text[:limit]}... [{len(text) - limit} more characters]"
    return text


def display_url(url: httpx.URL, redactor: Redactor = NO_SECRET) -> str:
    """The URL as errors show it: no credentials, no query, no fragment."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port is not None else ""
    return clean(f"{url.scheme}://{host}{port}{url.path}", redactor, limit=300)


# -- building the errors ---------------------------------------------------------------
#
# An exception is built from a *safe copy* of what arrived (the token scrubbed from
# the body, the headers and the URL; Authorization redacted), and every piece of its
# text is derived from that copy, so no cut or parse can bring back a part of it.


def redacted_request(request: httpx.Request, redactor: Redactor = NO_SECRET) -> httpx.Request:
    """A copy of `request` fit to keep on an exception: `Authorization` redacted, and
    the token scrubbed from its URL (a redirect hop's URL comes from the server)."""
    headers = request.headers.copy()
    headers.pop("Content-Length", None)  # set again for the (scrubbed) content
    if "Authorization" in headers:
        headers["Authorization"] = REDACTED
    try:
        content = redactor.bytes(request.content)  # a token request's form holds a secret
    except httpx.RequestNotRead:
        content = b""
    url = request.url
    shown = str(url)
    if redactor.text(shown) != shown:
        url = httpx.URL(redactor.text(shown))
    return httpx.Request(request.method, url, headers=headers, content=content)


# Framing headers describe the bytes on the wire, not a body already decoded.
_FRAMING = ("content-encoding", "content-length", "transfer-encoding")


def copy_response(
    response: httpx.Response,
    content: bytes,
    redactor: Redactor = NO_SECRET,
    *,
    request: httpx.Request | None = None,
) -> httpx.Response:
    """A plain response with `content` as its (decoded) body: the secret scrubbed from
    its header values and reason phrase, its framing headers recomputed."""
    return httpx.Response(
        response.status_code,
        headers=[
            (k, redactor.text(v)) for k, v in response.headers.multi_items() if k not in _FRAMING
        ],
        content=content,
        request=response.request if request is None else request,
        extensions={
            "http_version": response.extensions.get("http_version", b"HTTP/1.1"),
            "reason_phrase": redactor.bytes(response.extensions.get("reason_phrase", b"")),
        },
    )


def safe_response(response: httpx.Response, redactor: Redactor) -> httpx.Response:
    """A copy of a read `response` fit to keep on an exception (see above)."""
    request = redacted_request(response.request, redactor)
    return copy_response(response, redactor.bytes(response.content), redactor, request=request)


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
    exc: BaseException, request: httpx.Request, redactor: Redactor = NO_SECRET
) -> APIConnectionError:
    """The typed error for a request that got no usable response."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
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
    return cls(clean(detail, redactor), request=redacted_request(request, redactor))


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


_TRANSIENT_TLS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


def validation_error(
    response: httpx.Response, problem: str, redactor: Redactor = NO_SECRET
) -> APIResponseValidationError:
    """The typed error for a 2xx the spec does not document, or a body that does not parse."""
    response = safe_response(response, redactor)
    return APIResponseValidationError(
        f"{response.status_code} {clean(problem, redactor)}; body starts: "
        f"{snippet(response) or '(empty)'}",
        response=response,
    )
