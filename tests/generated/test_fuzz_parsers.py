"""Property-based tests of every response parser, of both APIs (the Management API,
spec/openapi.yaml, and the regional API, spec/atlas-region-v1alpha1.yaml).

(a) Documents valid per each spec's schemas, with enum values the spec does not
    list and extra fields mixed in, parse into the generated models and round-trip
    through `to_dict` (`userData`, `format: byte`, as the same base64 text, and as
    the bytes it encodes on the model).
(b) Arbitrary JSON and arbitrary bytes, with any status, through every operation
    of both clients (`AsyncFluidstack` and `AsyncRegionClient` here, `Fluidstack`
    and `RegionClient` in the sync twin): each call returns, or raises
    `APIResponseValidationError` (2xx) or `APIStatusError` (anything else); nothing
    else ever escapes. A call returns only on its documented success, or, where the
    regional spec only infers a bodiless success (`x-inferred`), on any 2xx.
(c) `user_data` of any bytes or text goes out as base64 and comes back as bytes.

Every test runs with each JSON decoder a body can go through (tests/support/
decoders.py): `json.loads`, and msgspec's (the `speed` extra).

Strategies are built here from the specs. The default run is short; set
FUZZ_EXAMPLES (as `make fuzz` does) to run long.
"""

from __future__ import annotations

import base64
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
from support.decoders import DECODERS, decoding_with
from support.region_operations import INFERRED, PROJECT, REGION_OPERATIONS, region_spec

from fluidstack_client import (
    APIResponseValidationError,
    APIStatusError,
    AsyncFluidstack,
    AsyncRegionClient,
    RetryPolicy,
)
from fluidstack_client._error_mapping import status_error
from fluidstack_client._generated.management import models as management_models
from fluidstack_client._generated.region import models as region_models

pytestmark = pytest.mark.fuzz

SPECS: dict[str, dict[str, Any]] = {
    "management": yaml.safe_load(SPEC_PATH.read_text()),
    "region": region_spec(),
}
SCHEMAS: dict[str, dict[str, Any]] = {
    api: spec["components"]["schemas"] for api, spec in SPECS.items()
}
MODELS = {"management": management_models, "region": region_models}
# Each API's operations as calls on its client (tests/support).
CALLS: dict[str, dict[str, Any]] = {"management": OPERATIONS, "region": REGION_OPERATIONS}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RUNS: dict[str, int] = {}  # examples run per test, for the summary line


@pytest.fixture(scope="module", params=sorted(DECODERS), autouse=True)
def decoder(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test of this module once per JSON decoder."""
    with decoding_with(request.param):
        yield request.param


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


def from_spec(api: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Documents valid for an OpenAPI schema of the API's spec; enums also yield
    values the spec does not list, and objects may carry fields it does not name."""
    if "$ref" in schema:
        return from_spec(api, SCHEMAS[api][schema["$ref"].rsplit("/", 1)[1]])
    strategy = _from_type(api, schema)
    return st.none() | strategy if schema.get("nullable") else strategy


def _from_type(api: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | names  # known and future values
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers()
    if kind == "string":
        return {
            "uuid": st.uuids().map(str),
            "date-time": go_timestamps(),
            "byte": st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode()),
        }.get(schema.get("format", ""), st.text())
    if kind == "array":
        return st.lists(from_spec(api, schema["items"]), max_size=3)
    if kind == "object":
        return _object(api, schema)
    raise NotImplementedError(f"no strategy for {schema}")


def _object(api: str, schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra_values = (
        from_spec(api, schema["additionalProperties"])
        if isinstance(schema.get("additionalProperties"), dict)
        else json_values
    )
    extras = st.dictionaries(names.map(lambda n: "x_" + n), extra_values, max_size=3)
    return st.fixed_dictionaries(
        {k: from_spec(api, v) for k, v in props.items() if k in required},
        optional={k: from_spec(api, v) for k, v in props.items() if k not in required},
    ).flatmap(lambda doc: extras.map(lambda more: {**more, **doc}))


def _object_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """Every object schema of both specs, by (API, model name): the named ones, and
    the regional /capacity item, an inline object generated as the model `Capacity`."""
    found = {
        (api, name): schema
        for api, schemas in SCHEMAS.items()
        for name, schema in schemas.items()
        if schema.get("type") == "object"
    }
    capacity = SPECS["region"]["paths"]["/capacity"]["get"]["responses"]["200"]
    found["region", "Capacity"] = capacity["content"]["application/json"]["schema"]["items"]
    return found


OBJECT_SCHEMAS = _object_schemas()
SCHEMA_IDS = sorted(OBJECT_SCHEMAS)


def test_every_object_schema_has_a_model() -> None:
    assert {api for api, _ in SCHEMA_IDS} == {"management", "region"}
    for api, name in SCHEMA_IDS:
        assert hasattr(MODELS[api], name), (api, name)


# -- (a) valid documents parse and round-trip --------------------------------------------


@pytest.mark.parametrize(("api", "name"), SCHEMA_IDS, ids=[f"{a}-{n}" for a, n in SCHEMA_IDS])
@FUZZ
@given(data=st.data())
def test_valid_documents_parse_and_round_trip(api: str, name: str, data: st.DataObject) -> None:
    _count("valid")
    doc = data.draw(from_spec(api, OBJECT_SCHEMAS[api, name]))
    model_cls = getattr(MODELS[api], name)
    model = model_cls.from_dict(doc)
    out = model.to_dict()
    assert set(out) == set(doc)
    assert model_cls.from_dict(out) == model
    assert json.loads(json.dumps(out)) == out  # to_dict gives plain JSON
    for key, value in doc.items():
        if key.startswith("x_"):
            assert model[key] == value  # unknown fields are kept as they came
    if doc.get("userData") is not None:  # format: byte, base64 on the wire
        assert model.user_data == base64.b64decode(doc["userData"])
        assert out["userData"] == doc["userData"]


# -- (b) anything at all, through every operation -------------------------------------------


def bodies(api: str) -> st.SearchStrategy[bytes]:
    """Any body at all, and near-misses of the API's documents."""
    return st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"<html>502</html>", b"[", b'{"message": 5}', b"\xff\xfe", b"null"]),
        # near-misses: valid documents with one value swapped for arbitrary JSON
        st.sampled_from([schema for (of, _), schema in OBJECT_SCHEMAS.items() if of == api])
        .flatmap(lambda schema: st.tuples(from_spec(api, schema), names, json_values))
        .map(lambda t: json.dumps([{**t[0], t[1]: t[2]}, t[0]]).encode()),
    )


# Unusual 2xx too: an inferred success is any 2xx, not only those HTTPStatus names.
statuses = st.one_of(st.sampled_from([200, 201, 202, 204, 209, 299]), st.integers(200, 599))


def _transport(status: int, body: bytes) -> httpx.MockTransport:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(reply)


# The status each spec documents as each operation's success: the only one a call may
# return quietly on, except where the regional spec only infers it (then any 2xx).
SUCCESS = {
    api: {
        op["operationId"]: {int(code) for code in op["responses"] if 200 <= int(code) < 300}
        for item in spec["paths"].values()
        for op in item.values()
    }
    for api, spec in SPECS.items()
}
ALL_2XX = set(range(200, 300))
OPERATION_IDS = [(api, operation) for api in SUCCESS for operation in sorted(SUCCESS[api])]


def test_every_operation_has_one_documented_success() -> None:
    for api, calls in CALLS.items():
        assert sorted(SUCCESS[api]) == sorted(calls)
        assert all(len(codes) == 1 for codes in SUCCESS[api].values()), SUCCESS[api]
    inferred = {
        op["operationId"]
        for item in SPECS["region"]["paths"].values()
        for op in item.values()
        if any(answer.get("x-inferred") for answer in op["responses"].values())
    }
    assert sorted(inferred) == INFERRED


def _inferred(api: str, operation: str) -> bool:
    return api == "region" and operation in INFERRED


def _check_outcome(
    api: str, operation: str, status: int, result: Any, error: Exception | None
) -> None:
    """A call returns only on its documented success (any 2xx where the success is
    inferred), and then what it documents (a body parsed, or None); otherwise it
    raises one of exactly two errors, and never a validation error for a 2xx that
    an inferred success allows."""
    quiet = ALL_2XX if _inferred(api, operation) else SUCCESS[api][operation]
    if error is None:
        assert status in quiet, f"{operation} returned quietly on a {status}"
        if CALLS[api][operation].reply.json is None:
            assert result is None
        else:
            assert result is not None
        return
    if isinstance(error, APIResponseValidationError):
        assert 200 <= status < 300
        assert not _inferred(api, operation), f"{operation}: a {status} is its success"
        assert error.status_code == status
    elif isinstance(error, APIStatusError):
        assert not 200 <= status < 300
        assert error.status_code == status
    else:
        raise error


async def _invoke(api: str, operation: str, http: httpx.AsyncClient) -> Any:
    """The operation's call on a client of the API (a region client in a project)
    that sends through `http`."""
    if api == "management":
        async with AsyncFluidstack(
            TOKEN,
            base_url="http://127.0.0.1:9",
            http_client=http,
            retry_policy=RetryPolicy(max_retries=0),
        ) as fs:
            return await OPERATIONS[operation].invoke(fs)
    async with AsyncRegionClient(
        "http://127.0.0.1:9",
        token=TOKEN,
        project_id=PROJECT,
        http_client=http,
        retry_policy=RetryPolicy(max_retries=0),
    ) as region:
        return await REGION_OPERATIONS[operation].invoke(region)


async def _call_with_reply(api: str, operation: str, status: int, body: bytes) -> None:
    """The operation's call, on a client whose http_client answers `status` and `body`;
    what it returned or raised, judged by `_check_outcome`."""
    try:
        async with httpx.AsyncClient(transport=_transport(status, body)) as http:
            result = await _invoke(api, operation, http)
    except Exception as exc:
        _check_outcome(api, operation, status, None, exc)
    else:
        _check_outcome(api, operation, status, result, None)


def _validation_error(status: int) -> APIResponseValidationError:
    request = httpx.Request("GET", "http://127.0.0.1:9/user/keys")
    return APIResponseValidationError("x", response=httpx.Response(status, request=request))


def test_the_outcome_check_passes_what_the_contract_allows() -> None:
    _check_outcome("management", "ListKeys", 200, [], None)
    _check_outcome("management", "DeregisterKey", 204, None, None)
    _check_outcome("management", "ListKeys", 200, None, _validation_error(200))
    not_found = status_error(httpx.Response(404, request=_request()))
    _check_outcome("management", "ListKeys", 404, None, not_found)
    _check_outcome("region", "StartInstance", 202, None, None)
    _check_outcome("region", "StartInstance", 200, None, None)  # inferred: any 2xx
    _check_outcome("region", "DeleteProject", 299, None, None)
    _check_outcome("region", "GetInstance", 200, None, _validation_error(200))


def _request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1:9/user/keys")


@pytest.mark.parametrize(
    ("api", "operation", "status", "result", "error"),
    [
        ("management", "ListKeys", 201, [], None),  # quiet on an undocumented 2xx
        ("management", "ListKeys", 404, [], None),  # quiet on an error status
        ("management", "ListKeys", 500, None, None),
        ("management", "DeregisterKey", 200, None, None),  # its success is 204
        ("management", "ListKeys", 200, None, None),  # a list operation that returned nothing
        ("management", "DeregisterKey", 204, [], None),  # a write that returned something
        ("management", "ListKeys", 404, None, _validation_error(404)),
        ("management", "ListKeys", 200, None, _validation_error(201)),  # not the reply's status
        ("management", "ListKeys", 500, None, ValueError("neither of the two")),
        ("region", "ListProjects", 202, [], None),  # not inferred: only its documented 200
        ("region", "StopInstance", 409, None, None),  # inferred, but not a 2xx
        ("region", "StopInstance", 200, None, _validation_error(200)),  # inferred: a success
        ("region", "DeleteInstance", 204, [], None),  # a bodiless success that returned a body
    ],
)
def test_the_outcome_check_fails_anything_else(
    api: str, operation: str, status: int, result: Any, error: Exception | None
) -> None:
    with pytest.raises((AssertionError, ValueError)):
        _check_outcome(api, operation, status, result, error)


@pytest.mark.parametrize(
    ("api", "operation"), OPERATION_IDS, ids=[f"{a}-{o}" for a, o in OPERATION_IDS]
)
@FUZZ
@given(data=st.data(), status=statuses)
async def test_any_response_to_any_operation(
    api: str, operation: str, data: st.DataObject, status: int
) -> None:
    _count("any response")
    await _call_with_reply(api, operation, status, data.draw(bodies(api)))


@pytest.mark.parametrize("status", [200, 201, 203, 207, 208, 209, 226, 250, 299])
@pytest.mark.parametrize("operation", INFERRED)
async def test_any_2xx_is_the_success_of_an_inferred_operation(operation: str, status: int) -> None:
    """Where the regional spec only infers a bodiless success (x-inferred), any 2xx
    means the write was done: the call returns None, whatever the body, also for a
    2xx that `http.HTTPStatus` has no name for (209, 250, 299)."""
    await _call_with_reply("region", operation, status, b"")
    await _call_with_reply("region", operation, status, b"<html>accepted</html>")


# -- (c) user data: base64 out, bytes back ---------------------------------------------------


@FUZZ
@given(user_data=st.binary(max_size=300) | st.text(max_size=100))
async def test_user_data_goes_out_as_base64_and_comes_back_as_bytes(
    user_data: bytes | str,
) -> None:
    """`instances.create(user_data=...)` of any bytes, or any text (as UTF-8), sends the
    standard base64 of those bytes; the region's answer carrying it back gives them
    back as bytes."""
    _count("user data")
    raw = user_data if isinstance(user_data, bytes) else user_data.encode()
    sent: list[dict[str, Any]] = []

    def echo(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        instance = REGION_OPERATIONS["GetInstance"].reply.json | {"userData": body["userData"]}
        return httpx.Response(201, json=instance)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(echo)) as http,
        AsyncRegionClient(
            "http://127.0.0.1:9", token=TOKEN, project_id=PROJECT, http_client=http
        ) as region,
    ):
        created = await region.instances.create(name="gpu-0", type="cpu.4x", user_data=user_data)
    (body,) = sent
    assert body["userData"] == base64.b64encode(raw).decode("ascii")
    assert base64.b64decode(body["userData"], validate=True) == raw
    assert created.user_data == raw
