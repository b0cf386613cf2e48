"""Typed errors for every status and every malformed body; tolerant parsing of new values."""

from __future__ import annotations

import pytest
import samples
from clients import MODES, run
from scripted_server import Reply, ScriptedServer

import fluidstack_client
from fluidstack_client import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FluidstackError,
    InstanceHealth,
    InstanceState,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    UnprocessableEntityError,
)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
        (418, APIStatusError),
        (451, APIStatusError),
        (499, APIStatusError),
        (302, RedirectError),
    ],
)
def test_status_maps_to_typed_error(
    mode: str, status: int, error: type[APIStatusError], server: ScriptedServer
) -> None:
    server.default = Reply(status, {"message": f"the {status} message"})
    with pytest.raises(error) as info:
        run(mode, server.url, lambda fs: fs.instances.get(samples.INSTANCE_ID), max_retries=0)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.message == f"the {status} message"
    assert exc.response.status_code == status
    assert exc.body == {"message": f"the {status} message"}
    # One line a person can act on: method, full URL, status, the server's message.
    expected = f"GET {server.url}/instances/{samples.INSTANCE_ID}: {status} the {status} message"
    assert str(exc).startswith(expected)


@pytest.mark.parametrize("mode", MODES)
def test_html_body_from_a_proxy_gives_typed_error_with_snippet(
    mode: str, server: ScriptedServer
) -> None:
    html = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"
    server.default = Reply(502, body=html, content_type="text/html")
    with pytest.raises(InternalServerError) as info:
        run(mode, server.url, lambda fs: fs.clusters.list(), max_retries=0)
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in info.value.message
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_empty_error_body(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(404, body=b"")
    with pytest.raises(NotFoundError) as info:
        run(mode, server.url, lambda fs: fs.keys.deregister("nope"))
    # No body to quote: the status's reason phrase stands in for the message.
    assert info.value.message == "Not Found"
    assert str(info.value).startswith(f"DELETE {server.url}/user/keys/nope: 404 Not Found")


@pytest.mark.parametrize("mode", MODES)
def test_long_error_body_is_cut_short(mode: str, server: ScriptedServer) -> None:
    server.default = Reply(500, body=b"x" * 100_000, content_type="text/plain")
    with pytest.raises(InternalServerError) as info:
        run(mode, server.url, lambda fs: fs.keys.list(), max_retries=0)
    assert len(str(info.value)) < 300


BAD_BODIES = {
    "invalid JSON": Reply(body=b'[{"name": "us-east-1",', content_type="application/json"),
    "HTML on 200": Reply(body=b"<html>login</html>", content_type="text/html"),
    "empty body": Reply(body=b""),
    "missing field": Reply(json=[{"name": "us-east-1"}]),
    "wrong type": Reply(json=[{"name": 7, "url": "https://x"}]),
    "object not list": Reply(json={"message": "hi"}),
    "list of numbers": Reply(json=[1, 2]),
    "not UTF-8": Reply(body=b"\xff\xfe\x00garbage"),
    "undocumented 2xx": Reply(204),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_success_body_is_a_validation_error(
    mode: str, case: str, server: ScriptedServer
) -> None:
    server.default = BAD_BODIES[case]
    with pytest.raises(APIResponseValidationError) as info:
        run(mode, server.url, lambda fs: fs.regions.list())
    assert info.value.status_code == server.default.status
    assert str(info.value).startswith(f"GET {server.url}/regions: {server.default.status} ")
    assert isinstance(info.value, FluidstackError)


@pytest.mark.parametrize("mode", MODES)
def test_bad_instance_fields_are_validation_errors(mode: str, server: ScriptedServer) -> None:
    for broken in (
        {**samples.INSTANCE, "id": "not-a-uuid"},
        {**samples.INSTANCE, "updated_at": "yesterday"},
        {**samples.INSTANCE, "preemptible": "no"},
        {**samples.INSTANCE, "tags": ["a"]},
        {k: v for k, v in samples.INSTANCE.items() if k != "ip"},
    ):
        server.queue(Reply(json=broken))
        with pytest.raises(APIResponseValidationError):
            run(mode, server.url, lambda fs: fs.instances.get(samples.INSTANCE_ID))


@pytest.mark.parametrize("mode", MODES)
def test_new_enum_values_and_fields_do_not_break_the_call(
    mode: str, server: ScriptedServer
) -> None:
    future = {
        **samples.INSTANCE,
        "state": "hibernating",
        "health": "degraded",
        "gpu_count": 8,
        "tags": {"team": "ml"},
    }
    server.queue(Reply(json=[future]), Reply(json=[{**samples.CLUSTER, "type": "ray"}]))
    (inst,) = run(mode, server.url, lambda fs: fs.instances.list())
    assert inst.state == "hibernating"
    assert isinstance(inst.state, InstanceState)
    assert not inst.state.is_known
    assert InstanceState.RUNNING.is_known
    assert inst.health == "degraded"
    assert isinstance(inst.health, InstanceHealth)
    assert inst["gpu_count"] == 8
    assert inst.to_dict()["state"] == "hibernating"
    assert inst.to_dict()["gpu_count"] == 8
    (cluster,) = run(mode, server.url, lambda fs: fs.clusters.list())
    assert cluster.type_ == "ray"


def test_error_classes_are_exported_from_both_places() -> None:
    from fluidstack_client import errors

    for name in errors.__all__:
        assert getattr(fluidstack_client, name) is getattr(errors, name)
    assert issubclass(fluidstack_client.APITimeoutError, fluidstack_client.APIConnectionError)
    assert issubclass(fluidstack_client.InvalidParameterError, ValueError)
