# Derived from tests/generated/test_fuzz_parsers.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Property-based tests of every response parser.

(a) Documents valid per the spec's schemas, with enum values the spec does not
    list and extra fields mixed in, parse into the generated models and round-trip
    through `to_dict`.
(b) Arbitrary JSON and arbitrary bytes, with any status, through every operation
    of the client (`Fluidstack` here, `Fluidstack` in the sync twin): each call
    returns, or raises `APIResponseValidationError` (2xx) or `APIStatusError`
    (anything else); nothing else ever escapes.

Strategies are built here from spec/openapi.yaml. The default run is short; set
FUZZ_EXAMPLES (as `make fuzz` does) to run long.
"""

from __future__ import annotations

import datetime
import json
import os
import string
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.client_operations import OPERATIONS, SPEC_PATH
from support.clients import TOKEN

from fluidstack_client import (
    APIResponseValidationError,
    APIStatusError,
    Fluidstack,
    RetryPolicy,
)

pytestmark = pytest.mark.fuzz

SPEC = yaml.safe_load(SPEC_PATH.read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RUNS: dict[str, int] = {}  # examples run per test, for the summary line


def _count(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if RUNS:
        total = sum(RUNS.values())
        print(f"\nfuzz examples run: {total} ({', '.join(f'{k} {v}' for k, v in RUNS.items())})")


# -- strategies from the spec ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)


def go_timestamps() -> st.SearchStrategy[str]:
    """RFC 3339 as Go writes it: Z or an offset, 0-9 fractional digits."""

    def fmt(moment: datetime.datetime, digits: int, offset: str) -> str:
        frac = f"{moment.microsecond:06d}{moment.microsecond % 997:03d}"[:digits]
        stamp = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")
        return stamp + (f".{frac}" if digits else "") + offset

    return st.builds(
        fmt,
        st.datetimes(),
        st.integers(0, 9),
        st.sampled_from(["Z", "+00:00", "-07:00", "+05:30"]),
    )


def from_spec(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Documents valid for an OpenAPI schema; enums also yield values the spec does
    not list, and objects may carry fields it does not name."""
    if "$ref" in schema:
        return from_spec(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
    strategy = _from_type(schema)
    return st.none() | strategy if schema.get("nullable") else strategy


def _from_type(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | names  # known and future values
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return {
            "uuid": st.uuids().map(str),
            "date-time": go_timestamps(),
        }.get(schema.get("format", ""), st.text())
    if kind == "array":
        return st.lists(from_spec(schema["items"]), max_size=3)
    if kind == "object":
        return _object(schema)
    raise NotImplementedError(f"no strategy for {schema}")


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra_values = (
        from_spec(schema["additionalProperties"])
        if isinstance(schema.get("additionalProperties"), dict)
        else json_values
    )
    extras = st.dictionaries(names.map(lambda n: "x_" + n), extra_values, max_size=3)
    return st.fixed_dictionaries(
        {k: from_spec(v) for k, v in props.items() if k in required},
        optional={k: from_spec(v) for k, v in props.items() if k not in required},
    ).flatmap(lambda doc: extras.map(lambda more: {**more, **doc}))


OBJECT_SCHEMAS = sorted(n for n, s in SCHEMAS.items() if s.get("type") == "object")


# -- (a) valid documents parse and round-trip --------------------------------------------


# -- (b) anything at all, through every operation -------------------------------------------

bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"", b"<html>502</html>", b"[", b'{"message": 5}', b"\xff\xfe", b"null"]),
    # near-misses: valid documents with one value swapped for arbitrary JSON
    st.sampled_from(OBJECT_SCHEMAS)
    .flatmap(lambda n: st.tuples(from_spec(SCHEMAS[n]), names, json_values))
    .map(lambda t: json.dumps([{**t[0], t[1]: t[2]}, t[0]]).encode()),
)
statuses = st.one_of(st.sampled_from([200, 201, 204]), st.integers(200, 599))


def _transport(status: int, body: bytes) -> httpx.MockTransport:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(reply)


# The status the spec documents as each operation's success: the only one a call may
# return quietly on.
SUCCESS = {
    op["operationId"]: {int(code) for code in op["responses"] if 200 <= int(code) < 300}
    for item in SPEC["paths"].values()
    for op in item.values()
}


def _check_outcome(operation: str, status: int, result: Any, error: Exception | None) -> None:
    """A call returns only on its documented success, and then what it documents (a
    body parsed, or None); otherwise it raises one of exactly two errors."""
    if error is None:
        assert status in SUCCESS[operation], f"{operation} returned quietly on a {status}"
        if OPERATIONS[operation].reply.json is None:
            assert result is None
        else:
            assert result is not None
        return
    if isinstance(error, APIResponseValidationError):
        assert 200 <= status < 300
        assert error.status_code == status
    elif isinstance(error, APIStatusError):
        assert not 200 <= status < 300
        assert error.status_code == status
    else:
        raise error


def _call_with_reply(operation: str, status: int, body: bytes) -> None:
    """The operation's call, on a client whose http_client answers `status` and `body`;
    what it returned or raised, judged by `_check_outcome`."""
    try:
        with (
            httpx.Client(transport=_transport(status, body)) as http,
            Fluidstack(
                TOKEN,
                base_url="http://127.0.0.1:9",
                http_client=http,
                retry_policy=RetryPolicy(max_retries=0),
            ) as fs,
        ):
            result = OPERATIONS[operation].invoke(fs)
    except Exception as exc:
        _check_outcome(operation, status, None, exc)
    else:
        _check_outcome(operation, status, result, None)


def _validation_error(status: int) -> APIResponseValidationError:
    request = httpx.Request("GET", "http://127.0.0.1:9/user/keys")
    return APIResponseValidationError("x", response=httpx.Response(status, request=request))


def _request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1:9/user/keys")


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@FUZZ
@given(status=statuses, body=bodies)
def test_any_response_to_any_operation(operation: str, status: int, body: bytes) -> None:
    _count("any response")
    _call_with_reply(operation, status, body)
