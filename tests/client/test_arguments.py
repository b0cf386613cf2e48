"""Arguments are checked before anything is sent: a bad one raises
`InvalidParameterError` naming it, as the caller wrote it, and the server sees nothing.
The resources check their own arguments; the send path then matches every request to
an operation of the spec by method and path and checks each path parameter again, so
`generated_client()` (its functions and its httpx side) gets the same checks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from support import samples
from support.client_generated import httpx_side
from support.client_kinds import CLIENTS, ClientClass
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import AsyncFluidstack, InvalidParameterError
from fluidstack_client._generated.management.api.instances import get_instance
from fluidstack_client._generated.management.api.invitations import delete_invitation
from fluidstack_client._generated.management.api.members import delete_member, update_member
from fluidstack_client._generated.management.api.user import deregister_key, register_key
from fluidstack_client._generated.management.models import SSHKey as GeneratedSSHKey
from fluidstack_client._generated.management.models import UpdateMemberBody, UpdateMemberBodyRole
from fluidstack_client._operations import MAX_PARAMETER_CHARS, match
from fluidstack_client._validate import as_uuid, is_path_segment, known_member, path_segment, text

Call = Callable[[AsyncFluidstack], Awaitable[object]]
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
async def test_bad_arguments_are_rejected_before_sending(case: str, server: ScriptedServer) -> None:
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            await BAD_CALLS[case](fs)
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
async def test_a_refused_argument_is_named(case: str, server: ScriptedServer) -> None:
    call, message = NAMED[case]
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await call(fs)
    assert str(info.value) == message
    assert server.requests == []


# -- path segments: what may and may not become one -------------------------------------

PATH_CALLS: dict[str, Callable[[AsyncFluidstack, str], Awaitable[object]]] = {
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
async def test_control_characters_and_del_never_reach_a_path(
    call: str, char: str, server: ScriptedServer
) -> None:
    value = f"a{char}b"
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await PATH_CALLS[call](fs, value)
    assert str(info.value) == f"{NAMES[call]} {value!r} is not a valid path segment"
    assert server.requests == []


@pytest.mark.parametrize("value", ["a b", "a\x80b", "ä", "~", "a.b", "..."])
async def test_printable_and_non_ascii_segments_are_sent(
    value: str, server: ScriptedServer
) -> None:
    server.default = Reply(204)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.keys.deregister(value)
    (request,) = server.requests
    assert request.method == "DELETE"
    sent = httpx.URL(server.url + request.path).path
    assert sent == f"/user/keys/{value}"


async def test_awkward_but_valid_names_stay_in_their_segment(server: ScriptedServer) -> None:
    server.default = Reply(204)
    names = ("a/../..", "..%2f", "key?x=1#frag", "...", "ünïcode key")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        for name in names:
            await fs.keys.deregister(name)
    paths = [r.path for r in server.requests]
    assert len(paths) == len(names)
    assert all(p.startswith("/user/keys/") and p.count("/") == 3 for p in paths), paths


async def test_ids_accept_uuid_objects(server: ScriptedServer) -> None:
    server.queue(Reply(json=samples.INSTANCE), Reply(204))
    ident = uuid.UUID(samples.INSTANCE_ID)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        await fs.instances.get(ident)
        await fs.invitations.delete(ident)
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
    "generated get_instance": lambda fs: get_instance.asyncio_detailed(
        LONG,  # type: ignore[arg-type]
        client=fs.generated_client(),
    ),
    "generated deregister_key": lambda fs: deregister_key.asyncio_detailed(
        LONG, client=fs.generated_client()
    ),
    "generated delete_member": lambda fs: delete_member.asyncio_detailed(
        LONG, client=fs.generated_client()
    ),
    "generated update_member": lambda fs: update_member.asyncio_detailed(
        LONG, client=fs.generated_client(), body=ADMIN
    ),
}


@pytest.mark.parametrize("case", list(LONG_IDS))
async def test_a_70000_character_id_is_an_invalid_parameter(
    case: str, server: ScriptedServer
) -> None:
    """The bug: httpx.InvalidURL ("URL too long") escaped raw."""
    server.default = Reply(204)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await LONG_IDS[case](fs)
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
    "generated register_key": lambda fs: register_key.asyncio_detailed(
        client=fs.generated_client(), body=GeneratedSSHKey(name="\ud800", key="ssh-ed25519 AAA")
    ),
}


@pytest.mark.parametrize("case", list(SURROGATES))
async def test_a_lone_surrogate_is_an_invalid_parameter(case: str, server: ScriptedServer) -> None:
    """The bug: UnicodeEncodeError escaped raw."""
    server.default = Reply(200)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            await SURROGATES[case](fs)
    assert server.requests == []


async def test_a_body_that_cannot_be_encoded_is_an_invalid_parameter(
    server: ScriptedServer,
) -> None:
    # A lone surrogate cannot be sent as UTF-8; the generated layer lets it through.
    body = GeneratedSSHKey(name="k\ud800", key="ssh-ed25519 A")
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await register_key.asyncio_detailed(client=fs.generated_client(), body=body)
    assert str(info.value) == (
        "cannot build the request: UnicodeEncodeError: 'utf-8' codec can't encode character "
        "'\\ud800' in position 10: surrogates not allowed"
    )
    assert server.requests == []


# -- the validators, as units --------------------------------------------------------------


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_dot_segments_and_empty_are_refused(value: str) -> None:
    assert not is_path_segment(value)
    with pytest.raises(InvalidParameterError):
        path_segment(value, "name")


@pytest.mark.parametrize("value", ["a", "...", " a", "a\x20", "\x80", "\x9f", "a/b"])
def test_other_segments_are_accepted(value: str) -> None:
    assert is_path_segment(value)
    assert path_segment(value, "name") == value


def test_path_segment_messages() -> None:
    ident = uuid.UUID(int=7)
    assert path_segment(ident, "member_id") == "00000000-0000-0000-0000-000000000007"
    for bad, message in [
        (5, "name must be a non-empty string, got 5"),
        (" \t", "name must be a non-empty string, got ' \\t'"),
        (None, "name must be a non-empty string, got None"),
        ("..", "name '..' is not a valid path segment"),
        (
            "a\ud800",
            "name cannot be sent: it is not valid Unicode text (a lone surrogate at position 1)",
        ),
    ]:
        with pytest.raises(InvalidParameterError) as info:
            path_segment(bad, "name")
        assert str(info.value) == message
    long_bad = "\x00" + "x" * 200
    with pytest.raises(InvalidParameterError) as info:
        path_segment(long_bad, "name")
    shown = repr(long_bad)[:100] + f"... [{len(repr(long_bad)) - 100} more characters]"
    assert str(info.value) == f"name {shown} is not a valid path segment"


def test_text_accepts_what_it_is_given() -> None:
    assert text(" padded ", "email") == " padded "
    assert text("ä", "email") == "ä"
    with pytest.raises(
        InvalidParameterError, match=r"^email must be a non-empty string, got b'x'$"
    ):
        text(b"x", "email")


def test_uuids() -> None:
    ident = uuid.UUID("0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c")
    assert as_uuid(ident, "instance_id") is ident
    assert as_uuid(str(ident).upper(), "instance_id") == ident
    for bad in ["gpu-0", 12, None, b"0f9e8d7c6b5a4f3e8d2c1b0a9f8e7d6c"]:
        with pytest.raises(InvalidParameterError) as info:
            as_uuid(bad, "instance_id")
        assert str(info.value) == (
            f"instance_id must be a UUID (uuid.UUID or its string), got {bad!r}"
        )


def test_known_member() -> None:
    assert known_member(UpdateMemberBodyRole, "editor", "role") is UpdateMemberBodyRole.EDITOR
    for bad in ["owner", "Admin", None, 1]:
        with pytest.raises(InvalidParameterError) as info:
            known_member(UpdateMemberBodyRole, bad, "role")
        assert str(info.value) == (f"role must be one of 'admin', 'editor', 'viewer', got {bad!r}")


# -- the send path: every request is an operation of the spec ----------------------------


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/regions", "list_regions"),
        ("GET", "/instances/x", "get_instance"),
        ("PATCH", "/members/m-1", "update_member"),
        ("POST", "/user/keys", "register_key"),
    ],
)
def test_operations_are_matched_by_method_and_path(method: str, path: str, name: str) -> None:
    operation = match("management", method, path)
    assert operation.name == name
    assert operation.is_read is (method == "GET")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/user/keys/x"), ("PUT", "/regions"), ("GET", "/regions/x/y")],
)
def test_anything_else_is_not_an_operation(method: str, path: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        match("management", method, path)
    assert str(info.value) == f"{method} {path} is not an operation of the Management API"


def test_a_long_path_that_is_no_operation_is_cut_in_the_message() -> None:
    path = "/" + "x" * 299
    with pytest.raises(InvalidParameterError) as info:
        match("management", "GET", path)
    assert str(info.value) == (
        f"GET {path[:200]}... [100 more characters] is not an operation of the Management API"
    )


@pytest.mark.parametrize("raw", ["a%7Fb", "a%1Fb", "%2e%2e", "%2E", "a%00"])
def test_encoded_bad_segments_are_refused_by_the_send_path(raw: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"^name .* is not a valid path segment$"):
        match("management", "DELETE", f"/user/keys/{raw}")


def test_a_long_bad_parameter_is_cut_in_the_message() -> None:
    value = "\x00" + "a" * 200
    shown = repr(value)[:100] + f"... [{len(repr(value)) - 100} more characters]"
    with pytest.raises(InvalidParameterError) as info:
        match("management", "DELETE", "/user/keys/%00" + "a" * 200)
    assert str(info.value) == f"name {shown} is not a valid path segment"
    with pytest.raises(InvalidParameterError) as info:
        match("management", "PATCH", "/members/..")
    assert str(info.value) == "id '..' is not a valid path segment"


def test_parameter_length_limit() -> None:
    assert MAX_PARAMETER_CHARS == 1024
    assert match("management", "DELETE", "/user/keys/" + "a" * 1024).name == "deregister_key"
    with pytest.raises(InvalidParameterError) as info:
        match("management", "DELETE", "/user/keys/" + "a" * 1025)
    assert str(info.value) == "name is 1025 characters once URL-encoded; at most 1024 are accepted"


# -- generated_client(): its functions and its httpx side get the same checks ------------

PATH_ESCAPES: dict[str, Call] = {
    "deregister_key('..')": lambda fs: deregister_key.asyncio_detailed(
        "..", client=fs.generated_client()
    ),
    "deregister_key('.')": lambda fs: deregister_key.asyncio_detailed(
        ".", client=fs.generated_client()
    ),
    "deregister_key('')": lambda fs: deregister_key.asyncio_detailed(
        "", client=fs.generated_client()
    ),
    "deregister_key('a\\nb')": lambda fs: deregister_key.asyncio_detailed(
        "a\nb", client=fs.generated_client()
    ),
    "delete_member('..')": lambda fs: delete_member.asyncio_detailed(
        "..", client=fs.generated_client()
    ),
    "delete_member('.')": lambda fs: delete_member.asyncio_detailed(
        ".", client=fs.generated_client()
    ),
    "delete_invitation('..')": lambda fs: delete_invitation.asyncio_detailed(
        "..", client=fs.generated_client()
    ),
    "update_member('..')": lambda fs: update_member.asyncio_detailed(
        "..", client=fs.generated_client(), body=ADMIN
    ),
    "get_instance('..')": lambda fs: get_instance.asyncio_detailed(
        "..",  # type: ignore[arg-type]
        client=fs.generated_client(),
    ),
}


@pytest.mark.parametrize("case", list(PATH_ESCAPES))
async def test_generated_client_checks_path_parameters_before_sending(
    case: str, server: ScriptedServer
) -> None:
    """The bug: deregister_key.asyncio_detailed("..") sent an authenticated DELETE /user."""
    server.default = Reply(204)  # what a server answering DELETE /user might say
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            await PATH_ESCAPES[case](fs)
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
async def test_generated_clients_httpx_side_sends_only_spec_operations(
    method: str, path: str, server: ScriptedServer
) -> None:
    server.default = Reply(204)
    async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError):
            await httpx_side(fs).request(method, path)
    assert [(r.method, r.path) for r in server.requests] == []


async def test_generated_client_requests_get_the_same_check(server: ScriptedServer) -> None:
    server.default = Reply(204)
    async with AsyncFluidstack(TOKEN, base_url=server.url) as fs:
        client = fs.generated_client()
        with pytest.raises(InvalidParameterError, match="is not a valid path segment"):
            await deregister_key.asyncio_detailed("a\x7fb", client=client)
        response = await deregister_key.asyncio_detailed("fine", client=client)
        assert response.status_code == 204
    assert [r.path for r in server.requests] == ["/user/keys/fine"]


# -- how resources print -----------------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENTS)
def test_each_resource_prints_its_class_and_client(cls: ClientClass) -> None:
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
