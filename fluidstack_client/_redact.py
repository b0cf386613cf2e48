"""How the token (and any other secret) is kept out of everything a person or a log sees.

One module, one story:

1. **Held sealed.** A token lives in a `Secret` (checked once: only characters a
   header can carry, at most 16 KiB); a client secret in a `Sealed`. Both print as
   stars and refuse to be pickled, so no `repr`, traceback or task queue shows one.
2. **Scrubbed from what comes back.** Each `Secret` has a `Redactor` that knows every
   form a server may echo it in (as is, JSON-escaped, URL- or form-encoded,
   HTML-escaped) and replaces it with `[REDACTED]`, in text and in bytes.
   `scrub_json` does the same after a body is parsed (a `\\u`-escaped or UTF-16
   echo hides from a byte scrub).
3. **Made safe to print.** `clean` scrubs, escapes control, bidi and invisible
   characters (each could forge or hide a log line) and cuts server text to a
   length; `display_url` shows a URL without credentials, query or fragment.
4. **Kept only as safe copies.** An exception holds `redacted_request` /
   `safe_response` copies: `Authorization` redacted, the token scrubbed from the URL,
   headers, reason phrase and body, framing headers recomputed.
5. **Out of other libraries' logs.** httpx and httpcore log URLs, reason phrases and
   headers; every live `Redactor` is `watch`ed, and a filter on those loggers scrubs
   each record before any handler sees it (free unless those loggers are enabled).

Where the token may *go* (only in the Authorization header, only to its own origin)
is `_auth.py`'s concern; turning a response into an error is `_error_mapping.py`'s.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import weakref
from typing import Generic, TypeVar

import httpx

from . import _fork

S = TypeVar("S")
MESSAGE_CHARS = 500  # server text in str(exc) is cut here
REDACTED = "[REDACTED]"

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


def scrub_encoded(content: bytes, redactor: Redactor) -> bytes:
    """A JSON body with the secret scrubbed also where JSON hides it from a byte scrub
    (a `\\u` escape, a UTF-16 or UTF-32 body): parsed, scrubbed and written again,
    only when the body could hide one and does. Anything else is returned as it is."""
    could_hide = b"\\u" in content or b"\x00" in content[:4] or content[:2] in _UTF16_BOMS
    if not could_hide or redactor is NO_SECRET:
        return content
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):
        return content  # not JSON: nothing decodes an escape in it
    scrubbed = scrub_json(value, redactor)
    if scrubbed == value:  # (a NaN in it never is: written again, the same values)
        return content
    return json.dumps(scrubbed, ensure_ascii=False).encode()


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


# -- safe copies to keep on an error ---------------------------------------------------------------
#
# An exception is built from a *safe copy* of what arrived (the token scrubbed from
# the body, the headers and the URL; Authorization redacted), and every piece of its
# text is derived from that copy, so no cut or parse can bring back a part of it.


def redacted_request(request: httpx.Request, redactor: Redactor = NO_SECRET) -> httpx.Request:
    """A copy of `request` fit to keep on an exception: `Authorization` redacted, and
    the token scrubbed from its other headers' values (a cookie the server set holds
    what it chose) and from its URL (a redirect hop's URL comes from the server)."""
    headers = httpx.Headers(
        [
            (k, REDACTED.encode() if k.lower() == b"authorization" else redactor.bytes(v))
            for k, v in request.headers.raw
            if k.lower() != b"content-length"  # set again for the (scrubbed) content
        ]
    )
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
_FRAMING = (b"content-encoding", b"content-length", b"transfer-encoding")


def copy_response(
    response: httpx.Response,
    content: bytes,
    redactor: Redactor = NO_SECRET,
    *,
    request: httpx.Request | None = None,
) -> httpx.Response:
    """A plain response with `content` as its (decoded) body: the secret scrubbed from
    its header values and reason phrase, its framing headers recomputed. The headers
    are copied as the bytes that came (a value in UTF-8 or Latin-1 is not ASCII, and
    made text again it could not be encoded: a success reported as a failure)."""
    return httpx.Response(
        response.status_code,
        headers=[
            (k, redactor.bytes(v)) for k, v in response.headers.raw if k.lower() not in _FRAMING
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


# -- the token ---------------------------------------------------------------------------

# RFC 6750's b64token is narrower; any visible ASCII character can go in a header
# as is. Anything else (NUL, VT, a space, non-ASCII) would make h11 reject the
# header and quote it, token and all, in its error.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
# Auth0 JWTs are 1-2 KB; servers refuse headers much over 8-16 KB anyway.
MAX_TOKEN_CHARS = 16 * 1024


def check_token(value: object) -> str:
    """`value` as a token that can be sent in a header, or a ConfigurationError that
    does not repeat it."""
    if not isinstance(value, str) or not value.strip():
        raise _configuration_error("the API token must be a non-empty string")
    token = value.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise _configuration_error(
            f"the API token is {len(token):,} characters long; a real one is a few "
            f"thousand at most ({MAX_TOKEN_CHARS:,} accepted)"
        )
    if _HEADER_SAFE.fullmatch(token) is None:
        position = next(i for i, ch in enumerate(token) if not _HEADER_SAFE.fullmatch(ch))
        raise _configuration_error(
            "the API token contains a character that cannot be sent in an HTTP header "
            f"(whitespace, a control character or non-ASCII, at position {position}); "
            "the token is not shown here"
        )
    return token


def _configuration_error(message: str) -> Exception:
    # errors.py imports this module (its messages are made safe here), so the error
    # class is looked up only when a token is refused.
    from .errors import ConfigurationError

    return ConfigurationError(message)


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


# -- other libraries' log lines ---------------------------------------------------------
#
# httpcore (DEBUG) logs every response header, httpx (INFO) each request's URL and
# reason phrase: a server that echoes the token there would put it in the
# application's logs.

# Filters on a logger apply to records logged to it, not to its children's.
LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_live: weakref.WeakSet[Redactor] = weakref.WeakSet()
_lock = threading.Lock()
_installed = False


def _unlock_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # (another thread may have held it at the fork)


_fork.on_fork(_unlock_after_fork)


class _Scrub(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(_live)
        if redactors:
            message = original = record.getMessage()
            for redactor in redactors:
                message = redactor.text(message)
            if message is not original:
                record.msg, record.args = message, None
        return True


def watch(redactor: Redactor) -> None:
    """Scrub `redactor`'s secrets from those loggers' records while it lives."""
    global _installed
    with _lock:
        _live.add(redactor)
        if not _installed:
            for name in LOGGERS:
                logging.getLogger(name).addFilter(_Scrub())
            _installed = True
