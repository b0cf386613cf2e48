"""`FakeAPI`: a stateful in-memory Fluidstack Management API.

It answers HTTP-shaped requests (`handle`) with spec-conforming responses; the
in-process transport and the loopback server are two thin shells around it.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from fluidstack_client._async_client import AsyncFluidstack
from fluidstack_client._sync_client import Fluidstack

from . import _seed

API_PATH = "/api/v1alpha1"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path
ROLES = ("admin", "editor", "viewer")
_REGIONAL = re.compile(r"^/regional/(?P<region>[^/]+)" + re.escape(API_PATH) + r"(?P<rest>/.*)$")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for tests to assert on."""

    method: str
    path: str
    operation: str | None  # the spec's operationId, None for an unknown route
    region: str | None  # set when sent to a regional API
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class _Fault:
    remaining: int
    route: str | None
    status: int = 500
    retry_after: str | None = None
    html: bool = False
    drop: bool = False


@dataclass
class _Latency:
    seconds: float
    route: str | None


def _json(status: int, payload: Any) -> FakeResponse:
    return FakeResponse(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def _error(status: int, message: str) -> FakeResponse:
    return _json(status, {"message": message})


_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    b"<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n"
)

Handler = Callable[["FakeAPI", "_Call"], FakeResponse]


@dataclass
class _Call:
    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    region: str | None


class FakeAPI:
    """A faithful fake of the Management API with state, auth and fault injection.

    Seed data is JSON-shaped (dicts as the spec describes them); any list left out
    gets realistic defaults. `regions` is a list of names: each region's `url`
    points back at this fake, so `client.region(name)` works end to end.

    Auth: the API accepts `token`, and any unexpired token its OAuth endpoint issued.
    That endpoint (`token_url`, `POST /oauth/token`, client-credentials grant, as
    Auth0's) accepts `client_id`/`client_secret` and issues JWT-shaped tokens living
    `token_lifetime` seconds; an expired one gets 401, so expiry and refresh can be
    tested in seconds. `revoke_tokens()` makes every issued token invalid at once.
    """

    def __init__(
        self,
        token: str = "fake-token",  # noqa: S107 - the fake's own test token
        *,
        origin: str = "https://api.fluidstack.fake",
        regions: Iterable[str] | None = None,
        organizations: Iterable[Mapping[str, Any]] | None = None,
        members: Iterable[Mapping[str, Any]] | None = None,
        invitations: Iterable[Mapping[str, Any]] | None = None,
        clusters: Iterable[Mapping[str, Any]] | None = None,
        instances: Iterable[Mapping[str, Any]] | None = None,
        keys: Iterable[Mapping[str, Any]] | None = None,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",  # noqa: S107 - the fake's own
        token_lifetime: float = 3600.0,
    ) -> None:
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self._issued: dict[str, float] = {}  # token -> expiry (time.time())
        self.origin = origin.rstrip("/")
        self.region_names = list(_seed.REGION_NAMES if regions is None else regions)

        def seeded(given: Iterable[Mapping[str, Any]] | None, default: Any) -> list[Any]:
            return copy.deepcopy([dict(x) for x in given] if given is not None else default())

        self.organizations = seeded(organizations, _seed.organizations)
        self.members = seeded(members, _seed.members)
        self.invitations = seeded(invitations, _seed.invitations)
        self.clusters = seeded(clusters, _seed.clusters)
        self.instances = seeded(instances, _seed.instances)
        self.keys = seeded(keys, _seed.keys)
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._latencies: list[_Latency] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"FakeAPI(base_url='{self.base_url}', requests={len(self.requests)})"

    # -- where it lives -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.origin + API_PATH

    @property
    def token_url(self) -> str:
        """The fake's OAuth token endpoint (for `ClientCredentials(token_url=...)`)."""
        return self.origin + TOKEN_PATH

    @property
    def token_requests(self) -> int:
        """How many requests its token endpoint has had."""
        return sum(1 for r in self.requests if r.operation == "OAuthToken")

    def revoke_tokens(self) -> None:
        """Invalidate every token the OAuth endpoint issued (the next use gets 401)."""
        with self._lock:
            self._issued.clear()

    def region_url(self, name: str) -> str:
        return f"{self.origin}/regional/{name}{API_PATH}"

    def with_origin(self, origin: str) -> None:
        """Serve from another origin (the loopback server sets its own)."""
        self.origin = origin.rstrip("/")

    def client(self, **options: Any) -> Fluidstack:
        """A `Fluidstack` wired to this fake in-process (options as for `Fluidstack`)."""
        from ._transport import FakeTransport  # the transport module imports this one

        options.setdefault("base_url", self.base_url)
        token = options.pop("token", self.token)
        return Fluidstack(token, http_client=httpx.Client(transport=FakeTransport(self)), **options)

    def async_client(self, **options: Any) -> AsyncFluidstack:
        """An `AsyncFluidstack` wired to this fake in-process."""
        from ._transport import FakeTransport

        options.setdefault("base_url", self.base_url)
        token = options.pop("token", self.token)
        http = httpx.AsyncClient(transport=FakeTransport(self))
        return AsyncFluidstack(token, http_client=http, **options)

    # -- fault injection ----------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        route: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `count` requests (to `route`, if given) with `status`.

        `route` is an operationId ("ListInstances") or "METHOD /path" as in the spec
        ("GET /instances"). A 502 gets an HTML body, as from a proxy; anything else
        an `Error` body. `retry_after` adds a `Retry-After` header (seconds or date).
        """
        with self._lock:
            self._faults.append(
                _Fault(
                    count,
                    route,
                    status,
                    None if retry_after is None else str(retry_after),
                    html=status == 502,
                )
            )

    def drop_next(self, count: int = 1, *, route: str | None = None) -> None:
        """Close the connection without answering the next `count` requests."""
        with self._lock:
            self._faults.append(_Fault(count, route, drop=True))

    def add_latency(self, seconds: float, *, route: str | None = None) -> None:
        """Delay every answer (to `route`, if given) by `seconds`, until cleared."""
        with self._lock:
            self._latencies.append(_Latency(seconds, route))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._latencies.clear()

    # -- the HTTP surface ------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        """Answer one request. `path` excludes the query string; header names any case."""
        lower = {k.lower(): v for k, v in headers.items()}
        method = method.upper()
        region, rest = self._scope(path)
        route = _match(method, rest) if rest is not None else None
        operation = route[0] if route else None
        allowed = allowed_methods(rest) if rest is not None and route is None else []
        if path == TOKEN_PATH:
            operation = "OAuthToken"
        with self._lock:
            self.requests.append(RecordedRequest(method, path, operation, region, lower, body))
            delay = sum(lat.seconds for lat in self._latencies if _applies(lat.route, operation))
            fault = self._take_fault(operation)
            if fault is not None:
                response = _fault_response(fault)
            elif operation == "OAuthToken":
                response = self._issue_token(method, lower, body)
            else:
                response = self._answer(route, allowed, method, lower, body, region)
        response.delay += delay
        return response

    def _scope(self, path: str) -> tuple[str | None, str | None]:
        if path.startswith(API_PATH + "/") or path == API_PATH:
            return None, path[len(API_PATH) :] or "/"
        regional = _REGIONAL.match(path)
        if regional and regional["region"] in self.region_names:
            return regional["region"], regional["rest"]
        return None, None

    def _take_fault(self, operation: str | None) -> _Fault | None:
        for fault in self._faults:
            if _applies(fault.route, operation):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _answer(
        self,
        route: tuple[str, Handler, dict[str, str]] | None,
        allowed: list[str],
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        region: str | None,
    ) -> FakeResponse:
        refused = self._refuse(headers.get("authorization"))
        if refused is not None:
            return _error(401, refused)
        if route is None and allowed:
            response = _error(405, f"{method} is not allowed here")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        if route is None:
            return _error(404, "no such route")
        _, handler, params = route
        return handler(self, _Call(method, params, headers, body, region))

    def _refuse(self, authorization: str | None) -> str | None:
        """Why the Authorization header is not good enough, or None."""
        if authorization is None:
            return "missing bearer token"
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return "invalid token"
        if token == self.token:
            return None
        expires = self._issued.get(token)
        if expires is None:
            return "invalid token"
        if time.time() >= expires:
            return "token expired"
        return None

    def _issue_token(self, method: str, headers: Mapping[str, str], body: bytes) -> FakeResponse:
        """Auth0's client-credentials grant, as the fake does it."""
        if method != "POST":
            return _json(405, {"error": "invalid_request", "error_description": "use POST"})
        if "json" in headers.get("content-type", ""):
            form = _object_body(body) or {}
        else:
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return _json(401, {"error": "access_denied", "error_description": "Unauthorized"})
        now = time.time()
        expires = now + self.token_lifetime
        claims = {
            "iss": self.origin + "/",
            "sub": f"{self.client_id}@clients",
            "aud": form.get("audience"),
            "iat": now,
            "exp": expires,
            "jti": next(self._ids),
        }
        token = ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "none", "typ": "JWT"}, claims)
        )
        token += ".fake-signature"
        self._issued[token] = expires
        return _json(
            200,
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"},
        )

    # -- operations (state changes happen under the lock held by handle) -----------

    def _in_region(self, items: list[dict[str, Any]], region: str | None) -> list[Any]:
        return [x for x in items if region is None or x.get("region") == region]

    def _list_regions(self, call: _Call) -> FakeResponse:
        return _json(200, [{"name": n, "url": self.region_url(n)} for n in self.region_names])

    def _list_clusters(self, call: _Call) -> FakeResponse:
        return _json(200, self._in_region(self.clusters, call.region))

    def _list_organizations(self, call: _Call) -> FakeResponse:
        return _json(200, self.organizations)

    def _list_members(self, call: _Call) -> FakeResponse:
        return _json(200, self.members)

    def _update_member(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None:
            return _error(400, "request body must be a JSON object")
        role = body.get("role")
        if "role" in body and role not in ROLES:
            return _error(400, f"role must be one of {', '.join(ROLES)}")
        member = _find(self.members, "id", call.params["id"])
        if member is None:
            return _error(404, "member not found")
        if role is not None:
            member["role"] = role
        return FakeResponse(200)

    def _delete_member(self, call: _Call) -> FakeResponse:
        return self._delete(self.members, "id", call.params["id"], "member")

    def _create_invitation(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None:
            return _error(400, "request body must be a JSON object")
        email, role = body.get("email"), body.get("role", "viewer")
        if not isinstance(email, str):
            return _error(400, "email must be a string")
        if not isinstance(role, str):
            return _error(400, "role must be a string")
        self.invitations.append({"id": f"inv-{next(self._ids)}", "email": email, "role": role})
        return FakeResponse(201)

    def _list_invitations(self, call: _Call) -> FakeResponse:
        return _json(200, self.invitations)

    def _delete_invitation(self, call: _Call) -> FakeResponse:
        return self._delete(self.invitations, "id", call.params["id"], "invitation")

    def _list_instances(self, call: _Call) -> FakeResponse:
        found = self._in_region(self.instances, call.region)
        project = call.headers.get("x-project-id")
        if project is not None:
            if not _is_uuid(project):
                return _error(400, "X-PROJECT-ID must be a UUID")
            found = [i for i in found if _same_uuid(i.get("project_id"), project)]
        return _json(200, found)

    def _get_instance(self, call: _Call) -> FakeResponse:
        for inst in self._in_region(self.instances, call.region):
            if _same_uuid(inst.get("id"), call.params["id"]):
                return _json(200, inst)
        return _error(404, "instance not found")

    def _list_keys(self, call: _Call) -> FakeResponse:
        return _json(200, self.keys)

    def _register_key(self, call: _Call) -> FakeResponse:
        body = _object_body(call.body)
        if body is None or not all(isinstance(body.get(k), str) for k in ("name", "key")):
            return _error(400, "body must be an SSHKey: {name, key}")
        if _find(self.keys, "name", body["name"]) is not None:
            return _error(409, f"a key named {body['name']!r} already exists")
        self.keys.append({"name": body["name"], "key": body["key"]})
        return FakeResponse(200)

    def _deregister_key(self, call: _Call) -> FakeResponse:
        return self._delete(self.keys, "name", call.params["name"], "key")

    def _delete(self, items: list[dict[str, Any]], key: str, value: str, what: str) -> FakeResponse:
        found = _find(items, key, value)
        if found is None:
            return _error(404, f"{what} not found")
        items.remove(found)
        return FakeResponse(204)


def _find(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any] | None:
    return next((x for x in items if x.get(key) == value), None)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _same_uuid(a: object, b: object) -> bool:
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False


def _object_body(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _fault_response(fault: _Fault) -> FakeResponse:
    if fault.drop:
        return FakeResponse(0, drop=True)
    if fault.html:
        response = FakeResponse(fault.status, _HTML_502, {"Content-Type": "text/html"})
    else:
        response = _error(fault.status, f"injected fault: {fault.status}")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


# operationId, method, path template, handler: one row per operation of the spec.
ROUTES: list[tuple[str, str, str, Handler]] = [
    ("ListRegions", "GET", "/regions", FakeAPI._list_regions),
    ("ListClusters", "GET", "/clusters", FakeAPI._list_clusters),
    ("ListOrganizations", "GET", "/organizations", FakeAPI._list_organizations),
    ("ListMembers", "GET", "/members", FakeAPI._list_members),
    ("UpdateMember", "PATCH", "/members/{id}", FakeAPI._update_member),
    ("DeleteMember", "DELETE", "/members/{id}", FakeAPI._delete_member),
    ("CreateInvitation", "POST", "/invitations", FakeAPI._create_invitation),
    ("ListInvitations", "GET", "/invitations", FakeAPI._list_invitations),
    ("DeleteInvitation", "DELETE", "/invitations/{id}", FakeAPI._delete_invitation),
    ("ListInstances", "GET", "/instances", FakeAPI._list_instances),
    ("GetInstance", "GET", "/instances/{id}", FakeAPI._get_instance),
    ("ListKeys", "GET", "/user/keys", FakeAPI._list_keys),
    ("RegisterKey", "POST", "/user/keys", FakeAPI._register_key),
    ("DeregisterKey", "DELETE", "/user/keys/{name}", FakeAPI._deregister_key),
]
_COMPILED = [
    (op, method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), handler)
    for op, method, path, handler in ROUTES
]
_ROUTE_NAMES = {f"{method} {path}": op for op, method, path, _ in ROUTES}


def _match(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
    for op, op_method, pattern, handler in _COMPILED:
        found = pattern.match(path)
        if found and op_method == method:
            return op, handler, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def allowed_methods(path: str) -> list[str]:
    """The methods the spec defines for `path` (empty: no such path)."""
    return sorted({m for _, m, pattern, _ in _COMPILED if pattern.match(path)})


def _applies(route: str | None, operation: str | None) -> bool:
    """Whether a fault or latency aimed at `route` (None: every route) hits `operation`."""
    if route is None:
        return True
    return operation is not None and operation in (route, _ROUTE_NAMES.get(route))
