"""The fake's regional API, used the way a user uses it: `await fs.region(name)` on a
client of the fake, in-process and on loopback (the `connect` fixture), every regional
operation, the instances' lifecycle on the fake's clock, capacity and `out-of-stock`,
what the fake refuses (409, 400, with its message), the org-wide view of the regions'
instances, and faults aimed at regional routes, the lost answer included."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from support.client_region import region_spec_operations
from support.testing_fake import Connect
from support.testing_region import H100, H100_8X, OTHER_PROJECT, one_region_fake

from fluidstack_client import (
    APIConnectionError,
    AsyncFluidstack,
    AsyncRegionClient,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
)
from fluidstack_client.testing import (
    DEFAULT_PROJECT_ID,
    REGION_ROUTES,
    FakeAPI,
    FakeTransport,
    FakeUsageError,
)
from fluidstack_client.testing._regional import NEEDS_PROJECT
from fluidstack_client.testing._schema import REQUEST_BODIES
from fluidstack_client.testing._seed import DATASETS, PROJECT_B


async def states_until(east: AsyncRegionClient, instance_id: Any, last: str) -> list[str]:
    """The states one `get()` after another sees, up to `last` (at most 10 polls)."""
    seen: list[str] = []
    while len(seen) < 10 and (not seen or seen[-1] != last):
        seen.append(str((await east.instances.get(instance_id)).state))
    return seen


# -- the regions are the fake's own ------------------------------------------------------


async def test_region_urls_lead_to_the_fakes_regional_api(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    async with connect(fake) as fs:
        listed = {r.name: r.url for r in await fs.regions.list()}
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = await fs.region("eu-west-1", project_id=PROJECT_B)
        in_east = [i.name for i in await east.instances.list()]
        in_west = [(i.name, i.state) for i in await west.instances.list()]
    assert listed == {name: fake.region_url(name) for name in ("us-east-1", "eu-west-1")}
    assert listed["us-east-1"] == f"{fake.origin}/regional/us-east-1/api/v1alpha1"
    assert str(east.base_url) == listed["us-east-1"]  # a URL with a path is kept as is
    assert in_east == ["gpu-train-0", "gpu-train-1"]
    assert in_west == [("gpu-eval-0", "stopped")]
    sent = [(r.operation, r.region, r.path) for r in fake.requests]
    assert sent == [
        ("ListRegions", None, "/api/v1alpha1/regions"),
        ("ListRegions", None, "/api/v1alpha1/regions"),  # region() fetches its own table
        ("ListInstances", "us-east-1", "/regional/us-east-1/api/v1alpha1/instances"),
        ("ListInstances", "eu-west-1", "/regional/eu-west-1/api/v1alpha1/instances"),
    ]
    assert fake.requests[2].headers["x-project-id"] == DEFAULT_PROJECT_ID


async def test_every_regional_operation(connect: Connect[AsyncFluidstack]) -> None:
    fake = one_region_fake(instances=[{"name": "on"}, {"name": "off", "state": "stopped"}])
    on, off = (i["id"] for i in fake.instances)
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        assert await east.capabilities.list() == ["instances", "filesystems", "kubernetes", "slurm"]
        assert [(t.name, t.gpu_count) for t in await east.instance_types.list()] == [
            (H100, 1),
            (H100_8X, 8),
        ]
        assert [(c.name, c.capacity) for c in await east.capacity.list()] == [
            (H100, 4),
            (H100_8X, 4),
        ]
        project = await east.projects.create(name="scratch", tags={"team": "ml"})
        assert (await east.projects.get(project.id)).tags["team"] == "ml"
        assert [p.name for p in await east.projects.list()] == [
            "ml-training",
            "research",
            "scratch",
        ]
        await east.projects.delete(project.id)
        filesystem = await east.filesystems.create(name="data", size="512Gi")
        assert (await east.filesystems.get(filesystem.id)).size == "512Gi"
        assert [f.name for f in await east.filesystems.list()] == ["datasets", "data"]
        await east.filesystems.delete(filesystem.id)
        created = await east.instances.create(name="new", type=H100)
        assert (created.name, created.state, created.filesystems) == ("new", "creating", [])
        assert (await east.instances.get(on)).state == "running"
        assert [i.name for i in await east.instances.list()] == ["on", "off", "new"]
        await east.instances.stop(on)  # each answers 202 or 204, and returns None
        await east.instances.start(off)
        await east.instances.delete(created.id)
        assert [c.name for c in await east.kubernetes.clusters.list()] == ["train-k8s"]
        assert [p.name for p in await east.kubernetes.node_pools.list()] == ["gpu-pool-1"]
        assert await east.slurm.clusters.list() == []  # hpc-slurm is in eu-west-1
        assert await east.slurm.node_pools.list() == []
    regional = [r for r in fake.requests if r.region is not None]
    assert {r.operation for r in regional} == {op for op, _, _, _ in REGION_ROUTES}
    assert all(r.region == "us-east-1" for r in regional)
    by_operation = {r.operation: r for r in regional}
    assert by_operation["StopInstance"].method == "POST"
    assert by_operation["StopInstance"].path.endswith(f"/instances/{on}/actions/stop")


async def test_clusters_and_node_pools_are_the_projects_in_the_region(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = FakeAPI(token="t0k")  # train-k8s: us-east-1, project A; hpc-slurm: eu-west-1, B
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = await fs.region("eu-west-1", project_id=PROJECT_B)
        assert [c.name for c in await east.kubernetes.clusters.list()] == ["train-k8s"]
        assert [(p.name, p.type_) for p in await east.kubernetes.node_pools.list()] == [
            ("gpu-pool-1", H100)
        ]
        assert await east.slurm.clusters.list() == []
        assert [c.name for c in await west.slurm.clusters.list()] == ["hpc-slurm"]
        assert [p.name for p in await west.slurm.node_pools.list()] == ["gpu-pool-2"]
        assert await west.kubernetes.clusters.list() == []
        assert await east.kubernetes.clusters.list(project_id=PROJECT_B) == []
        (cluster,) = await east.kubernetes.clusters.list()
    assert cluster.to_dict() == {"id": fake.clusters[0]["id"], "name": "train-k8s"}


# -- the lifecycle, on the fake's clock -----------------------------------------------------


async def test_create_stop_start_delete_each_take_a_few_polls(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = one_region_fake()
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = await east.instances.create(name="train-0", type=H100)
        assert created.state == "creating"
        assert created.ip is None
        # Each request takes 1 s of the fake's clock; each state lasts 2 s.
        assert await states_until(east, created.id, "running") == [
            "creating",
            "starting",
            "starting",
            "running",
        ]
        running = await east.instances.get(created.id)
        assert running.ip == "10.0.1.1"
        await east.instances.stop(created.id)
        assert await states_until(east, created.id, "stopped") == ["stopping", "stopped"]
        assert (await east.instances.get(created.id)).ip is None
        await east.instances.start(created.id)
        assert await states_until(east, created.id, "running") == ["starting", "running"]
        await east.instances.delete(created.id)
        assert (await east.instances.get(created.id)).state == "deleting"
        with pytest.raises(NotFoundError, match="instance not found"):
            await east.instances.get(created.id)
    assert fake.instances == []


async def test_the_clock_moves_only_when_the_test_says(connect: Connect[AsyncFluidstack]) -> None:
    fake = one_region_fake(seconds_per_request=0, durations={"creating": 30, "starting": 60})
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = await east.instances.create(name="train-0", type=H100)
        for _ in range(3):
            assert (await east.instances.get(created.id)).state == "creating"
        fake.advance(29.5)
        assert (await east.instances.get(created.id)).state == "creating"
        fake.advance(0.5)
        assert (await east.instances.get(created.id)).state == "starting"
        fake.advance(1000)  # past every transition due: it ends running
        assert (await east.instances.get(created.id)).state == "running"
    assert fake.clock == 1030


async def test_capacity_goes_down_on_create_and_up_once_deleted(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = one_region_fake(regions={"us-east-1": {"capacity": {H100: 1}}}, seconds_per_request=0)
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        assert [(c.name, c.capacity) for c in await east.capacity.list()] == [
            (H100, 1),
            (H100_8X, 4),
        ]
        first = await east.instances.create(name="first", type=H100)
        second = await east.instances.create(name="second", type=H100)  # none left
        assert second.state == "creating"  # accepted: it runs out of stock later
        assert fake.region("us-east-1").capacity == {H100: 0, H100_8X: 4}
        fake.advance(60)
        assert (await east.instances.get(first.id)).state == "running"
        assert (await east.instances.get(second.id)).state == "out-of-stock"
        with pytest.raises(ConflictError, match="is out-of-stock: only a stopped instance"):
            await east.instances.start(second.id)
        await east.instances.delete(first.id)
        assert fake.region("us-east-1").capacity[H100] == 0  # still deleting
        fake.advance(2)
        assert fake.region("us-east-1").capacity[H100] == 1  # gone: given back
        await east.instances.delete(second.id)  # it never held one
        fake.advance(2)
        assert [(c.name, c.capacity) for c in await east.capacity.list()] == [
            (H100, 1),
            (H100_8X, 4),
        ]
        assert await east.instances.list() == []


# -- what the fake refuses --------------------------------------------------------------------


async def test_an_action_the_state_forbids_is_a_409_with_the_servers_message(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = one_region_fake(
        instances=[{"name": "on"}, {"name": "off", "state": "stopped"}], seconds_per_request=0
    )
    on, off = (i["id"] for i in fake.instances)
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(ConflictError) as raised:
            await east.instances.start(on)
        assert raised.value.status_code == 409
        assert raised.value.message == (
            f"instance 'on' ({on}) is running: only a stopped instance can be started"
        )
        with pytest.raises(ConflictError, match="is stopped: only a running instance can be"):
            await east.instances.stop(off)
        creating = await east.instances.create(name="new", type=H100)
        with pytest.raises(ConflictError, match="is creating: only a running instance"):
            await east.instances.stop(creating.id)
        with pytest.raises(ConflictError) as raised:
            await east.projects.delete(DEFAULT_PROJECT_ID)
        assert raised.value.message == (
            f"project 'ml-training' ({DEFAULT_PROJECT_ID}) still has 3 instances (in "
            "us-east-1): delete them first"
        )
        for instance in (on, off, creating.id):
            await east.instances.delete(instance)
        with pytest.raises(ConflictError, match="still has 3 instances"):  # still deleting
            await east.projects.delete(DEFAULT_PROJECT_ID)
        fake.advance(2)
        await east.projects.delete(DEFAULT_PROJECT_ID)
        with pytest.raises(NotFoundError, match="project not found"):
            await east.projects.get(DEFAULT_PROJECT_ID)
    assert [p["name"] for p in fake.projects] == ["research"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: r.instances.create(name="x", type="a100"),
            "instance type 'a100' is not offered in us-east-1 (it offers "
            f"'{H100}', '{H100_8X}'; GET /instance-types lists them)",
        ),
        (lambda r: r.instances.create(name="", type=H100), "name must not be empty"),
        (lambda r: r.instances.create(name="  ", type=H100), "name must not be empty"),
        (
            lambda r: r.instances.create(name="x", type=H100, tags={"-bad": "v"}),
            "tag key '-bad' is not valid: keys are 1-63 characters",
        ),
        (
            lambda r: r.instances.create(name="x", type=H100, filesystems=[OTHER_PROJECT]),
            f"filesystem {OTHER_PROJECT} is not in this project in us-east-1",
        ),
        (
            lambda r: r.instances.create(name="x", type=H100, project_id=OTHER_PROJECT),
            f"project {OTHER_PROJECT} does not exist (GET /projects lists them)",
        ),
        (lambda r: r.projects.create(name=""), "name must not be empty"),
        (
            lambda r: r.filesystems.create(name="data", size="big"),
            "size must be a whole number of Gi, Ti or Pi, like '512Gi', got 'big'",
        ),
        (lambda r: r.filesystems.create(name="data", size="0Gi"), "got '0Gi'"),
        (lambda r: r.filesystems.create(name="", size="1Ti"), "name must not be empty"),
    ],
    ids=[
        "type-not-offered",
        "empty-name",
        "blank-name",
        "tag-key",
        "unknown-filesystem",
        "unknown-project",
        "empty-project-name",
        "bad-size",
        "zero-size",
        "empty-filesystem-name",
    ],
)
async def test_bad_input_is_a_400_with_the_servers_message(
    call: Any, message: str, connect: Connect[AsyncFluidstack]
) -> None:
    fake = one_region_fake()
    before = (list(fake.instances), list(fake.projects), list(fake.filesystems))
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(BadRequestError) as raised:
            await call(east)
    assert message in raised.value.message
    assert (fake.instances, fake.projects, fake.filesystems) == before
    assert fake.region("us-east-1").capacity[H100] == 4


# -- what an instance carries, and who sees it --------------------------------------------


async def test_user_data_and_filesystems_are_kept(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = await east.instances.create(
            name="x",
            type=H100_8X,
            image="my-image",
            preemptible=True,
            tags={"team": "ml"},
            filesystems=[DATASETS],
            user_data="#cloud-config\n",
        )
        got = await east.instances.get(created.id)
    assert got.user_data == b"#cloud-config\n"
    assert got.filesystems == [uuid.UUID(DATASETS)]
    assert (got.image, got.preemptible, got.ephemeral, got.tags["team"]) == (
        "my-image",
        True,
        False,
        "ml",
    )
    stored = fake.instances[-1]
    assert stored["userData"] == base64.b64encode(b"#cloud-config\n").decode()
    assert (stored["region"], stored["project_id"]) == ("us-east-1", DEFAULT_PROJECT_ID)
    assert fake.requests[-2].json()["userData"] == stored["userData"]


async def test_the_org_wide_list_follows_the_regions(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k", seconds_per_request=0)
    async with connect(fake) as fs:
        west = await fs.region("eu-west-1", project_id=PROJECT_B)
        created = await west.instances.create(name="eval-1", type=H100)
        (listed,) = [i for i in await fs.instances.list() if i.id == created.id]
        assert (listed.region, listed.project_id, listed.state) == (
            "eu-west-1",
            PROJECT_B,
            "creating",
        )
        assert "filesystems" not in listed.to_dict()  # the Management API's Instance
        fake.advance(10)
        assert (await fs.instances.get(created.id)).state == "running"
        assert (await fs.instances.get(created.id)).ip == "10.0.1.1"
        await west.instances.delete(created.id)
        fake.advance(10)
        assert created.id not in [i.id for i in await fs.instances.list()]
        (seeded,) = await west.instances.list()
        assert "region" not in seeded.to_dict()  # the regional Instance
        assert "project_id" not in seeded.to_dict()


async def test_projects_are_the_organizations_in_every_region(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1")
        west = await fs.region("eu-west-1")
        project = await east.projects.create(name="shared")
        assert project.id in [p.id for p in await west.projects.list()]
        assert await west.instances.list(project_id=project.id) == []
        created = await west.instances.create(name="x", type=H100, project_id=project.id)
        assert [i.id for i in await west.instances.list(project_id=project.id)] == [created.id]
        assert await east.instances.list(project_id=project.id) == []  # another region
    assert fake.projects[-1] == {
        "id": str(project.id),
        "name": "shared",
        "state": "active",
        "tags": {},
    }


# -- faults on regional routes ------------------------------------------------------------


async def test_fail_next_aimed_at_a_regional_route(connect: Connect[AsyncFluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=500, route="CreateInstance")
    fake.fail_next(2, status=503, route="ListInstances", region="eu-west-1")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = await fs.region("eu-west-1", project_id=PROJECT_B)
        with pytest.raises(InternalServerError, match="injected fault: 500"):
            await east.instances.create(name="x", type=H100)  # a POST: not retried
        assert len(await fs.instances.list()) == 3  # the Management API's: not aimed at
        assert len(await east.instances.list()) == 2  # another region's: neither
        assert len(await west.instances.list()) == 1  # after two 503s, retried
    sent = [(r.operation, r.region) for r in fake.requests if r.operation != "ListRegions"]
    assert sent == [
        ("CreateInstance", "us-east-1"),
        ("ListInstances", None),
        ("ListInstances", "us-east-1"),
        *[("ListInstances", "eu-west-1")] * 3,
    ]
    assert len(fake.instances) == 3  # the failed create created nothing
    assert fake.region("us-east-1").capacity[H100] == 4


async def test_a_lost_answer_the_write_was_done_and_the_post_sent_once(
    connect: Connect[AsyncFluidstack],
) -> None:
    fake = one_region_fake(seconds_per_request=0)
    fake.lose_next_answer(route="CreateInstance")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(APIConnectionError):
            await east.instances.create(name="train-0", type=H100)
        # Reconciliation: the instance is there, though the client never heard.
        (found,) = await east.instances.list()
        assert (found.name, found.state) == ("train-0", "creating")
        fake.advance(10)
        fake.lose_next_answer(route="POST /instances/{id}/actions/stop", region="us-east-1")
        with pytest.raises(APIConnectionError):
            await east.instances.stop(found.id)
        assert (await east.instances.get(found.id)).state == "stopping"
    creates = [r for r in fake.requests if r.operation == "CreateInstance"]
    assert len(creates) == 1  # never sent again
    assert [r.operation for r in fake.requests].count("StopInstance") == 1
    assert fake.region("us-east-1").capacity[H100] == 3


async def test_a_dropped_request_was_not_acted_on(connect: Connect[AsyncFluidstack]) -> None:
    fake = one_region_fake()
    fake.drop_next(1, route="CreateInstance")
    async with connect(fake) as fs:
        east = await fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(APIConnectionError):
            await east.instances.create(name="train-0", type=H100)
        assert await east.instances.list() == []
    assert fake.region("us-east-1").capacity[H100] == 4


# -- the HTTP surface: what a request must carry -------------------------------------------


def test_regional_routes_are_the_regional_spec(region_spec: dict[str, Any]) -> None:
    specified = region_spec_operations()
    assert {(op, m, p) for op, m, p, _ in REGION_ROUTES} == {
        (op, s.method, s.template) for op, s in specified.items()
    }
    assert {op for op, s in specified.items() if s.sends_project} == NEEDS_PROJECT
    operations = {
        op["operationId"]: op for item in region_spec["paths"].values() for op in item.values()
    }
    bodies = {
        name: op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for name, op in operations.items()
        if "requestBody" in op
    }
    assert {op: f"#/components/schemas/{schema}" for op, (schema, _) in REQUEST_BODIES.items()} == (
        bodies
    )
    for op, (schema_name, fields) in REQUEST_BODIES.items():
        schema = region_spec["components"]["schemas"][schema_name]
        assert set(fields) == set(schema["properties"]), op
        assert {n for n, f in fields.items() if f.required} == set(schema["required"]), op


def _send(
    fake: FakeAPI,
    method: str,
    path: str,
    body: Any = None,
    project: str | None = DEFAULT_PROJECT_ID,
) -> tuple[int, Any]:
    """What the fake answers to a request to us-east-1's API, its status and JSON body."""
    headers = {"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"}
    if project is not None:
        headers["X-PROJECT-ID"] = project
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    answer = fake.handle(method, "/regional/us-east-1/api/v1alpha1" + path, headers, raw)
    if answer.body:
        assert answer.headers["Content-Type"] == "application/json"
    return answer.status, json.loads(answer.body) if answer.body else None


def _example_path(path: str) -> str:
    return path.replace("{id}", "00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize("operation", sorted(NEEDS_PROJECT))
def test_x_project_id_is_required_where_the_spec_says(operation: str) -> None:
    fake = one_region_fake()
    ((method, path),) = [(m, p) for op, m, p, _ in REGION_ROUTES if op == operation]
    missing = _send(fake, method, _example_path(path), project=None)
    assert missing == (
        400,
        {"message": "the X-PROJECT-ID header is required: the UUID of a project"},
    )
    assert _send(fake, method, _example_path(path), project="proj-1") == (
        400,
        {"message": "X-PROJECT-ID must be a UUID"},
    )
    assert fake.requests[-1].operation == operation


@pytest.mark.parametrize(
    "path", ["/capabilities", "/instance-types", "/projects", f"/projects/{DEFAULT_PROJECT_ID}"]
)
def test_what_acts_in_no_project_needs_no_header(path: str) -> None:
    assert _send(one_region_fake(), "GET", path, project=None)[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/instances", b"{", "the request body is not JSON"),
        ("POST", "/instances", None, "the request body must be a JSON object (a InstancesPost"),
        ("POST", "/instances", [], "the request body must be a JSON object"),
        ("POST", "/instances", {"type": H100}, "the request body has no 'name' (a Instances"),
        ("POST", "/instances", {"name": 1, "type": H100}, "'name' must be a string, got 1"),
        (
            "POST",
            "/instances",
            {"name": "x", "type": H100, "preemptible": "yes"},
            "'preemptible' must be a boolean (true or false), got \"yes\"",
        ),
        (
            "POST",
            "/instances",
            {"name": "x", "type": H100, "filesystems": ["nope"]},
            "'filesystems' must be a list of UUID strings, got [\"nope\"]",
        ),
        (
            "POST",
            "/instances",
            {"name": "x", "type": H100, "userData": "not base64!"},
            "'userData' must be base64 text, or null, got \"not base64!\"",
        ),
        (
            "POST",
            "/instances",
            {"name": "x", "type": H100, "tags": {"a": 1}},
            '\'tags\' must be an object of strings, like {"team": "ml"}, got {"a": 1}',
        ),
        (
            "POST",
            "/instances",
            {"name": "x", "type": H100, "ephemeral": None},
            "'ephemeral' must be a boolean (true or false), got null",
        ),
        ("POST", "/projects", {"tags": {}}, "the request body has no 'name'"),
        ("POST", "/filesystems", {"name": "x"}, "the request body has no 'size'"),
    ],
)
def test_a_body_that_does_not_fit_the_spec_is_a_400(
    method: str, path: str, body: Any, message: str
) -> None:
    status, answer = _send(one_region_fake(), method, path, body)
    assert status == 400
    assert message in answer["message"]


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("", False),
        ("team.ml_x-1", True),
        ("9z", True),
        ("-a", False),
        ("a-", False),
        ("a.", False),
        ("a b", False),
    ],
)
def test_tag_keys_at_both_ends_of_the_rule(key: str, ok: bool) -> None:
    """The spec's rule: 1-63 characters, alphanumerics at both ends, `-_.` inside."""
    for path, body in [("/projects", {"name": "p"}), ("/instances", {"name": "i", "type": H100})]:
        status, _ = _send(one_region_fake(), "POST", path, {**body, "tags": {key: "v"}})
        assert status == (201 if ok else 400), (path, key)


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        *[("1Gi", True), ("512Gi", True), ("10Ti", True), ("1Pi", True)],
        *[("0Gi", False), ("512Mi", False), ("1.5Ti", False), ("512", False), ("01Gi", False)],
        (" 1Gi", False),
    ],
)
def test_filesystem_sizes(size: str, ok: bool) -> None:
    status, _ = _send(one_region_fake(), "POST", "/filesystems", {"name": "f", "size": size})
    assert status == (201 if ok else 400)


def test_unknown_body_fields_are_ignored_and_null_user_data_kept() -> None:
    fake = one_region_fake()
    body = {"name": "x", "type": H100, "colour": "blue", "userData": None}
    status, created = _send(fake, "POST", "/instances", body)
    assert status == 201
    assert created["userData"] is None
    assert "colour" not in created
    assert set(created) == {
        "id",
        "name",
        "type",
        "state",
        "ip",
        "image",
        "preemptible",
        "ephemeral",
        "tags",
        "filesystems",
        "userData",
    }


def test_success_codes_are_the_specs() -> None:
    spec = {op: s.successes for op, s in region_spec_operations().items()}
    fake = one_region_fake(
        instances=[{"name": "on"}, {"name": "off", "state": "stopped"}], seconds_per_request=0
    )
    on, off = (i["id"] for i in fake.instances)
    project = f"/projects/{PROJECT_B}"
    answers = {
        "CreateProject": _send(fake, "POST", "/projects", {"name": "p"}),
        "CreateFilesystem": _send(fake, "POST", "/filesystems", {"name": "f", "size": "1Ti"}),
        "CreateInstance": _send(fake, "POST", "/instances", {"name": "i", "type": H100}),
        "StopInstance": _send(fake, "POST", f"/instances/{on}/actions/stop"),
        "StartInstance": _send(fake, "POST", f"/instances/{off}/actions/start"),
        "DeleteInstance": _send(fake, "DELETE", f"/instances/{on}"),
        "DeleteFilesystem": _send(fake, "DELETE", f"/filesystems/{DATASETS}"),
        "DeleteProject": _send(fake, "DELETE", project),
    }
    for operation, (status, body) in answers.items():
        assert {status} == spec[operation], operation
        assert (body is None) == (status in (202, 204)), operation
    assert _send(fake, "DELETE", f"/instances/{on}") == (204, None)  # deleting: no change
    assert _send(fake, "DELETE", project) == (404, {"message": "project not found"})
    assert _send(fake, "GET", f"/filesystems/{DATASETS}") == (
        404,
        {"message": "filesystem not found"},
    )


def test_a_region_serves_only_the_regional_api() -> None:
    fake = one_region_fake()
    assert _send(fake, "GET", "/regions") == (404, {"message": "no such route"})
    assert _send(fake, "GET", "/user/keys") == (404, {"message": "no such route"})
    status, _ = _send(fake, "PUT", "/instances")
    assert status == 405
    auth = {"Authorization": "Bearer t0k"}
    assert fake.handle("GET", "/regional/nowhere/api/v1alpha1/instances", auth, b"").status == 404
    unauthenticated = fake.handle("GET", "/regional/us-east-1/api/v1alpha1/capabilities", {}, b"")
    assert unauthenticated.status == 401
    assert _send(fake, "GET", "/instances/not-a-uuid") == (404, {"message": "instance not found"})


# -- the clock ---------------------------------------------------------------------------------


def test_seeded_instances_in_a_transient_state_move_on() -> None:
    fake = one_region_fake(
        instances=[
            {"name": "c", "state": "creating"},
            {"name": "s", "state": "stopping"},
            {"name": "d", "state": "deleting"},
            {"name": "far", "state": "deleting", "region": "not-a-region-of-the-fake"},
        ],
        seconds_per_request=0,
    )
    assert [i["state"] for i in fake.instances] == ["creating", "stopping"] + ["deleting"] * 2
    fake.advance(2)
    assert [(i["name"], i["state"]) for i in fake.instances] == [
        ("c", "starting"),
        ("s", "stopped"),
    ]
    assert fake.region("us-east-1").capacity[H100] == 5  # a seeded instance held its own
    fake.advance(2)
    assert fake.instances[0]["state"] == "running"
    assert fake.instances[0]["ip"] == "10.0.1.1"


def test_zero_durations_and_a_test_that_takes_over() -> None:
    fake = one_region_fake(durations={"creating": 0, "starting": 0}, seconds_per_request=0)
    with fake.region_client("us-east-1") as east:
        created = east.instances.create(name="x", type=H100)
        assert created.state == "creating"  # the answer; the clock moves after it
        assert east.instances.get(created.id).state == "running"
        east.instances.stop(created.id)
        fake.instances[0]["state"] = "error"  # the test takes over: no more transitions
        fake.advance(100)
        assert east.instances.get(created.id).state == "error"
        fake.durations = {"deleting": 5}
        assert fake.durations == {"creating": 2, "starting": 2, "stopping": 2, "deleting": 5}
        east.instances.delete(created.id)
        fake.advance(4.9)
        assert east.instances.get(created.id).state == "deleting"
        fake.advance(0.1)
        with pytest.raises(NotFoundError):
            east.instances.get(created.id)
    assert fake.region("us-east-1").capacity[H100] == 4  # an errored one held its unit


def test_each_request_takes_seconds_per_request() -> None:
    fake = one_region_fake(seconds_per_request=0.5)
    assert fake.clock == 0
    with fake.region_client("us-east-1") as east:
        east.capabilities.list()
        fake.seconds_per_request = 2
        east.capabilities.list()
    fake.advance(1)
    assert fake.clock == 3.5
    with fake.client() as fs:
        fs._shared.http.post(fake.token_url, data={"grant_type": "client_credentials"})
    assert fake.clock == 3.5  # the token endpoint is not the API


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: FakeAPI(durations={"booting": 1}), "'booting' is not a state an instance"),
        (lambda: FakeAPI(durations={"creating": -1}), "durations['creating'] must be a finite"),
        (lambda: FakeAPI(durations=[1]), "durations must be a dict of states to seconds"),  # type: ignore[arg-type]
        (lambda: FakeAPI(seconds_per_request=float("inf")), "seconds_per_request must be"),
        (lambda: FakeAPI().advance(-1), "advance(seconds) must be a finite number of seconds"),
        (lambda: FakeAPI().region("us-east-2"), "no region 'us-east-2' (did you mean 'us-east-1'?"),
        (lambda: FakeAPI().fail_next(region="eu"), "its regions: 'us-east-1', 'eu-west-1'"),
        (lambda: FakeAPI().lose_next_answer(route="Create"), "route 'Create' is not an operation"),
        (lambda: FakeAPI().region_client("mars"), "the fake has no region 'mars'"),
    ],
)
def test_clock_and_region_mistakes_are_caught_where_made(
    build: Callable[[], object], expected: str
) -> None:
    with pytest.raises(FakeUsageError) as raised:
        build()
    assert expected in str(raised.value)


def test_a_region_added_later_gets_the_default_offer() -> None:
    fake = FakeAPI(regions=["us-east-1"])
    fake.region_names.append("ap-1")
    region = fake.region("ap-1")
    assert region.capacity == {H100: 4, H100_8X: 4}
    assert region.url == f"{fake.origin}/regional/ap-1/api/v1alpha1"
    assert repr(region) == f"FakeRegion('ap-1', capacity={{'{H100}': 4, '{H100_8X}': 4}})"
    assert [i["name"] for i in fake.region("us-east-1").instances] == ["gpu-train-0", "gpu-train-1"]
    assert [f["name"] for f in fake.region("us-east-1").filesystems] == ["datasets"]
    with fake.client() as fs:
        assert fs.region("ap-1", project_id=DEFAULT_PROJECT_ID).instances.list() == []


# -- region clients wired to the fake -------------------------------------------------------


def test_region_clients_wired_in_process() -> None:
    fake = FakeAPI(token="t0k")
    with fake.region_client("eu-west-1", project_id=PROJECT_B) as west:
        assert isinstance(west._shared.http._transport, FakeTransport)
        assert [i.name for i in west.instances.list()] == ["gpu-eval-0"]
    with fake.region_client("us-east-1") as east:  # the first project by default
        assert east.project_id == uuid.UUID(DEFAULT_PROJECT_ID)
    west_async = fake.async_region_client("eu-west-1")
    assert isinstance(west_async, AsyncRegionClient)
    assert str(west_async.base_url) == fake.region_url("eu-west-1")
    assert isinstance(west_async._shared.http._transport, FakeTransport)

    async def listed() -> list[str]:
        async with west_async:
            return [i.name for i in await west_async.instances.list(project_id=PROJECT_B)]

    assert asyncio.run(listed()) == ["gpu-eval-0"]
    assert [r.region for r in fake.requests] == ["eu-west-1", "eu-west-1"]
