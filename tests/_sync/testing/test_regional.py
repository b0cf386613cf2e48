# Derived from tests/testing/test_regional.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""The fake's regional API, used the way a user uses it: `fs.region(name)` on a
client of the fake, in-process and on loopback (the `connect` fixture), every regional
operation, the instances' lifecycle on the fake's clock, capacity and `out-of-stock`,
what the fake refuses (409, 400, with its message), the org-wide view of the regions'
instances, and faults aimed at regional routes, the lost answer included."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from support.testing_fake import Connect
from support.testing_region import H100, H100_8X, OTHER_PROJECT, one_region_fake

from fluidstack_client import (
    APIConnectionError,
    BadRequestError,
    ConflictError,
    Fluidstack,
    InternalServerError,
    NotFoundError,
    RegionClient,
)
from fluidstack_client.testing import (
    DEFAULT_PROJECT_ID,
    REGION_ROUTES,
    FakeAPI,
)
from fluidstack_client.testing._seed import DATASETS, PROJECT_B


def states_until(east: RegionClient, instance_id: Any, last: str) -> list[str]:
    """The states one `get()` after another sees, up to `last` (at most 10 polls)."""
    seen: list[str] = []
    while len(seen) < 10 and (not seen or seen[-1] != last):
        seen.append(str((east.instances.get(instance_id)).state))
    return seen


# -- the regions are the fake's own ------------------------------------------------------


def test_region_urls_lead_to_the_fakes_regional_api(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    with connect(fake) as fs:
        listed = {r.name: r.url for r in fs.regions.list()}
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = fs.region("eu-west-1", project_id=PROJECT_B)
        in_east = [i.name for i in east.instances.list()]
        in_west = [(i.name, i.state) for i in west.instances.list()]
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


def test_every_regional_operation(connect: Connect[Fluidstack]) -> None:
    fake = one_region_fake(instances=[{"name": "on"}, {"name": "off", "state": "stopped"}])
    on, off = (i["id"] for i in fake.instances)
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        assert east.capabilities.list() == ["instances", "filesystems", "kubernetes", "slurm"]
        assert [(t.name, t.gpu_count) for t in east.instance_types.list()] == [
            (H100, 1),
            (H100_8X, 8),
        ]
        assert [(c.name, c.capacity) for c in east.capacity.list()] == [
            (H100, 4),
            (H100_8X, 4),
        ]
        project = east.projects.create(name="scratch", tags={"team": "ml"})
        assert (east.projects.get(project.id)).tags["team"] == "ml"
        assert [p.name for p in east.projects.list()] == [
            "ml-training",
            "research",
            "scratch",
        ]
        east.projects.delete(project.id)
        filesystem = east.filesystems.create(name="data", size="512Gi")
        assert (east.filesystems.get(filesystem.id)).size == "512Gi"
        assert [f.name for f in east.filesystems.list()] == ["datasets", "data"]
        east.filesystems.delete(filesystem.id)
        created = east.instances.create(name="new", type=H100)
        assert (created.name, created.state, created.filesystems) == ("new", "creating", [])
        assert (east.instances.get(on)).state == "running"
        assert [i.name for i in east.instances.list()] == ["on", "off", "new"]
        east.instances.stop(on)  # each answers 202 or 204, and returns None
        east.instances.start(off)
        east.instances.delete(created.id)
        assert [c.name for c in east.kubernetes.clusters.list()] == ["train-k8s"]
        assert [p.name for p in east.kubernetes.node_pools.list()] == ["gpu-pool-1"]
        assert east.slurm.clusters.list() == []  # hpc-slurm is in eu-west-1
        assert east.slurm.node_pools.list() == []
    regional = [r for r in fake.requests if r.region is not None]
    assert {r.operation for r in regional} == {op for op, _, _, _ in REGION_ROUTES}
    assert all(r.region == "us-east-1" for r in regional)
    by_operation = {r.operation: r for r in regional}
    assert by_operation["StopInstance"].method == "POST"
    assert by_operation["StopInstance"].path.endswith(f"/instances/{on}/actions/stop")


def test_clusters_and_node_pools_are_the_projects_in_the_region(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(token="t0k")  # train-k8s: us-east-1, project A; hpc-slurm: eu-west-1, B
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = fs.region("eu-west-1", project_id=PROJECT_B)
        assert [c.name for c in east.kubernetes.clusters.list()] == ["train-k8s"]
        assert [(p.name, p.type_) for p in east.kubernetes.node_pools.list()] == [
            ("gpu-pool-1", H100)
        ]
        assert east.slurm.clusters.list() == []
        assert [c.name for c in west.slurm.clusters.list()] == ["hpc-slurm"]
        assert [p.name for p in west.slurm.node_pools.list()] == ["gpu-pool-2"]
        assert west.kubernetes.clusters.list() == []
        assert east.kubernetes.clusters.list(project_id=PROJECT_B) == []
        (cluster,) = east.kubernetes.clusters.list()
    assert cluster.to_dict() == {"id": fake.clusters[0]["id"], "name": "train-k8s"}


# -- the lifecycle, on the fake's clock -----------------------------------------------------


def test_create_stop_start_delete_each_take_a_few_polls(
    connect: Connect[Fluidstack],
) -> None:
    fake = one_region_fake()
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = east.instances.create(name="train-0", type=H100)
        assert created.state == "creating"
        assert created.ip is None
        # Each request takes 1 s of the fake's clock; each state lasts 2 s.
        assert states_until(east, created.id, "running") == [
            "creating",
            "starting",
            "starting",
            "running",
        ]
        running = east.instances.get(created.id)
        assert running.ip == "10.0.1.1"
        east.instances.stop(created.id)
        assert states_until(east, created.id, "stopped") == ["stopping", "stopped"]
        assert (east.instances.get(created.id)).ip is None
        east.instances.start(created.id)
        assert states_until(east, created.id, "running") == ["starting", "running"]
        east.instances.delete(created.id)
        assert (east.instances.get(created.id)).state == "deleting"
        with pytest.raises(NotFoundError, match="instance not found"):
            east.instances.get(created.id)
    assert fake.instances == []


def test_the_clock_moves_only_when_the_test_says(connect: Connect[Fluidstack]) -> None:
    fake = one_region_fake(seconds_per_request=0, durations={"creating": 30, "starting": 60})
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = east.instances.create(name="train-0", type=H100)
        for _ in range(3):
            assert (east.instances.get(created.id)).state == "creating"
        fake.advance(29.5)
        assert (east.instances.get(created.id)).state == "creating"
        fake.advance(0.5)
        assert (east.instances.get(created.id)).state == "starting"
        fake.advance(1000)  # past every transition due: it ends running
        assert (east.instances.get(created.id)).state == "running"
    assert fake.clock == 1030


def test_capacity_goes_down_on_create_and_up_once_deleted(
    connect: Connect[Fluidstack],
) -> None:
    fake = one_region_fake(regions={"us-east-1": {"capacity": {H100: 1}}}, seconds_per_request=0)
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        assert [(c.name, c.capacity) for c in east.capacity.list()] == [
            (H100, 1),
            (H100_8X, 4),
        ]
        first = east.instances.create(name="first", type=H100)
        second = east.instances.create(name="second", type=H100)  # none left
        assert second.state == "creating"  # accepted: it runs out of stock later
        assert fake.region("us-east-1").capacity == {H100: 0, H100_8X: 4}
        fake.advance(60)
        assert (east.instances.get(first.id)).state == "running"
        assert (east.instances.get(second.id)).state == "out-of-stock"
        with pytest.raises(ConflictError, match="is out-of-stock: only a stopped instance"):
            east.instances.start(second.id)
        east.instances.delete(first.id)
        assert fake.region("us-east-1").capacity[H100] == 0  # still deleting
        fake.advance(2)
        assert fake.region("us-east-1").capacity[H100] == 1  # gone: given back
        east.instances.delete(second.id)  # it never held one
        fake.advance(2)
        assert [(c.name, c.capacity) for c in east.capacity.list()] == [
            (H100, 1),
            (H100_8X, 4),
        ]
        assert east.instances.list() == []


# -- what the fake refuses --------------------------------------------------------------------


def test_an_action_the_state_forbids_is_a_409_with_the_servers_message(
    connect: Connect[Fluidstack],
) -> None:
    fake = one_region_fake(
        instances=[{"name": "on"}, {"name": "off", "state": "stopped"}], seconds_per_request=0
    )
    on, off = (i["id"] for i in fake.instances)
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(ConflictError) as raised:
            east.instances.start(on)
        assert raised.value.status_code == 409
        assert raised.value.message == (
            f"instance 'on' ({on}) is running: only a stopped instance can be started"
        )
        with pytest.raises(ConflictError, match="is stopped: only a running instance can be"):
            east.instances.stop(off)
        creating = east.instances.create(name="new", type=H100)
        with pytest.raises(ConflictError, match="is creating: only a running instance"):
            east.instances.stop(creating.id)
        with pytest.raises(ConflictError) as raised:
            east.projects.delete(DEFAULT_PROJECT_ID)
        assert raised.value.message == (
            f"project 'ml-training' ({DEFAULT_PROJECT_ID}) still has 3 instances (in "
            "us-east-1): delete them first"
        )
        for instance in (on, off, creating.id):
            east.instances.delete(instance)
        with pytest.raises(ConflictError, match="still has 3 instances"):  # still deleting
            east.projects.delete(DEFAULT_PROJECT_ID)
        fake.advance(2)
        east.projects.delete(DEFAULT_PROJECT_ID)
        with pytest.raises(NotFoundError, match="project not found"):
            east.projects.get(DEFAULT_PROJECT_ID)
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
def test_bad_input_is_a_400_with_the_servers_message(
    call: Any, message: str, connect: Connect[Fluidstack]
) -> None:
    fake = one_region_fake()
    before = (list(fake.instances), list(fake.projects), list(fake.filesystems))
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(BadRequestError) as raised:
            call(east)
    assert message in raised.value.message
    assert (fake.instances, fake.projects, fake.filesystems) == before
    assert fake.region("us-east-1").capacity[H100] == 4


# -- what an instance carries, and who sees it --------------------------------------------


def test_user_data_and_filesystems_are_kept(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        created = east.instances.create(
            name="x",
            type=H100_8X,
            image="my-image",
            preemptible=True,
            tags={"team": "ml"},
            filesystems=[DATASETS],
            user_data="#cloud-config\n",
        )
        got = east.instances.get(created.id)
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


def test_the_org_wide_list_follows_the_regions(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k", seconds_per_request=0)
    with connect(fake) as fs:
        west = fs.region("eu-west-1", project_id=PROJECT_B)
        created = west.instances.create(name="eval-1", type=H100)
        (listed,) = [i for i in fs.instances.list() if i.id == created.id]
        assert (listed.region, listed.project_id, listed.state) == (
            "eu-west-1",
            PROJECT_B,
            "creating",
        )
        assert "filesystems" not in listed.to_dict()  # the Management API's Instance
        fake.advance(10)
        assert (fs.instances.get(created.id)).state == "running"
        assert (fs.instances.get(created.id)).ip == "10.0.1.1"
        west.instances.delete(created.id)
        fake.advance(10)
        assert created.id not in [i.id for i in fs.instances.list()]
        (seeded,) = west.instances.list()
        assert "region" not in seeded.to_dict()  # the regional Instance
        assert "project_id" not in seeded.to_dict()


def test_projects_are_the_organizations_in_every_region(
    connect: Connect[Fluidstack],
) -> None:
    fake = FakeAPI(token="t0k")
    with connect(fake) as fs:
        east = fs.region("us-east-1")
        west = fs.region("eu-west-1")
        project = east.projects.create(name="shared")
        assert project.id in [p.id for p in west.projects.list()]
        assert west.instances.list(project_id=project.id) == []
        created = west.instances.create(name="x", type=H100, project_id=project.id)
        assert [i.id for i in west.instances.list(project_id=project.id)] == [created.id]
        assert east.instances.list(project_id=project.id) == []  # another region
    assert fake.projects[-1] == {
        "id": str(project.id),
        "name": "shared",
        "state": "active",
        "tags": {},
    }


# -- faults on regional routes ------------------------------------------------------------


def test_fail_next_aimed_at_a_regional_route(connect: Connect[Fluidstack]) -> None:
    fake = FakeAPI(token="t0k")
    fake.fail_next(1, status=500, route="CreateInstance")
    fake.fail_next(2, status=503, route="ListInstances", region="eu-west-1")
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        west = fs.region("eu-west-1", project_id=PROJECT_B)
        with pytest.raises(InternalServerError, match="injected fault: 500"):
            east.instances.create(name="x", type=H100)  # a POST: not retried
        assert len(fs.instances.list()) == 3  # the Management API's: not aimed at
        assert len(east.instances.list()) == 2  # another region's: neither
        assert len(west.instances.list()) == 1  # after two 503s, retried
    sent = [(r.operation, r.region) for r in fake.requests if r.operation != "ListRegions"]
    assert sent == [
        ("CreateInstance", "us-east-1"),
        ("ListInstances", None),
        ("ListInstances", "us-east-1"),
        *[("ListInstances", "eu-west-1")] * 3,
    ]
    assert len(fake.instances) == 3  # the failed create created nothing
    assert fake.region("us-east-1").capacity[H100] == 4


def test_a_lost_answer_the_write_was_done_and_the_post_sent_once(
    connect: Connect[Fluidstack],
) -> None:
    fake = one_region_fake(seconds_per_request=0)
    fake.lose_next_answer(route="CreateInstance")
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(APIConnectionError):
            east.instances.create(name="train-0", type=H100)
        # Reconciliation: the instance is there, though the client never heard.
        (found,) = east.instances.list()
        assert (found.name, found.state) == ("train-0", "creating")
        fake.advance(10)
        fake.lose_next_answer(route="POST /instances/{id}/actions/stop", region="us-east-1")
        with pytest.raises(APIConnectionError):
            east.instances.stop(found.id)
        assert (east.instances.get(found.id)).state == "stopping"
    creates = [r for r in fake.requests if r.operation == "CreateInstance"]
    assert len(creates) == 1  # never sent again
    assert [r.operation for r in fake.requests].count("StopInstance") == 1
    assert fake.region("us-east-1").capacity[H100] == 3


def test_a_dropped_request_was_not_acted_on(connect: Connect[Fluidstack]) -> None:
    fake = one_region_fake()
    fake.drop_next(1, route="CreateInstance")
    with connect(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        with pytest.raises(APIConnectionError):
            east.instances.create(name="train-0", type=H100)
        assert east.instances.list() == []
    assert fake.region("us-east-1").capacity[H100] == 4


# -- the HTTP surface: what a request must carry -------------------------------------------


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


# -- the clock ---------------------------------------------------------------------------------


# -- region clients wired to the fake -------------------------------------------------------
