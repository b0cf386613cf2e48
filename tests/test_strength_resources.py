"""Each resource method's refusal of a bad argument names the argument, as the caller
wrote it, and nothing is sent; and each resource prints as what it is."""

from __future__ import annotations

from typing import Any

import pytest
from clients import MODES, run
from scripted_server import ScriptedServer

from fluidstack_client import AsyncFluidstack, Fluidstack, InvalidParameterError

CALLS: dict[str, tuple[Any, str]] = {
    "instances.get": (
        lambda fs: fs.instances.get("gpu-0"),
        "instance_id must be a UUID (uuid.UUID or its string), got 'gpu-0'",
    ),
    "instances.list": (
        lambda fs: fs.instances.list(project_id="proj"),
        "project_id must be a UUID (uuid.UUID or its string), got 'proj'",
    ),
    "invitations.create email": (
        lambda fs: fs.invitations.create(email=""),
        "email must be a non-empty string, got ''",
    ),
    "invitations.create role": (
        lambda fs: fs.invitations.create(email="a@b.io", role=" "),
        "role must be a non-empty string, got ' '",
    ),
    "keys.register name": (
        lambda fs: fs.keys.register(name=5, key="ssh-ed25519 A"),
        "name must be a non-empty string, got 5",
    ),
    "keys.register key": (
        lambda fs: fs.keys.register(name="k", key=""),
        "key must be a non-empty string, got ''",
    ),
    "keys.deregister": (
        lambda fs: fs.keys.deregister(".."),
        "name '..' is not a valid path segment",
    ),
    "members.update id": (
        lambda fs: fs.members.update("", role="admin"),
        "member_id must be a non-empty string, got ''",
    ),
    "members.update role": (
        lambda fs: fs.members.update("m-1", role="owner"),
        "role must be one of 'admin', 'editor', 'viewer', got 'owner'",
    ),
    "members.delete": (
        lambda fs: fs.members.delete("."),
        "member_id '.' is not a valid path segment",
    ),
    "invitations.delete": (
        lambda fs: fs.invitations.delete(None),
        "invitation_id must be a non-empty string, got None",
    ),
    "region": (lambda fs: fs.region(" "), "region name must be a non-empty string, got ' '"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(CALLS))
def test_a_refused_argument_is_named(mode: str, case: str, server: ScriptedServer) -> None:
    call, message = CALLS[case]
    with pytest.raises(InvalidParameterError) as info:
        run(mode, server.url, call)
    assert str(info.value) == message
    assert server.requests == []


@pytest.mark.parametrize("cls", [Fluidstack, AsyncFluidstack])
def test_each_resource_prints_its_class_and_client(cls: Any) -> None:
    fs = cls("tok-0123456789", base_url="https://x.io/api")
    prefix = "Async" if cls is AsyncFluidstack else ""
    for attribute, name in [
        ("regions", "Regions"),
        ("clusters", "Clusters"),
        ("organizations", "Organizations"),
        ("members", "Members"),
        ("invitations", "Invitations"),
        ("instances", "Instances"),
        ("keys", "Keys"),
    ]:
        resource = getattr(fs, attribute)
        assert repr(resource) == f"<{prefix}{name} of {fs!r}>"
        assert getattr(fs, attribute) is resource  # made once per client
