"""What the credential tests (tests/auth/) share: JWT-shaped tokens, the fluidctl token
file, a token endpoint on a loopback server, what went over the wire to the fake, the
shapes a secret travels in, and a search for a secret anywhere an exception reaches.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from fluidstack_client import ClientCredentials
from fluidstack_client.testing import FakeAPI, RecordedRequest
from support.hostile_server import Conn, HostileServer
from support.scripted_server import Reply

# A client secret whose form-encoded shape differs from its raw one (/ + = & and a space),
# so a scrubber that only knows the raw text would miss it in the token request body.
BAD_SECRET = "cs_9f8e7D6c/5b+4a=Zq&x y_0123"
API_PATH = "/api/v1alpha1"
TOKEN_PATH = "/oauth/token"
JSON = {"Content-Type": "application/json"}
ACCESS_TOKEN = "at-0123456789"


# -- JWT-shaped tokens (the signature is never checked) -------------------------------------


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


_HEADER = b'{"alg":"RS256","typ":"JWT"}'


def jwt(exp: float, sub: str = "auth0|person") -> str:
    """A JWT-shaped token as `fluidctl login` writes it, expiring at `exp` (epoch s)."""
    return jwt_from(json.dumps({"sub": sub, "exp": exp}).encode())


def jwt_of(claims: object) -> str:
    """A JWT-shaped token whose claims are `claims` (any JSON value, even a non-object)."""
    return jwt_from(json.dumps(claims).encode())


def jwt_from(payload: bytes) -> str:
    """A JWT-shaped token whose claims segment is `payload`, raw JSON as given."""
    return f"{_segment(_HEADER)}.{_segment(payload)}.c2ln"


def claims(token: str) -> dict[str, Any]:
    """The claims of a JWT-shaped token (the fake's tokens are)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def write_token(path: Path, token: str, mode: int = 0o600) -> Path:
    """Write a fluidctl token file (folders made, a newline after the token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def fluidctl_file(home: Path | None = None) -> Path:
    """Where `fluidctl login` writes its token: ~/.fluidstack/token (HOME by default)."""
    return (home or Path.home()) / ".fluidstack" / "token"


def fresh_jwt(seconds: float = 3600, sub: str = "auth0|person") -> str:
    """A JWT-shaped token expiring `seconds` from now."""
    return jwt(time.time() + seconds, sub)


# -- the bundled fake's token endpoint --------------------------------------------------------


def creds_for(fake: FakeAPI, secret: str | None = None) -> ClientCredentials:
    """ClientCredentials for the fake's token endpoint (its own secret unless given)."""
    return ClientCredentials(
        fake.client_id, fake.client_secret if secret is None else secret, token_url=fake.token_url
    )


def api_requests(fake: FakeAPI) -> list[RecordedRequest]:
    """What the fake's API (not its token endpoint) received."""
    return [r for r in fake.requests if r.operation != "OAuthToken"]


def token_requests(fake: FakeAPI) -> list[RecordedRequest]:
    """What the fake's token endpoint received."""
    return [r for r in fake.requests if r.operation == "OAuthToken"]


def bearer(request: RecordedRequest) -> str:
    """The bearer token a request carried (it must carry one)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    assert scheme == "Bearer", request.headers
    return token


# -- a token endpoint of the test's own ---------------------------------------------------


def token_reply(**fields: Any) -> Reply:
    """A token endpoint's 200 (ScriptedServer): ACCESS_TOKEN for an hour, a bearer.
    A field given as `...` is left out; any other replaces the default."""
    body: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "expires_in": 3600,
        "token_type": "Bearer",
    }
    body.update(fields)
    return Reply(json={k: v for k, v in body.items() if v is not ...})


@contextmanager
def token_endpoint(answer: Callable[[Conn], None]) -> Iterator[HostileServer]:
    """A HostileServer whose TOKEN_PATH answers as `answer` says; anything else gets
    `200 []` (an API listing nothing)."""

    def route(conn: Conn) -> None:
        if conn.request.path == TOKEN_PATH:
            answer(conn)
        else:
            conn.respond(200, b"[]", JSON)

    with HostileServer(route) as srv:
        yield srv


def hostile_creds(
    srv: HostileServer, secret: str, client_id: str = "my-client-id"
) -> ClientCredentials:
    """ClientCredentials for `srv`'s TOKEN_PATH."""
    return ClientCredentials(client_id, secret, token_url=srv.url + TOKEN_PATH)


# -- where a secret may hide ----------------------------------------------------------------


def escaped(text: str) -> str:
    """`text` as JSON \\u escapes: the same string once parsed, invisible to a byte scrub."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def forms(secret: str) -> list[str]:
    """The shapes a secret travels in: as is, form-encoded, percent-encoded, JSON."""
    return [secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]]


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and every one reachable through __cause__ and __context__."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        todo += [item.__cause__, item.__context__]
    return found


def holders(root: object, secret: str) -> list[str]:
    """Where `secret` (as text or UTF-8 bytes) is held in what `root` reaches: attributes,
    containers, the exception chain, requests and responses (content, URL, headers)."""
    found: list[str] = []
    seen: dict[int, object] = {}  # keeps every visited object alive: ids stay unique

    def visit(obj: object, path: str, depth: int) -> None:
        if depth > 16 or id(obj) in seen:
            return
        seen[id(obj)] = obj
        if isinstance(obj, str):
            if secret in obj:
                found.append(path)
            return
        if isinstance(obj, bytes | bytearray):
            if secret.encode() in obj:
                found.append(path)
            return
        if isinstance(obj, httpx.Request):
            try:
                content = obj.content
            except httpx.RequestNotRead:
                content = b""
            visit(content, f"{path}.content", depth + 1)
            visit(str(obj.url), f"{path}.url", depth + 1)
            visit(repr(obj.headers.raw), f"{path}.headers", depth + 1)
            return
        if isinstance(obj, httpx.Response):
            visit(obj.content, f"{path}.content", depth + 1)
            visit(repr(obj.headers.raw), f"{path}.headers", depth + 1)
            visit(obj.reason_phrase, f"{path}.reason_phrase", depth + 1)
            try:
                request = obj.request
            except RuntimeError:
                request = None
            visit(request, f"{path}.request", depth + 1)
            return
        if isinstance(obj, BaseException):
            visit(str(obj), f"{path}.__str__", depth + 1)
            visit(repr(obj), f"{path}.__repr__", depth + 1)
            visit(obj.args, f"{path}.args", depth + 1)
            visit(obj.__cause__, f"{path}.__cause__", depth + 1)
            visit(obj.__context__, f"{path}.__context__", depth + 1)
        if isinstance(obj, dict):
            for key, value in obj.items():
                visit(key, f"{path}[key]", depth + 1)
                visit(value, f"{path}[{key!r}]", depth + 1)
            return
        if isinstance(obj, list | tuple | set | frozenset):
            for i, value in enumerate(obj):
                visit(value, f"{path}[{i}]", depth + 1)
            return
        for name in {
            *getattr(obj, "__dict__", {}),
            *(s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ())),
        }:
            if name not in ("__weakref__", "__dict__") and hasattr(obj, name):
                visit(getattr(obj, name), f"{path}.{name}", depth + 1)

    visit(root, "exc", 0)
    return found


# -- a clock the test moves -----------------------------------------------------------------


class Clock:
    """Stands in for the `time` module inside fluidstack_client._credentials: real
    time plus an offset the test moves, so "an hour later" takes no time at all
    (install it with the `clock` fixture of tests/auth/conftest.py)."""

    strftime = staticmethod(time.strftime)
    gmtime = staticmethod(time.gmtime)

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset
