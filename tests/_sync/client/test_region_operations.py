# Derived from tests/client/test_region_operations.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Every operation of the regional spec through a region client, against a real server
on 127.0.0.1: the request each method sends (method, path, `X-PROJECT-ID`, the JSON
body exactly: `user_data` as base64 `userData`, tags, filesystems as UUID strings) and
the models it parses the answer into; the project each call acts in; the arguments
refused before anything is sent; the region's refusals (400, 409) as typed errors
with its message; and answers that do not match the regional spec as
`APIResponseValidationError` naming the field.

The operation table (tests/support/client_region.py) is checked against
spec/atlas-region-v1alpha1.yaml, so an operation added to the spec without a test
fails here.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from support.client_region import (
    API,
    FILESYSTEM_ID,
    INSTANCE,
    INSTANCE_ID,
    INSTANCE_MINIMAL,
    OTHER_PROJECT,
    OTHER_PROJECT_ID,
    PROJECT,
    PROJECT_BODY,
    PROJECT_ID,
    PROJECT_OPERATIONS,
    PROJECTLESS_OPERATIONS,
    REGION_OPERATIONS,
    USER_DATA,
    region_spec_operations,
)
from support.clients import FAST, TOKEN
from support.scripted_server import Recorded, Reply, ScriptedServer

from fluidstack_client import (
    UNSET,
    APIResponseValidationError,
    BadRequestError,
    ConflictError,
    Fluidstack,
    InvalidParameterError,
    NotFoundError,
    RegionClient,
)
from fluidstack_client._generated.management.api.user import list_keys
from fluidstack_client._generated.region.api.instances import get_instance
from fluidstack_client._generated.region.api.projects import list_projects
from fluidstack_client.region import Instance, InstanceState, Project, ProjectState

Call = Callable[[RegionClient], object]
INSTANCE_TYPE = "h100-hgx-80gb.8x"


def _region(server: ScriptedServer, **options: Any) -> RegionClient:
    """A region client of `server` (a bare host: the API is under /api/v1alpha1)."""
    options = {"token": TOKEN, "project_id": PROJECT, "retry_policy": FAST, **options}
    return RegionClient(server.url, **options)


def _assert_sent_as_the_spec_says(operation: str, sent: Recorded, result: object) -> None:
    """`sent` is the request the table says `operation` sends, and `result` what it
    says the call returns."""
    op = REGION_OPERATIONS[operation]
    documented = region_spec_operations()[operation]
    assert sent.method == documented.method
    assert re.fullmatch(API + re.sub(r"\{[^}]+\}", "[^/]+", documented.template), sent.path)
    assert sent.path == API + op.path
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["user-agent"].startswith("fluidstack-client/")
    # X-PROJECT-ID exactly where the spec has it, as the UUID's canonical string.
    assert sent.headers.get("x-project-id") == (PROJECT_ID if documented.sends_project else None)
    assert "x-org-id" not in sent.headers
    if op.body is None:
        assert sent.body == b""
        assert "content-type" not in sent.headers
    else:
        assert json.loads(sent.body) == op.body
        assert sent.headers["content-type"] == "application/json"
    if op.expected is None:
        assert result is None
    else:
        assert result == op.expected
        expected = op.expected if isinstance(op.expected, list) else [op.expected]
        returned = result if isinstance(result, list) else [result]
        assert [type(r) for r in returned] == [type(e) for e in expected]


# -- the operation table ---------------------------------------------------------------------


# -- every operation, as the spec says it -------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
def test_region_operation(operation: str, server: ScriptedServer) -> None:
    op = REGION_OPERATIONS[operation]
    server.queue(op.reply)
    with _region(server) as east:
        result = op.invoke(east)
    (sent,) = server.requests
    _assert_sent_as_the_spec_says(operation, sent, result)


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
def test_region_operation_through_region(
    operation: str, server: ScriptedServer, other_server: ScriptedServer
) -> None:
    """The same request from the client `fs.region(name)` gives, to the region's URL."""
    op = REGION_OPERATIONS[operation]
    server.default = Reply(json=[{"name": "r1", "url": other_server.url}])
    other_server.queue(op.reply)
    with Fluidstack(TOKEN, base_url=server.url + API, retry_policy=FAST) as fs:
        east = fs.region("r1", project_id=PROJECT_ID)
        result = op.invoke(east)
    assert [r.path for r in server.requests] == [f"{API}/regions"]
    (sent,) = other_server.requests
    _assert_sent_as_the_spec_says(operation, sent, result)


# -- the project a call acts in ------------------------------------------------------------------


@pytest.mark.parametrize("operation", PROJECT_OPERATIONS)
def test_a_call_names_its_own_project(operation: str, server: ScriptedServer) -> None:
    op = REGION_OPERATIONS[operation]
    server.queue(op.reply, op.reply, op.reply)
    with _region(server, project_id=None) as east:
        op.invoke(east, project_id=OTHER_PROJECT_ID)
        op.invoke(east.with_options(project_id=PROJECT), project_id=OTHER_PROJECT)
    with _region(server) as east:
        op.invoke(east, project_id=OTHER_PROJECT_ID.upper())
    assert [r.headers["x-project-id"] for r in server.requests] == [OTHER_PROJECT_ID] * 3


@pytest.mark.parametrize("operation", PROJECT_OPERATIONS)
def test_no_project_is_refused_before_anything_is_sent(
    operation: str, server: ScriptedServer
) -> None:
    with _region(server, project_id=None) as east:
        with pytest.raises(InvalidParameterError) as info:
            REGION_OPERATIONS[operation].invoke(east)
    message = str(info.value)
    assert "project_id=" in message
    assert "FLUIDSTACK_PROJECT_ID" in message
    assert message.endswith("(nothing was sent)")
    assert server.requests == []


@pytest.mark.parametrize("operation", PROJECT_OPERATIONS)
def test_a_project_that_is_not_a_uuid_is_refused_before_anything_is_sent(
    operation: str, server: ScriptedServer
) -> None:
    with _region(server) as east:
        with pytest.raises(InvalidParameterError) as info:
            REGION_OPERATIONS[operation].invoke(east, project_id="project-1")
    assert str(info.value) == (
        "project_id must be a UUID (uuid.UUID or its string), got 'project-1'"
    )
    assert server.requests == []


@pytest.mark.parametrize("bad", ["", " " + PROJECT_ID, PROJECT_ID + "0", 5, PROJECT_ID.encode()])
def test_project_ids_that_are_not_uuids(bad: object, server: ScriptedServer) -> None:
    with _region(server) as east:
        with pytest.raises(InvalidParameterError, match="project_id must be a UUID"):
            east.instances.list(project_id=bad)  # type: ignore[arg-type]
    assert server.requests == []


@pytest.mark.parametrize("operation", PROJECTLESS_OPERATIONS)
def test_an_operation_outside_any_project_needs_none_and_sends_none(
    operation: str, server: ScriptedServer
) -> None:
    op = REGION_OPERATIONS[operation]
    server.queue(op.reply, op.reply)
    with _region(server, project_id=None) as east:
        op.invoke(east)
    with _region(server) as east:  # the client's project is not sent either
        op.invoke(east)
    assert [r.headers.get("x-project-id") for r in server.requests] == [None, None]


def test_the_project_header_is_the_uuids_canonical_string(server: ScriptedServer) -> None:
    server.default = Reply(json=[])
    forms: list[str | uuid.UUID] = [
        PROJECT_ID.upper(),
        "{" + PROJECT_ID + "}",
        "urn:uuid:" + PROJECT_ID,
        PROJECT_ID.replace("-", ""),
        PROJECT,
    ]
    with _region(server, project_id=None) as east:
        for form in forms:
            east.instances.list(project_id=form)
    for form in forms:
        with _region(server, project_id=form) as east:
            east.filesystems.list()
    assert [r.headers["x-project-id"] for r in server.requests] == [PROJECT_ID] * 10


# -- what instances.create sends -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (USER_DATA, base64.b64encode(USER_DATA).decode()),
        (b"\x00\xff\xfe binary", "AP/+IGJpbmFyeQ=="),
        ("#cloud-config\nhostname: café\n", "I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogY2Fmw6kK"),
        ("", ""),
        (b"", ""),
        (bytearray(b"hi"), "aGk="),
        (memoryview(b"hi"), "aGk="),
    ],
)
def test_user_data_goes_out_base64(given: bytes | str, sent: str, server: ScriptedServer) -> None:
    server.queue(Reply(201, INSTANCE))
    with _region(server) as east:
        east.instances.create(name="gpu-0", type=INSTANCE_TYPE, user_data=given)
    assert json.loads(server.last.body) == {
        "name": "gpu-0",
        "type": INSTANCE_TYPE,
        "userData": sent,
    }
    assert base64.b64decode(sent) == (given.encode() if isinstance(given, str) else bytes(given))


def test_returned_user_data_is_bytes(server: ScriptedServer) -> None:
    server.queue(
        Reply(json=INSTANCE),
        Reply(json={**INSTANCE, "userData": None}),
        Reply(json=INSTANCE_MINIMAL),
        Reply(json={**INSTANCE, "userData": ""}),
        Reply(json={**INSTANCE, "userData": "AP/+"}),
    )
    with _region(server) as east:
        given, null, absent, empty, binary = [east.instances.get(INSTANCE_ID) for _ in range(5)]
    assert type(given.user_data) is bytes
    assert given.user_data == USER_DATA
    assert null.user_data is None
    assert absent.user_data is UNSET
    assert empty.user_data == b""
    assert binary.user_data == b"\x00\xff\xfe"
    assert given.to_dict()["userData"] == INSTANCE["userData"]


def test_only_the_arguments_given_are_sent(server: ScriptedServer) -> None:
    server.default = Reply(201, INSTANCE)
    with _region(server) as east:
        east.instances.create(name="gpu-0", type=INSTANCE_TYPE)
        # False, empty and zero-length values are values: sent, not left out.
        east.instances.create(
            name="",
            type=INSTANCE_TYPE,
            image="",
            preemptible=False,
            ephemeral=False,
            tags={},
            filesystems=[],
        )
    minimal, falsy = (json.loads(r.body) for r in server.requests)
    assert minimal == {"name": "gpu-0", "type": INSTANCE_TYPE}
    assert falsy == {
        "name": "",
        "type": INSTANCE_TYPE,
        "image": "",
        "preemptible": False,
        "ephemeral": False,
        "tags": {},
        "filesystems": [],
    }


def test_filesystems_go_out_as_uuid_strings(server: ScriptedServer) -> None:
    server.default = Reply(201, INSTANCE)
    other = "7e57d004-2b97-4e7a-b45f-5387367791cd"
    with _region(server) as east:
        east.instances.create(
            name="gpu-0",
            type=INSTANCE_TYPE,
            filesystems=[uuid.UUID(FILESYSTEM_ID), other.upper(), "{" + other + "}"],
        )
        east.instances.create(
            name="gpu-0", type=INSTANCE_TYPE, filesystems=(f for f in [FILESYSTEM_ID])
        )
    listed = [json.loads(r.body)["filesystems"] for r in server.requests]
    assert listed == [[FILESYSTEM_ID, other, other], [FILESYSTEM_ID]]


def test_tags_go_out_as_given(server: ScriptedServer) -> None:
    server.queue(Reply(201, INSTANCE), Reply(201, PROJECT_BODY))
    tags = {"team": "ml", "owner.name": "Zoë", "empty": ""}
    with _region(server) as east:
        east.instances.create(name="gpu-0", type=INSTANCE_TYPE, tags=tags)
        east.projects.create(name="project-1", tags=tags)
    assert [json.loads(r.body)["tags"] for r in server.requests] == [tags, tags]


def test_a_filesystem_and_a_project_are_created_as_given(server: ScriptedServer) -> None:
    server.queue(
        Reply(201, {"id": FILESYSTEM_ID, "name": "", "size": "x"}), Reply(201, PROJECT_BODY)
    )
    with _region(server) as east:
        created = east.filesystems.create(name="", size="x")
        east.projects.create(name="project-1")
    assert (created.name, created.size) == ("", "x")
    assert [json.loads(r.body) for r in server.requests] == [
        {"name": "", "size": "x"},
        {"name": "project-1"},
    ]


# -- arguments refused before anything is sent ----------------------------------------------------


def _create(**kwargs: object) -> Call:
    """instances.create with valid required arguments, and `kwargs`."""
    arguments: dict[str, Any] = {"name": "gpu-0", "type": INSTANCE_TYPE, **kwargs}
    return lambda east: east.instances.create(**arguments)


BAD_ARGUMENTS: dict[str, tuple[Call, str]] = {
    "user_data an int": (_create(user_data=5), "user_data must be bytes or str, got int"),
    "user_data a list": (_create(user_data=[b"a"]), "user_data must be bytes or str, got list"),
    "user_data a lone surrogate": (_create(user_data="\ud800"), "user_data cannot be sent"),
    "tags a list": (_create(tags=["team"]), "tags must be a mapping of text to text"),
    "tags a string": (_create(tags="team=ml"), "tags must be a mapping of text to text"),
    "a tag key not text": (_create(tags={1: "ml"}), "a tag's key must be a string, got 1"),
    "a tag value not text": (_create(tags={"n": 1}), "tag 'n' must be a string, got 1"),
    "a tag value None": (_create(tags={"n": None}), "tag 'n' must be a string, got None"),
    "a filesystem not a uuid": (
        _create(filesystems=["fs-1"]),
        "filesystems[0] must be a UUID (uuid.UUID or its string), got 'fs-1'",
    ),
    "the second filesystem not a uuid": (
        _create(filesystems=[FILESYSTEM_ID, 7]),
        "filesystems[1] must be a UUID",
    ),
    "filesystems one string": (
        _create(filesystems=FILESYSTEM_ID),
        "filesystems must be a list of UUIDs",
    ),
    "filesystems an int": (_create(filesystems=5), "filesystems must be a list of UUIDs"),
    "preemptible 0": (_create(preemptible=0), "preemptible must be True or False, got 0"),
    "preemptible 'false'": (
        _create(preemptible="false"),
        "preemptible must be True or False, got 'false'",
    ),
    "ephemeral 1": (_create(ephemeral=1), "ephemeral must be True or False, got 1"),
    "name not text": (_create(name=5), "name must be a string, got 5"),
    "name None": (_create(name=None), "name must be a string, got None"),
    "type not text": (_create(type=["h100"]), "type must be a string"),
    "image not text": (_create(image=b"ubuntu"), "image must be a string"),
    "instance id not a uuid": (
        lambda east: east.instances.get("gpu-0"),
        "instance_id must be a UUID (uuid.UUID or its string), got 'gpu-0'",
    ),
    "instance id climbing": (lambda east: east.instances.start(".."), "instance_id must be a UUID"),
    "instance id an int": (lambda east: east.instances.stop(5), "instance_id must be a UUID"),  # type: ignore[arg-type]
    "instance id empty": (lambda east: east.instances.delete(""), "instance_id must be a UUID"),
    "filesystem id not a uuid": (
        lambda east: east.filesystems.get("fs-1"),
        "filesystem_id must be a UUID",
    ),
    "filesystem id to delete not a uuid": (
        lambda east: east.filesystems.delete("fs-1/x"),
        "filesystem_id must be a UUID",
    ),
    "filesystem size not text": (
        lambda east: east.filesystems.create(name="fs-1", size=512),  # type: ignore[arg-type]
        "size must be a string, got 512",
    ),
    "project id not a uuid": (lambda east: east.projects.get("p-1"), "project_id must be a UUID"),
    "project id to delete not a uuid": (
        lambda east: east.projects.delete("p-1"),
        "project_id must be a UUID",
    ),
    "project name not text": (
        lambda east: east.projects.create(name=None),  # type: ignore[arg-type]
        "name must be a string, got None",
    ),
    "project tag not text": (
        lambda east: east.projects.create(name="p", tags={"a": 1}),  # type: ignore[dict-item]
        "tag 'a' must be a string, got 1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_are_refused_before_anything_is_sent(
    case: str, server: ScriptedServer
) -> None:
    call, message = BAD_ARGUMENTS[case]
    with _region(server) as east:
        with pytest.raises(InvalidParameterError) as info:
            call(east)
    assert str(info.value).startswith(message), str(info.value)
    assert server.requests == []


# -- the region's refusals ----------------------------------------------------------------------

REFUSED: dict[str, tuple[Call, str]] = {
    "a type the region does not offer": (
        lambda east: east.instances.create(name="gpu-0", type="tpu-v9"),
        'instance type "tpu-v9" is not offered in this region',
    ),
    "an empty instance name": (
        lambda east: east.instances.create(name="", type=INSTANCE_TYPE),
        "name must not be empty",
    ),
    "a bad filesystem size": (
        lambda east: east.filesystems.create(name="fs-1", size="lots"),
        'invalid size "lots"',
    ),
    "an empty project name": (
        lambda east: east.projects.create(name=""),
        "name must not be empty",
    ),
    "start refused": (lambda east: east.instances.start(INSTANCE_ID), "instance is out of stock"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_regions_400_is_a_bad_request_error_with_its_message(
    case: str, server: ScriptedServer
) -> None:
    call, message = REFUSED[case]
    server.default = Reply(400, {"message": message})
    with _region(server) as east:
        with pytest.raises(BadRequestError) as info:
            call(east)
    assert info.value.status_code == 400
    assert info.value.message == message
    assert info.value.body == {"message": message}
    assert len(server.requests) == 1  # sent (the region judges), and once


@pytest.mark.parametrize("action", ["start", "stop"])
def test_an_action_the_state_forbids_is_a_conflict_error_with_the_servers_message(
    action: str, server: ScriptedServer
) -> None:
    message = f"cannot {action} instance {INSTANCE_ID}: it is running"
    server.default = Reply(409, {"message": message})
    with _region(server) as east:
        with pytest.raises(ConflictError) as info:
            getattr(east.instances, action)(INSTANCE_ID)
    exc = info.value
    assert exc.status_code == 409
    assert exc.message == message
    assert str(exc) == (
        f"POST {server.url}{API}/instances/{INSTANCE_ID}/actions/{action}: 409 {message}"
    )
    assert len(server.requests) == 1


def test_a_gone_instance_is_not_found(server: ScriptedServer) -> None:
    server.default = Reply(404, {"message": "instance not found"})
    with _region(server) as east:
        with pytest.raises(NotFoundError) as info:
            east.instances.get(INSTANCE_ID)
    assert info.value.message == "instance not found"
    assert "base_url has no path" not in str(info.value)  # the Management API's hint


# -- answers that do not match the regional spec ---------------------------------------------------

NOT_THE_SPEC: dict[str, tuple[Call, object, str]] = {
    "an instance without state": (
        lambda east: east.instances.get(INSTANCE_ID),
        {k: v for k, v in INSTANCE.items() if k != "state"},
        "state",
    ),
    "an instance without filesystems": (
        lambda east: east.instances.list(),
        [{k: v for k, v in INSTANCE.items() if k != "filesystems"}],
        "filesystems",
    ),
    "a created instance without an id": (
        lambda east: east.instances.create(name="gpu-0", type=INSTANCE_TYPE),
        {k: v for k, v in INSTANCE.items() if k != "id"},
        "id",
    ),
    "capacity an int given as a string": (
        lambda east: east.capacity.list(),
        [{"name": INSTANCE_TYPE, "capacity": "3"}],
        "capacity",
    ),
    "capacity a float": (
        lambda east: east.capacity.list(),
        [{"name": INSTANCE_TYPE, "capacity": 3.0}],
        "capacity",
    ),
    "capacity a bool": (
        lambda east: east.capacity.list(),
        [{"name": INSTANCE_TYPE, "capacity": True}],
        "capacity",
    ),
    "cpu given as a string": (
        lambda east: east.instance_types.list(),
        [{"name": INSTANCE_TYPE, "cpu": "128", "memory": "1Ti"}],
        "cpu",
    ),
    "a project without tags": (
        lambda east: east.projects.get(PROJECT_ID),
        {k: v for k, v in PROJECT_BODY.items() if k != "tags"},
        "tags",
    ),
    "preemptible a string": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "preemptible": "no"},
        "preemptible",
    ),
    "userData not base64": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "userData": "not base64!"},
        "user_data",
    ),
    "userData badly padded": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "userData": "aGk"},
        "user_data",
    ),
    "userData not ASCII": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "userData": "aGé="},
        "user_data",
    ),
    "userData a number": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "userData": 5},
        "user_data",
    ),
    "an instance id not a uuid": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "id": "gpu-0"},
        "id",
    ),
    "a filesystem id not a uuid": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "filesystems": ["fs-1"]},
        "filesystems",
    ),
    "filesystems a string": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "filesystems": ""},
        "filesystems",
    ),
    "filesystems an object": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "filesystems": {FILESYSTEM_ID: True}},
        "filesystems",
    ),
    "state not text": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "state": 3},
        "state",
    ),
    "ip not text": (
        lambda east: east.instances.get(INSTANCE_ID),
        {**INSTANCE, "ip": 10},
        "ip",
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_THE_SPEC))
def test_an_answer_that_does_not_match_the_spec_is_a_validation_error_naming_the_field(
    case: str, server: ScriptedServer
) -> None:
    call, body, name = NOT_THE_SPEC[case]
    server.default = Reply(201 if "created" in case else 200, body)
    with _region(server) as east:
        with pytest.raises(APIResponseValidationError) as info:
            call(east)
    message = info.value.message
    assert "does not match the spec" in message, message
    # The field, by its name in the spec or in Python, as a word of its own.
    spec_name = "userData" if name == "user_data" else name
    detail = message.partition("; body starts:")[0]
    assert re.search(rf"\b({name}|{spec_name})\b", detail), detail
    assert len(server.requests) == 1  # a 2xx is never retried


def test_unknown_states_and_fields_parse(server: ScriptedServer) -> None:
    """Forward compatibility, as for the Management models."""
    server.queue(
        Reply(json={**INSTANCE, "state": "hibernating", "zone": "b", "gpus": [0, 1]}),
        Reply(json=[{**PROJECT_BODY, "state": "archived", "owner": "ada"}]),
    )
    with _region(server) as east:
        instance = east.instances.get(INSTANCE_ID)
        (project,) = east.projects.list()
    assert isinstance(instance, Instance)
    assert instance.state == "hibernating"
    assert not instance.state.is_known
    assert InstanceState.RUNNING.is_known
    assert instance.additional_properties == {"zone": "b", "gpus": [0, 1]}
    assert instance.to_dict()["zone"] == "b"
    assert isinstance(project, Project)
    assert project.state == "archived"
    assert not project.state.is_known
    assert ProjectState.ACTIVE.is_known
    assert project["owner"] == "ada"


# -- the generated functions, through a region client --------------------------------------------


def test_generated_regional_functions_send_through_the_region_client(
    server: ScriptedServer,
) -> None:
    server.queue(Reply(500, {"message": "x"}), Reply(json=[PROJECT_BODY]), Reply(json=INSTANCE))
    with _region(server, max_retries=1) as east:
        projects = list_projects.sync(client=east.generated_client())
        assert isinstance(projects, list)
        response = get_instance.sync_detailed(
            uuid.UUID(INSTANCE_ID), client=east.generated_client(), x_project_id=PROJECT
        )
    assert [p.name for p in projects] == ["project-1"]  # the 500 was retried
    assert response.status_code == 200
    assert isinstance(response.parsed, Instance)
    assert [r.headers["authorization"] for r in server.requests] == [f"Bearer {TOKEN}"] * 3
    assert server.last.headers["x-project-id"] == PROJECT_ID


def test_a_management_function_through_a_region_client_is_refused_unsent(
    server: ScriptedServer,
) -> None:
    with _region(server) as east:
        with pytest.raises(InvalidParameterError) as info:
            list_keys.sync_detailed(client=east.generated_client())
    assert str(info.value) == "GET /user/keys is not an operation of the regional API"
    assert server.requests == []


def test_a_regional_function_through_the_management_client_is_refused_unsent(
    server: ScriptedServer,
) -> None:
    with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
        with pytest.raises(InvalidParameterError) as info:
            list_projects.sync_detailed(client=fs.generated_client())
    assert str(info.value) == "GET /projects is not an operation of the Management API"
    assert server.requests == []
