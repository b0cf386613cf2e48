"""Arguments checked before anything is sent, with the message a caller reads; and the
send path's own check of every path parameter (also for `generated_client()`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import Fluidstack, InvalidParameterError
from fluidstack_client._generated.api.user import deregister_key
from fluidstack_client._generated.models import UpdateMemberBodyRole
from fluidstack_client._operations import MAX_PARAMETER_CHARS, match
from fluidstack_client._validate import as_uuid, is_path_segment, known_member, path_segment, text

PATH_CALLS = {
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


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", sorted(PATH_CALLS))
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\n", "\t"])
def test_control_characters_and_del_never_reach_a_path(
    mode: str, call: str, char: str, server: ScriptedServer
) -> None:
    value = f"a{char}b"
    with pytest.raises(InvalidParameterError) as info:
        run(mode, server.url, lambda fs: PATH_CALLS[call](fs, value))
    assert str(info.value) == f"{NAMES[call]} {value!r} is not a valid path segment"
    assert server.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", ["a b", "a\x80b", "ä", "~", "a.b", "..."])
def test_printable_and_non_ascii_segments_are_sent(
    mode: str, value: str, server: ScriptedServer
) -> None:
    server.default = Reply(204)
    run(mode, server.url, lambda fs: fs.keys.deregister(value))
    (request,) = server.requests
    assert request.method == "DELETE"
    sent = httpx.URL(server.url + request.path).path
    assert sent == f"/user/keys/{value}"


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


# -- the send path's check of the path (what generated_client() relies on) ---------------


@pytest.mark.parametrize("raw", ["a%7Fb", "a%1Fb", "%2e%2e", "%2E", "a%00"])
def test_encoded_bad_segments_are_refused_by_the_send_path(raw: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"^name .* is not a valid path segment$"):
        match("DELETE", f"/user/keys/{raw}")


def test_a_long_bad_parameter_is_cut_in_the_message() -> None:
    value = "\x00" + "a" * 200
    shown = repr(value)[:100] + f"... [{len(repr(value)) - 100} more characters]"
    with pytest.raises(InvalidParameterError) as info:
        match("DELETE", "/user/keys/%00" + "a" * 200)
    assert str(info.value) == f"name {shown} is not a valid path segment"
    with pytest.raises(InvalidParameterError) as info:
        match("PATCH", "/members/..")
    assert str(info.value) == "id '..' is not a valid path segment"


def test_parameter_length_limit() -> None:
    assert MAX_PARAMETER_CHARS == 1024
    assert match("DELETE", "/user/keys/" + "a" * 1024).name == "deregister_key"
    with pytest.raises(InvalidParameterError) as info:
        match("DELETE", "/user/keys/" + "a" * 1025)
    assert str(info.value) == "name is 1025 characters once URL-encoded; at most 1024 are accepted"


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
    operation = match(method, path)
    assert operation.name == name
    assert operation.is_read is (method == "GET")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/user/keys/x"), ("PUT", "/regions"), ("GET", "/regions/x/y")],
)
def test_anything_else_is_not_an_operation(method: str, path: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        match(method, path)
    assert str(info.value) == f"{method} {path} is not an operation of the Management API"


def test_generated_client_requests_get_the_same_check(server: ScriptedServer) -> None:
    server.default = Reply(204)
    with Fluidstack(TOKEN, base_url=server.url) as fs:
        gc = fs.generated_client()
        with pytest.raises(InvalidParameterError, match="is not a valid path segment"):
            deregister_key.sync_detailed("a\x7fb", client=gc)
        assert deregister_key.sync_detailed("fine", client=gc).status_code == 204
    assert [r.path for r in server.requests] == ["/user/keys/fine"]


def test_a_long_path_that_is_no_operation_is_cut_in_the_message() -> None:
    path = "/" + "x" * 299
    with pytest.raises(InvalidParameterError) as info:
        match("GET", path)
    assert str(info.value) == (
        f"GET {path[:200]}... [100 more characters] is not an operation of the Management API"
    )
