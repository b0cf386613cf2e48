# Derived from tests/generated/test_models.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The generated models as a user meets them: the parsing fast paths (templates/) give
exactly what the plain code gave, enum values and fields the spec does not know are
kept, `UNSET` stands for a field the server left out, and the cyclic GC is paused
while a list response is built."""

from __future__ import annotations

import gc
import json
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from support import samples
from support.clients import FAST, TOKEN
from support.samples import INSTANCE
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    APIResponseValidationError,
    Fluidstack,
    Instance,
    InstanceHealth,
    InstanceState,
)
from fluidstack_client._generated.management.types import parse_uuid

MODELS = (
    Path(__file__).resolve().parents[2]
    / "fluidstack_client"
    / "_generated"
    / "management"
    / "models"
)


# -- UUIDs ---------------------------------------------------------------------------------


def outcome(parse: Callable[..., object], value: object) -> tuple[str, object]:
    try:
        return ("ok", parse(value))
    except Exception as exc:
        return ("raises", type(exc))


UUID_TEXTS = [
    "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "0F9E8D7C-6B5A-4F3E-8D2C-1B0A9F8E7D6C",
    "0f9e8d7c6b5a4f3e8d2c1b0a9f8e7d6c",
    "{0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c}",
    "urn:uuid:0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "0f9e8d7c6b5a4f3e8d2c1b0a9f8e7d6c----",
    "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6",
    "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6cc",
    "zf9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    " f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "+f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "0_9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "",
]


def agrees_with_uuid(value: object) -> None:
    """The same UUID as `UUID(value)`; where that raises (whatever it raises), a
    ValueError naming the field."""
    expected = outcome(uuid.UUID, value)
    if expected[0] == "ok":
        assert outcome(parse_uuid, value) == expected
    else:
        with pytest.raises(ValueError, match=r"^the_field must be a UUID, got "):
            parse_uuid(value, "the_field")


# -- enums and fields the spec does not know -------------------------------------------------

# The shared sample, with a health value and a field the spec does not know; no
# updated_at, whose nanoseconds to_dict() would give back as microseconds.
BODY: dict[str, object] = {
    **{k: v for k, v in INSTANCE.items() if k != "updated_at"},
    "health": "healthy",
    "extra": [1, 2],
}


def test_new_enum_values_and_fields_do_not_break_the_call(server: ScriptedServer) -> None:
    future = {
        **samples.INSTANCE,
        "state": "hibernating",
        "health": "degraded",
        "gpu_count": 8,
        "tags": {"team": "ml"},
    }
    server.queue(Reply(json=[future]), Reply(json=[{**samples.CLUSTER, "type": "ray"}]))
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        (inst,) = fs.instances.list()
        (cluster,) = fs.clusters.list()
    assert inst.state == "hibernating"
    assert isinstance(inst.state, InstanceState)
    assert not inst.state.is_known
    assert InstanceState.RUNNING.is_known
    assert inst.health == "degraded"
    assert isinstance(inst.health, InstanceHealth)
    assert inst["gpu_count"] == 8
    assert inst.to_dict()["state"] == "hibernating"
    assert inst.to_dict()["gpu_count"] == 8
    assert cluster.type_ == "ray"


# -- UNSET: an optional field the server left out ------------------------------------------


# -- the cyclic GC is paused while a list response is decoded and built ------------------


def _watch_gc(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether the collector was enabled each time an Instance is built."""
    seen: list[bool] = []
    original = Instance.from_dict

    def from_dict(src: object) -> Instance:
        seen.append(gc.isenabled())
        return original(src)  # type: ignore[arg-type]

    monkeypatch.setattr(Instance, "from_dict", staticmethod(from_dict))
    return seen


# -- a list response holds its dicts or its models, never all of both ------------------


def _list_body(count: int) -> bytes:
    items = [{**INSTANCE, "id": str(uuid.UUID(int=n)), "name": f"gpu-{n}"} for n in range(count)]
    return json.dumps(items).encode()


def _peak(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak


def test_a_list_response_that_is_not_an_array_is_a_validation_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"items": [INSTANCE]}))
    with (
        httpx.Client(transport=transport) as http,
        Fluidstack("t", base_url="http://127.0.0.1:9", http_client=http) as fs,
    ):
        with pytest.raises(APIResponseValidationError, match="expected a JSON array, got dict"):
            fs.instances.list()
    assert gc.isenabled()
