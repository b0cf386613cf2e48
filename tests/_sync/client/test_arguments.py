# Derived from tests/client/test_arguments.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Arguments are checked before anything is sent: a bad one raises
`InvalidParameterError` naming it, as the caller wrote it, and the server sees nothing.
The resources check their own arguments; the send path then matches every request to
an operation of the spec by method and path and checks each path parameter again, so
`generated_client()` (its functions and its httpx side) gets the same checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from support import samples
from support.client_generated import httpx_side
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import Fluidstack, InvalidParameterError
from fluidstack_client._generated.management.api.instances import get_instance
from fluidstack_client._generated.management.api.invitations import delete_invitation
from fluidstack_client._generated.management.api.members import delete_member, update_member
from fluidstack_client._generated.management.api.user import deregister_key, register_key
from fluidstack_client._generated.management.models import SSHKey as GeneratedSSHKey
from fluidstack_client._generated.management.models import UpdateMemberBody, UpdateMemberBodyRole

Call = Callable[[Fluidstack], object]
ADMIN = UpdateMemberBody(role=UpdateMemberBodyRole.ADMIN)


# -- the resources' checks: refused before sending -------------------------------------

BAD_CALLS: dict[str, Call] = {
    "deregister ..": lambda fs: fs.keys.deregister(".."),
    "deregister .": lambda fs: fs.keys.deregister("."),
    "deregister empty": lambda fs: fs.keys.deregister(""),
    "deregister control char": lambda fs: fs.keys.deregister("a\r\nb"),
    "deregister int": lambda fs: fs.keys.deregister(5),  # type: ignore[arg-type]
    "delete member ..": lambda fs: fs.members.delete(".."),
    "delete invitation ..": lambda fs: fs.invitations.delete(".."),
    "update member ..": lambda fs: fs.members.update("..", role="admin"),
    "update member bad role": lambda fs: fs.members.update("m-1", role="owner"),
    "update member role none": lambda fs: fs.members.update("m-1", role=None),  # type: ignore[arg-type]
    "project_id not uuid": lambda fs: fs.instances.list(project_id="my-project"),
    "project_id int": lambda fs: fs.instances.list(project_id=12),  # type: ignore[arg-type]
    "instance id ..": lambda fs: fs.instances.get(".."),
    "instance id not uuid": lambda fs: fs.instances.get("gpu-0"),
    "invite empty email": lambda fs: fs.invitations.create(email=""),
    "invite email none": lambda fs: fs.invitations.create(email=None),  # type: ignore[arg-type]
    "register empty key": lambda fs: fs.keys.register(name="k", key=" "),
    "region empty": lambda fs: fs.region(""),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_are_rejected_before_sending(case: str, server: ScriptedServer) -> None:
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            BAD_CALLS[case](fs)
    assert server.requests == []


# call -> (the call, the message it raises)
NAMED: dict[str, tuple[Call, str]] = {
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
        lambda fs: fs.keys.register(name=5, key="ssh-ed25519 A"),  # type: ignore[arg-type]
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
        lambda fs: fs.invitations.delete(None),  # type: ignore[arg-type]
        "invitation_id must be a non-empty string, got None",
    ),
    "region": (lambda fs: fs.region(" "), "region name must be a non-empty string, got ' '"),
}


@pytest.mark.parametrize("case", sorted(NAMED))
def test_a_refused_argument_is_named(case: str, server: ScriptedServer) -> None:
    call, message = NAMED[case]
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            call(fs)
    assert str(info.value) == message
    assert server.requests == []


# -- path segments: what may and may not become one -------------------------------------

PATH_CALLS: dict[str, Callable[[Fluidstack, str], object]] = {
    "keys.deregister": lambda fs, v: fs.keys.deregister(v),
    "members.delete": lambda fs, v: fs.members.delete(v),
    "members.update": lambda fs, v: fs.members.update(v, role="viewer"),
    "invitations.delete": lambda fs, v: fs.invitations.delete(v),
}
NAMES = {
    "keys.deregister": "name",
    "members.delete": "member_id",
    "members.update": "member_id",
    "invitations.delete": "invitation_id",
}


@pytest.mark.parametrize("call", sorted(PATH_CALLS))
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\n", "\t"])
def test_control_characters_and_del_never_reach_a_path(
    call: str, char: str, server: ScriptedServer
) -> None:
    value = f"a{char}b"
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            PATH_CALLS[call](fs, value)
    assert str(info.value) == f"{NAMES[call]} {value!r} is not a valid path segment"
    assert server.requests == []


@pytest.mark.parametrize("value", ["a b", "a\x80b", "ä", "~", "a.b", "..."])
def test_printable_and_non_ascii_segments_are_sent(value: str, server: ScriptedServer) -> None:
    server.default = Reply(204)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        fs.keys.deregister(value)
    (request,) = server.requests
    assert request.method == "DELETE"
    sent = httpx.URL(server.url + request.path).path
    assert sent == f"/user/keys/{value}"


def test_awkward_but_valid_names_stay_in_their_segment(server: ScriptedServer) -> None:
    server.default = Reply(204)
    names = ("a/../..", "..%2f", "key?x=1#frag", "...", "ünïcode key")
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for name in names:
            fs.keys.deregister(name)
    paths = [r.path for r in server.requests]
    assert len(paths) == len(names)
    assert all(p.startswith("/user/keys/") and p.count("/") == 3 for p in paths), paths


def test_ids_accept_uuid_objects(server: ScriptedServer) -> None:
    server.queue(Reply(json=samples.INSTANCE), Reply(204))
    ident = uuid.UUID(samples.INSTANCE_ID)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        fs.instances.get(ident)
        fs.invitations.delete(ident)
    assert [r.path for r in server.requests] == [
        f"/instances/{samples.INSTANCE_ID}",
        f"/invitations/{samples.INSTANCE_ID}",
    ]


LONG = "a" * 70_000

LONG_IDS: dict[str, Call] = {
    "keys.deregister": lambda fs: fs.keys.deregister(LONG),
    "members.delete": lambda fs: fs.members.delete(LONG),
    "members.update": lambda fs: fs.members.update(LONG, role="admin"),
    "invitations.delete": lambda fs: fs.invitations.delete(LONG),
    "instances.get": lambda fs: fs.instances.get(LONG),
    "generated get_instance": lambda fs: get_instance.sync_detailed(
        LONG,  # type: ignore[arg-type]
        client=fs.generated_client(),
    ),
    "generated deregister_key": lambda fs: deregister_key.sync_detailed(
        LONG, client=fs.generated_client()
    ),
    "generated delete_member": lambda fs: delete_member.sync_detailed(
        LONG, client=fs.generated_client()
    ),
    "generated update_member": lambda fs: update_member.sync_detailed(
        LONG, client=fs.generated_client(), body=ADMIN
    ),
}


@pytest.mark.parametrize("case", list(LONG_IDS))
def test_a_70000_character_id_is_an_invalid_parameter(case: str, server: ScriptedServer) -> None:
    """The bug: httpx.InvalidURL ("URL too long") escaped raw."""
    server.default = Reply(204)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            LONG_IDS[case](fs)
    assert len(str(info.value)) < 1_000  # the id is not repeated in full
    assert server.requests == []


# -- text that cannot be sent ------------------------------------------------------------

SURROGATES: dict[str, Call] = {
    "keys.register name": lambda fs: fs.keys.register(name="lap\ud800top", key="ssh-ed25519 AAA"),
    "keys.register key": lambda fs: fs.keys.register(name="laptop", key="ssh-ed25519 \ud800"),
    "keys.deregister": lambda fs: fs.keys.deregister("\ud800"),
    "invitations.create": lambda fs: fs.invitations.create(email="\ud800@acme.io"),
    "members.delete": lambda fs: fs.members.delete("m-\udfff"),
    # Through the send path: the generated function hands the body over as is.
    "generated register_key": lambda fs: register_key.sync_detailed(
        client=fs.generated_client(), body=GeneratedSSHKey(name="\ud800", key="ssh-ed25519 AAA")
    ),
}


@pytest.mark.parametrize("case", list(SURROGATES))
def test_a_lone_surrogate_is_an_invalid_parameter(case: str, server: ScriptedServer) -> None:
    """The bug: UnicodeEncodeError escaped raw."""
    server.default = Reply(200)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            SURROGATES[case](fs)
    assert server.requests == []


def test_a_body_that_cannot_be_encoded_is_an_invalid_parameter(
    server: ScriptedServer,
) -> None:
    # A lone surrogate cannot be sent as UTF-8; the generated layer lets it through.
    body = GeneratedSSHKey(name="k\ud800", key="ssh-ed25519 A")
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            register_key.sync_detailed(client=fs.generated_client(), body=body)
    assert str(info.value) == (
        "cannot build the request: UnicodeEncodeError: 'utf-8' codec can't encode character "
        "'\\ud800' in position 10: surrogates not allowed"
    )
    assert server.requests == []


# -- the validators, as units --------------------------------------------------------------


# -- the send path: every request is an operation of the spec ----------------------------


# -- generated_client(): its functions and its httpx side get the same checks ------------

PATH_ESCAPES: dict[str, Call] = {
    "deregister_key('..')": lambda fs: deregister_key.sync_detailed(
        "..", client=fs.generated_client()
    ),
    "deregister_key('.')": lambda fs: deregister_key.sync_detailed(
        ".", client=fs.generated_client()
    ),
    "deregister_key('')": lambda fs: deregister_key.sync_detailed("", client=fs.generated_client()),
    "deregister_key('a\\nb')": lambda fs: deregister_key.sync_detailed(
        "a\nb", client=fs.generated_client()
    ),
    "delete_member('..')": lambda fs: delete_member.sync_detailed(
        "..", client=fs.generated_client()
    ),
    "delete_member('.')": lambda fs: delete_member.sync_detailed(".", client=fs.generated_client()),
    "delete_invitation('..')": lambda fs: delete_invitation.sync_detailed(
        "..", client=fs.generated_client()
    ),
    "update_member('..')": lambda fs: update_member.sync_detailed(
        "..", client=fs.generated_client(), body=ADMIN
    ),
    "get_instance('..')": lambda fs: get_instance.sync_detailed(
        "..",  # type: ignore[arg-type]
        client=fs.generated_client(),
    ),
}


@pytest.mark.parametrize("case", list(PATH_ESCAPES))
def test_generated_client_checks_path_parameters_before_sending(
    case: str, server: ScriptedServer
) -> None:
    """The bug: deregister_key.sync_detailed("..") sent an authenticated DELETE /user."""
    server.default = Reply(204)  # what a server answering DELETE /user might say
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            PATH_ESCAPES[case](fs)
    assert isinstance(info.value, ValueError)
    assert [(r.method, r.path) for r in server.requests] == []


RAW_PATHS = [
    ("DELETE", "/user"),
    ("DELETE", "/user/keys/.."),
    ("DELETE", "/user/keys/%2e%2E"),
    ("DELETE", "/user/keys/a/../.."),
    ("GET", "/admin"),
    ("GET", "https://evil.example/user/keys"),
]


@pytest.mark.parametrize(("method", "path"), RAW_PATHS)
def test_generated_clients_httpx_side_sends_only_spec_operations(
    method: str, path: str, server: ScriptedServer
) -> None:
    server.default = Reply(204)
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            httpx_side(fs).request(method, path)
    assert [(r.method, r.path) for r in server.requests] == []


def test_generated_client_requests_get_the_same_check(server: ScriptedServer) -> None:
    server.default = Reply(204)
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        client = fs.generated_client()
        with pytest.raises(InvalidParameterError, match="is not a valid path segment"):
            deregister_key.sync_detailed("a\x7fb", client=client)
        response = deregister_key.sync_detailed("fine", client=client)
        assert response.status_code == 204
    assert [r.path for r in server.requests] == ["/user/keys/fine"]


# -- how resources print -----------------------------------------------------------------
