# Derived from tests/client/test_waiters.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Waiters: `region.instances.wait()`, `instances.wait_deleted()` and
`projects.wait_deleted()`, used as a user uses them.

Against the fake in-process, on the fake's clock (the provisioning workflow of issue
21 in milliseconds of real time; `until` and `fail_on`; `out-of-stock`; an instance
that disappears; timeouts and what they last saw; the schedule measured: the number
of polls for a transition of T seconds, and each pause, at both ends of the jitter;
transient failures survived and lasting ones not; one log line and one `on_change`
per change of state; arguments refused before anything is sent). Against the fake and
scripted or hostile servers on loopback, in real time: the pauses really slept, a
`Retry-After` never undercut, and a wait that never overruns its timeout by more than
one attempt's deadline. Cancelling a waiting task (`async_only`).

The pauses are seen by replacing the client's waiting clock with one that records
them (tests/support/client_waiting.py); the schedule's bounds are computed there from
`_waiting`'s constants, never by calling the code under test.
"""

from __future__ import annotations

import email.utils
import functools
import inspect
import logging
import time
import uuid
from typing import Any

import pytest
from support.client_region import INSTANCE_ID, PROJECT_BODY, PROJECT_ID
from support.client_waiting import (
    HIGH_JITTER,
    LOW_JITTER,
    Clients,
    FixedJitter,
    instance_body,
    poll_bounds,
    polls_for,
    record_pauses,
    schedule,
)
from support.clients import FAST, TOKEN
from support.hostile_server import HostileServer
from support.scripted_server import Reply, ScriptedServer
from support.testing_region import H100

from fluidstack_client import (
    APIResponseValidationError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Fluidstack,
    FluidstackError,
    InstanceStateError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
    RegionClient,
    RetryPolicy,
    UnprocessableEntityError,
    WaitTimeoutError,
    _waiting,
)
from fluidstack_client.region import Instance, InstanceState, Project
from fluidstack_client.testing import DEFAULT_PROJECT_ID, FakeAPI, FakeServer

# A fake whose clock moves only when a waiter pauses (no request takes time), and
# whose instances stay `creating` for `creating` seconds, then run at once.
STILL = 0


@pytest.fixture
def clients(request: pytest.FixtureRequest) -> Clients[Any, Any]:
    """The fake's clients of this test's kind: async ones here, sync ones in the
    derived twin (tests/support/client_waiting.py)."""
    return Clients(inspect.iscoroutinefunction(request.function))


def still_fake(creating: float = 2.0, **options: Any) -> FakeAPI:
    """A fake whose clock moves only when a waiter pauses (or the test advances it),
    whose new instances are `creating` for `creating` seconds and then `running`."""
    durations = {"creating": creating, "starting": 0, **options.pop("durations", {})}
    return FakeAPI(seconds_per_request=STILL, durations=durations, **options)


def polls(fake: FakeAPI, operation: str = "GetInstance") -> int:
    return sum(r.operation == operation for r in fake.requests)


def record_of(fake: FakeAPI, instance: Instance) -> dict[str, Any]:
    """The fake's own record of `instance` (change it, and the fake stops moving it)."""
    return next(i for i in fake.instances if str(i["id"]) == str(instance.id))


def scripted(server: ScriptedServer | HostileServer, **options: Any) -> RegionClient:
    """A region client of a scripted server, in PROJECT_ID."""
    options.setdefault("retry_policy", FAST)
    return RegionClient(server.url, token=TOKEN, project_id=PROJECT_ID, **options)


# -- the workflow (issue 21's "Done when") --------------------------------------------------


def test_the_provisioning_workflow_runs_on_the_fakes_clock_in_milliseconds(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    capacity = fake.region("us-east-1").capacity[H100]
    started = time.perf_counter()
    with clients.client(fake) as fs:
        east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
        new = east.instances.create(name="train-0", type=H100)
        running = east.instances.wait(new.id)
        east.instances.stop(new.id)
        stopped = east.instances.wait(new.id, until="stopped")
        east.instances.delete(new.id)
        east.instances.wait_deleted(new.id)
    elapsed = time.perf_counter() - started

    assert new.state == "creating"
    assert running.id == new.id
    assert running.state == "running"
    assert running.ip
    assert stopped.id == new.id
    assert stopped.state == "stopped"
    assert all(str(i["id"]) != str(new.id) for i in fake.instances)
    assert fake.region("us-east-1").capacity[H100] == capacity  # given back: it is gone
    writes = [r.operation for r in fake.requests if r.operation != "GetInstance"]
    assert writes == ["ListRegions", "CreateInstance", "StopInstance", "DeleteInstance"]
    assert polls(fake) >= 6  # each wait polled more than once: its pauses were taken
    assert fake.clock > 10  # seconds of the fake's ...
    assert elapsed < 0.5  # ... in milliseconds of real time


def test_a_region_client_of_the_fake_and_its_copies_wait_on_the_fakes_clock(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=600)  # ten minutes of creating
    started = time.perf_counter()
    with clients.region_client(fake) as east:
        first = east.instances.create(name="a", type=H100)
        second = east.instances.create(name="b", type=H100)
        copy = east.with_options(max_retries=1, timeout=5)
        assert (copy.instances.wait(first.id)).state == "running"
        assert (east.instances.wait(second.id)).state == "running"
    assert 600 <= fake.clock < 700
    assert time.perf_counter() - started < 0.5


def test_the_workflow_on_loopback_with_a_client_the_test_builds() -> None:
    # Every request a minute later on the fake's clock: each wait sees its state at
    # its first poll, and no pause is slept.
    fake = FakeAPI(seconds_per_request=60)
    with FakeServer(fake):
        with Fluidstack(fake.token, base_url=fake.base_url) as fs:
            east = fs.region("us-east-1", project_id=DEFAULT_PROJECT_ID)
            new = east.instances.create(name="train-0", type=H100)
            started = time.monotonic()
            assert (east.instances.wait(new.id)).state == "running"
            east.instances.stop(new.id)
            assert (east.instances.wait(new.id, until="stopped")).state == "stopped"
            east.instances.delete(new.id)
            east.instances.wait_deleted(new.id)
            elapsed = time.monotonic() - started
    assert [r.operation for r in fake.requests][1:] == [
        "CreateInstance",
        "GetInstance",
        "StopInstance",
        "GetInstance",
        "DeleteInstance",
        "GetInstance",  # 404: gone
    ]
    assert elapsed < LOW_JITTER  # no pause was needed, none was taken


def test_on_loopback_a_wait_sleeps_its_pauses_in_real_time() -> None:
    # creating for 1.5 s of the fake's clock, each request 1 s: the first poll sees
    # `creating`, the one after the first pause (0.8 to 1.2 s, slept) `running`.
    fake = FakeAPI(durations={"creating": 1.5, "starting": 0})
    with FakeServer(fake):
        with RegionClient(
            fake.region("us-east-1").url, token=fake.token, project_id=DEFAULT_PROJECT_ID
        ) as east:
            new = east.instances.create(name="train-0", type=H100)
            started = time.monotonic()
            running = east.instances.wait(new.id)
            elapsed = time.monotonic() - started
    assert running.state == "running"
    assert polls(fake) == 2
    assert LOW_JITTER * _waiting.FIRST_PAUSE <= elapsed < HIGH_JITTER * _waiting.FIRST_PAUSE + 0.5


# -- until, fail_on ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "until",
    [
        "starting",
        InstanceState.STARTING,
        ("starting", "running"),
        ["stopped", "starting"],
        {"starting"},
        frozenset({"starting", "running"}),
    ],
)
def test_until_is_a_state_or_a_collection_of_states(
    clients: Clients[Fluidstack, RegionClient], until: Any
) -> None:
    fake = still_fake(creating=5, durations={"starting": 50})
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        got = east.instances.wait(new.id, until=until)
    assert got.state == "starting"
    assert 5 <= fake.clock < 55  # it did not wait on until `running`


def test_until_may_be_any_iterable_even_a_generator(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=5, durations={"starting": 50})
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        got = east.instances.wait(new.id, until=(s for s in ["starting"]))
    assert got.state == "starting"


def test_until_may_name_a_state_this_client_does_not_know(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        record_of(fake, new)["state"] = "hibernating"  # what a newer API might say
        got = east.instances.wait(new.id, until="hibernating", timeout=60)
    assert got.state == "hibernating"
    assert not got.state.is_known


def test_an_instance_already_in_the_state_is_returned_after_one_poll_and_no_pause(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(instances=[{"name": "up", "state": "running", "region": "us-east-1"}])
    with clients.region_client(fake) as east:
        pauses = record_pauses(east)
        got = east.instances.wait(fake.instances[0]["id"])
    assert got.name == "up"
    assert got.state == "running"
    assert polls(fake) == 1
    assert pauses.taken == []


def test_out_of_stock_ends_a_wait_by_default(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=0.5, regions={"us-east-1": {"capacity": {H100: 0}}})
    with clients.region_client(fake) as east:  # (none of the type left)
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(InstanceStateError) as caught:
            east.instances.wait(new.id)
    error = caught.value
    assert isinstance(error, FluidstackError)
    assert isinstance(error.instance, Instance)
    assert error.instance.id == new.id
    assert error.instance.state == "out-of-stock"
    assert str(error) == f"instance {new.id} is out-of-stock"
    assert polls(fake) == 2  # `creating`, then `out-of-stock`: no poll after it


def test_error_ends_a_wait_by_default(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        record_of(fake, new)["state"] = "error"
        with pytest.raises(InstanceStateError, match=r" is error$") as caught:
            east.instances.wait(new.id)
    assert isinstance(caught.value.instance, Instance)
    assert caught.value.instance.state == "error"
    assert polls(fake) == 1


@pytest.mark.parametrize("fail_on", ["starting", ["starting"], {"error", "starting"}])
def test_fail_on_names_the_states_that_end_a_wait_as_a_failure(
    clients: Clients[Fluidstack, RegionClient], fail_on: Any
) -> None:
    fake = still_fake(creating=5, durations={"starting": 50})
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(InstanceStateError) as caught:
            east.instances.wait(new.id, fail_on=fail_on)
    assert isinstance(caught.value.instance, Instance)
    assert caught.value.instance.state == "starting"


def test_with_no_fail_on_an_out_of_stock_instance_is_waited_on_until_the_timeout(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(regions={"us-east-1": {"capacity": {H100: 0}}})
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(new.id, fail_on=(), timeout=60)
    assert isinstance(caught.value.last, Instance)
    assert caught.value.last.state == "out-of-stock"
    assert fake.clock == pytest.approx(60)


def test_a_wait_until_error_is_possible_with_another_fail_on(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        record_of(fake, new)["state"] = "error"
        got = east.instances.wait(new.id, until="error", fail_on="out-of-stock")
    assert got.state == "error"


def test_each_poll_acts_in_the_project_the_wait_names(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=30)
    other = fake.projects[1]["id"]
    with clients.region_client(fake, max_retries=0) as east:  # in the first project
        new = east.instances.create(name="x", type=H100, project_id=other)
        with pytest.raises(NotFoundError):
            east.instances.wait(new.id)  # not in the client's project
        got = east.instances.wait(new.id, project_id=other, timeout=60)
    assert got.state == "running"
    gets = [r for r in fake.requests if r.operation == "GetInstance"]
    assert [r.headers["x-project-id"] for r in gets[1:]] == [other] * (len(gets) - 1)
    assert len(gets) > 3


# -- gone: NotFoundError, wait_deleted --------------------------------------------------------


def test_an_instance_that_disappears_during_a_wait_ends_it_with_not_found(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)

        def vanish(instance: Instance) -> None:
            fake.instances.remove(record_of(fake, instance))

        with pytest.raises(NotFoundError) as caught:
            east.instances.wait(new.id, on_change=vanish)
    assert caught.value.status_code == 404
    assert polls(fake) == 2


def test_a_wait_until_running_on_an_instance_being_deleted_ends_with_not_found(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    seen: list[str] = []
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        east.instances.wait(new.id)
        east.instances.delete(new.id)
        with pytest.raises(NotFoundError):
            east.instances.wait(new.id, on_change=lambda i: seen.append(str(i.state)))
    assert seen == ["deleting"]


def test_a_wait_on_an_unknown_instance_raises_not_found_after_one_poll(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        with pytest.raises(NotFoundError):
            east.instances.wait(uuid.uuid4())
    assert polls(fake) == 1


def test_wait_deleted_returns_once_the_instance_answers_404(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(durations={"deleting": 30})
    states: list[str] = []
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        east.instances.wait(new.id)
        east.instances.delete(new.id)
        deleted_at = fake.clock
        east.instances.wait_deleted(new.id, on_change=lambda i: states.append(str(i.state)))
    assert states == ["deleting"]
    assert fake.clock - deleted_at >= 30
    assert all(str(i["id"]) != str(new.id) for i in fake.instances)


def test_wait_deleted_on_an_instance_never_known_returns_after_one_poll(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        pauses = record_pauses(east)
        east.instances.wait_deleted(str(uuid.uuid4()))
    assert polls(fake) == 1
    assert pauses.taken == []


def test_wait_deleted_on_an_instance_not_being_deleted_times_out_with_it(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(instances=[{"name": "up"}])  # running, in us-east-1
    up = fake.instances[0]
    with clients.region_client(fake) as east:
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait_deleted(up["id"], timeout=45)
    last = caught.value.last
    assert isinstance(last, Instance)
    assert str(last.id) == str(up["id"])
    assert str(caught.value) == (
        f"waited 45s for instance {up['id']} to be gone; it is {up['state']}"
    )
    assert fake.clock == pytest.approx(45)


def test_projects_wait_deleted_returns_once_the_project_answers_404(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        project = east.projects.create(name="scratch")
        east.projects.delete(project.id)
        east.projects.wait_deleted(project.id)
    assert polls(fake, "GetProject") == 1
    assert str(project.id) not in [p["id"] for p in fake.projects]


def test_projects_wait_deleted_follows_a_project_through_deleting(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    deleting = {**PROJECT_BODY, "state": "deleting"}
    server.queue(Reply(json=PROJECT_BODY), Reply(json=deleting), Reply(json=deleting))
    server.queue(Reply(404, {"message": "no such project"}))
    seen: list[Project] = []
    with scripted(server) as east:
        pauses = record_pauses(east)  # (on a clock of its own: nothing is slept)
        with caplog.at_level(logging.INFO, logger="fluidstack_client"):
            east.projects.wait_deleted(PROJECT_ID, on_change=seen.append)
    assert [str(p.state) for p in seen] == ["active", "deleting"]
    assert all(isinstance(p, Project) and str(p.id) == PROJECT_ID for p in seen)
    assert [r.path for r in server.requests] == [f"/api/v1alpha1/projects/{PROJECT_ID}"] * 4
    assert len(pauses.taken) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"]
    assert [line.split(" after ")[0] for line in lines] == [
        f"project {PROJECT_ID}: (none yet) -> active",
        f"project {PROJECT_ID}: active -> deleting",
    ]


def test_projects_wait_deleted_on_a_project_still_there_times_out_with_it(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()
    kept = fake.projects[0]
    with clients.region_client(fake) as east:
        with pytest.raises(WaitTimeoutError) as caught:
            east.projects.wait_deleted(kept["id"], timeout=30)
    assert isinstance(caught.value.last, Project)
    assert str(caught.value.last.id) == kept["id"]


# -- timeouts ---------------------------------------------------------------------------------


def test_a_wait_that_times_out_says_what_it_was_waiting_for_and_what_it_saw(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(new.id, until=["starting", "running"], timeout=30)
    error = caught.value
    assert isinstance(error, FluidstackError)
    assert isinstance(error.last, Instance)
    assert error.last.id == new.id
    assert error.last.state == "creating"
    assert str(error) == (
        f"waited 30s for instance {new.id} to be running or starting; it is creating"
    )
    assert fake.clock == pytest.approx(30)  # the last pause cut to what was left


def test_a_wait_whose_polls_all_failed_times_out_with_nothing_seen(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = FakeAPI()  # each request takes 1 s of the fake's clock
    fake.fail_next(10_000, status=503, route="GetInstance")
    with clients.region_client(fake, max_retries=0) as east:
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(INSTANCE_ID, timeout=20)
    assert caught.value.last is None
    assert str(caught.value).endswith("to be running; it is (none yet)")
    assert polls(fake) > 3


def test_a_timeout_of_zero_polls_once(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(new.id, timeout=0)
        assert polls(fake) == 1
        assert (east.instances.wait(new.id, until="creating", timeout=0)).id == new.id
    assert isinstance(caught.value.last, Instance)
    assert fake.clock == 0


def test_a_wait_gives_up_after_fifteen_minutes_by_default(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=10_000)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError, match=r"^waited 900s for instance "):
            east.instances.wait(new.id)
        fake.advance(100)
        with pytest.raises(WaitTimeoutError, match=r"^waited 900s for instance "):
            east.instances.wait_deleted(new.id)
    assert fake.clock == pytest.approx(900 + 100 + 900)


def test_a_wait_on_a_server_that_never_answers_overruns_by_one_attempt_at_most() -> None:
    attempt = 0.2
    with HostileServer(lambda conn: conn.hold()) as hostile:
        with scripted(hostile, timeout=attempt) as east:
            started = time.monotonic()
            with pytest.raises(WaitTimeoutError) as caught:
                east.instances.wait(INSTANCE_ID, timeout=0.5)
            elapsed = time.monotonic() - started
    assert caught.value.last is None  # no poll succeeded
    assert 0.5 <= elapsed <= 0.5 + attempt + 0.25
    # A poll at once and one at the timeout: near the end a poll has no retries.
    assert hostile.count("GET") == 2


@pytest.mark.parametrize(
    ("wait", "ends_after"),
    [(0.5, _waiting.MIN_POLL_DEADLINE), (1.3, 1.3)],
    ids=["shorter than a poll's least", "longer"],
)
def test_a_wait_on_a_client_without_a_deadline_still_ends(wait: float, ends_after: float) -> None:
    """Review of issue 21: with `timeout=None` on the client, a poll of a server that
    never answers had no deadline, and neither had the wait. Now the poll is lent the
    rest of the wait, and at least MIN_POLL_DEADLINE."""
    with HostileServer(lambda conn: conn.hold()) as hostile:
        with scripted(hostile, timeout=None) as east:
            started = time.monotonic()
            with pytest.raises(WaitTimeoutError) as caught:
                east.instances.wait(INSTANCE_ID, timeout=wait)
            elapsed = time.monotonic() - started
    assert caught.value.last is None
    assert ends_after <= elapsed <= ends_after + 0.5
    assert hostile.count("GET") == 1


def test_early_polls_keep_their_retries_and_the_last_has_none() -> None:
    attempt = 0.15
    # Each poll could take 3 x 0.15 s + 2 x 0.02 s = 0.49 s with its retries.
    quick = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02, max_retry_after=0.02)
    with HostileServer(lambda conn: conn.hold()) as hostile:
        with scripted(hostile, timeout=attempt, retry_policy=quick) as east:
            started = time.monotonic()
            with pytest.raises(WaitTimeoutError):
                east.instances.wait(INSTANCE_ID, timeout=1.0)
            elapsed = time.monotonic() - started
    assert 1.0 <= elapsed <= 1.0 + attempt + 0.25
    assert hostile.count("GET") == 3 + 1  # the first poll retried twice; the last alone


def test_a_wait_whose_server_turns_slow_times_out_with_the_instance_last_seen(
    server: ScriptedServer,
) -> None:
    server.queue(Reply(json=instance_body("creating")))
    server.default = Reply(json=instance_body("running"), delay=3)  # past every deadline
    attempt = 0.2
    with scripted(server, timeout=attempt) as east:
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(INSTANCE_ID, timeout=0.4)
        elapsed = time.monotonic() - started
    assert isinstance(caught.value.last, Instance)
    assert caught.value.last.state == "creating"
    assert str(caught.value).endswith("; it is creating")
    assert 0.4 <= elapsed <= 0.4 + attempt + 0.25


# -- the schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize("transition", [0.5, 3.3, 10, 47, 200, 601])
def test_the_polls_for_a_transition_of_t_seconds_stay_within_the_schedule(
    clients: Clients[Fluidstack, RegionClient], transition: float
) -> None:
    fake = still_fake(creating=transition)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        east.instances.wait(new.id)
    fewest, most = poll_bounds(transition)
    assert fewest <= polls(fake) <= most
    assert fake.clock >= transition


@pytest.mark.parametrize(("at", "factor"), [("low", LOW_JITTER), ("high", HIGH_JITTER)])
@pytest.mark.parametrize("transition", [0.5, 3.3, 10, 47, 200, 601])
def test_the_polls_at_either_end_of_the_jitter_are_the_schedules_bounds(
    clients: Clients[Fluidstack, RegionClient],
    monkeypatch: pytest.MonkeyPatch,
    transition: float,
    at: str,
    factor: float,
) -> None:
    monkeypatch.setattr(_waiting, "_JITTER", FixedJitter(at))
    fake = still_fake(creating=transition)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        east.instances.wait(new.id)
    assert polls(fake) == polls_for(transition, factor)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("mid", [1, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625, 15, 15, 15]),
        ("low", [0.8, 1.2, 1.8, 2.7, 4.05, 6.075, 9.1125, 12, 12, 12]),
        ("high", [1.2, 1.8, 2.7, 4.05, 6.075, 9.1125, 13.66875, 15, 15, 15]),
    ],
)
def test_the_pauses_grow_by_half_from_one_second_up_to_fifteen(
    clients: Clients[Fluidstack, RegionClient],
    monkeypatch: pytest.MonkeyPatch,
    at: str,
    expected: list[float],
) -> None:
    jitter = FixedJitter(at)
    monkeypatch.setattr(_waiting, "_JITTER", jitter)
    fake = still_fake(creating=10_000)
    with clients.region_client(fake) as east:
        pauses = record_pauses(east)
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError):
            east.instances.wait(new.id, timeout=300)
    assert pauses.taken[:10] == pytest.approx(expected)
    assert set(jitter.asked) == {(LOW_JITTER, HIGH_JITTER)}
    assert sum(pauses.taken) == pytest.approx(300)  # the last one cut to what was left
    assert pauses.taken[-1] <= expected[-1]


def test_each_random_pause_is_within_its_jitter(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=10_000)
    with clients.region_client(fake) as east:
        pauses = record_pauses(east)
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(WaitTimeoutError):
            east.instances.wait(new.id)
    taken = pauses.taken[:-1]  # (the last is cut to the timeout)
    low, high = schedule(len(taken), LOW_JITTER), schedule(len(taken), HIGH_JITTER)
    for pause, shortest, longest in zip(taken, low, high, strict=True):
        assert shortest - 1e-9 <= pause <= longest + 1e-9
    assert len(set(taken)) > 10  # random, not one fixed factor


def test_a_retry_after_on_a_polls_answer_is_never_undercut(
    server: ScriptedServer,
) -> None:
    server.queue(
        Reply(json=instance_body("creating"), headers={"Retry-After": "7"}),
        Reply(json=instance_body("creating"), headers={"Retry-After": "0.5"}),  # shorter
        Reply(json=instance_body("starting"), headers={"Retry-After": "40"}),
        Reply(json=instance_body("running")),
    )
    with scripted(server) as east:
        pauses = record_pauses(east)
        got = east.instances.wait(INSTANCE_ID)
    assert got.state == "running"
    first, second, third = pauses.taken
    assert first == 7
    assert LOW_JITTER * 1.5 <= second <= HIGH_JITTER * 1.5  # the schedule's own, longer
    assert third == 40


def test_a_retry_after_given_as_a_date_is_never_undercut(server: ScriptedServer) -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.queue(Reply(json=instance_body("creating"), headers={"Retry-After": later}))
    server.queue(Reply(json=instance_body("running")))
    with scripted(server) as east:
        pauses = record_pauses(east)
        east.instances.wait(INSTANCE_ID)
    assert len(pauses.taken) == 1
    assert 28 <= pauses.taken[0] <= 31


def test_a_retry_after_past_the_timeout_is_cut_to_it(server: ScriptedServer) -> None:
    server.default = Reply(json=instance_body("creating"), headers={"Retry-After": "3600"})
    with scripted(server) as east:
        pauses = record_pauses(east)
        with pytest.raises(WaitTimeoutError):
            east.instances.wait(INSTANCE_ID, timeout=100)
    assert pauses.taken == [100]
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_on_a_failed_poll_is_never_undercut(
    clients: Clients[Fluidstack, RegionClient], status: int
) -> None:
    fake = still_fake(creating=1)
    fake.fail_next(1, status=status, route="GetInstance", retry_after=40)
    with clients.region_client(fake, max_retries=0) as east:
        pauses = record_pauses(east)
        new = east.instances.create(name="x", type=H100)
        got = east.instances.wait(new.id)
    assert got.state == "running"
    assert pauses.taken == [40]
    assert polls(fake) == 2


def test_a_polls_own_retries_on_the_fakes_clock_take_no_real_time(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    """Issue 21: "All of it against the fake in users' tests without real sleeps: the
    waiters follow the fake's clock". A poll's own retry (the client's default policy)
    after a 503 asking for 3 s is part of the wait: it too should pass on the fake's
    clock, not sleep 3 s of real time."""
    fake = FakeAPI()
    fake.fail_next(1, status=503, route="GetInstance", retry_after=3)
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        started = time.perf_counter()
        assert (east.instances.wait(new.id)).state == "running"
        elapsed = time.perf_counter() - started
    assert elapsed < 0.5


# -- failures during a wait --------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "502", "503", "504", "429", "drop"])
def test_a_transient_failure_does_not_end_a_wait_while_time_remains(
    clients: Clients[Fluidstack, RegionClient], fault: str
) -> None:
    fake = still_fake(creating=10)
    with clients.region_client(fake, max_retries=0) as east:
        new = east.instances.create(name="x", type=H100)
        if fault == "drop":
            fake.drop_next(3, route="GetInstance")
        else:
            fake.fail_next(3, status=int(fault), route="GetInstance")
        got = east.instances.wait(new.id)
    assert got.state == "running"
    assert polls(fake) >= 3 + 1


def test_transient_failures_until_the_timeout_end_in_a_timeout_with_the_last_seen(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake, max_retries=0) as east:
        new = east.instances.create(name="x", type=H100)

        def then_down(instance: Instance) -> None:
            fake.fail_next(10_000, status=503, route="GetInstance")

        with pytest.raises(WaitTimeoutError) as caught:
            east.instances.wait(new.id, timeout=120, on_change=then_down)
    assert isinstance(caught.value.last, Instance)
    assert caught.value.last.state == "creating"
    assert polls(fake) > 5


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
    ],
)
def test_a_failure_that_will_not_pass_ends_the_wait_at_once(
    clients: Clients[Fluidstack, RegionClient],
    status: int,
    error: type[Exception],
) -> None:
    fake = still_fake(creating=1000)
    with clients.region_client(fake) as east:
        pauses = record_pauses(east)
        new = east.instances.create(name="x", type=H100)

        def then_refused(instance: Instance) -> None:
            fake.fail_next(1, status=status, route="GetInstance")

        with pytest.raises(error):
            east.instances.wait(new.id, on_change=then_refused)
    assert polls(fake) == 2  # the first poll, then the refused one: no retry, no more
    assert len(pauses.taken) == 1


def test_a_poll_answered_with_a_body_that_is_no_instance_ends_the_wait(
    server: ScriptedServer,
) -> None:
    server.default = Reply(json={"id": "not an instance"})
    with scripted(server) as east:
        with pytest.raises(APIResponseValidationError):
            east.instances.wait(INSTANCE_ID)
    assert len(server.requests) == 1


@pytest.mark.parametrize("call", ["wait", "wait_deleted"])
def test_a_poll_answered_with_another_instance_ends_the_wait(
    server: ScriptedServer, call: str
) -> None:
    """Review of issue 21: a cache or a proxy answering with another instance (already
    running) ended a wait as if the one polled for were."""
    other = uuid.UUID(int=7)
    server.default = Reply(json=instance_body("running", id=str(other)))
    with scripted(server) as east:
        with pytest.raises(APIResponseValidationError) as caught:
            getattr(east.instances, call)(INSTANCE_ID)
    assert f"200 is instance {other}, not the {INSTANCE_ID} polled for" in str(caught.value)
    assert len(server.requests) == 1


# -- progress: the log and on_change ---------------------------------------------------------


def test_each_change_of_state_is_one_info_line(
    clients: Clients[Fluidstack, RegionClient], caplog: pytest.LogCaptureFixture
) -> None:
    fake = still_fake(creating=10, durations={"starting": 20})
    at: list[float] = []
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with caplog.at_level(logging.INFO, logger="fluidstack_client"):
            east.instances.wait(new.id, on_change=lambda i: at.append(fake.clock))
    records = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert [r.levelno for r in records] == [logging.INFO] * 3
    assert [r.getMessage() for r in records] == [
        f"instance {new.id}: (none yet) -> creating after {at[0]:.1f}s",
        f"instance {new.id}: creating -> starting after {at[1]:.1f}s",
        f"instance {new.id}: starting -> running after {at[2]:.1f}s",
    ]
    assert at[0] == 0
    assert 10 <= at[1] < 30 <= at[2]
    assert polls(fake) > len(records) + 2  # states seen again are not logged again


def test_on_change_is_called_once_per_change_with_the_instance(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=10, durations={"starting": 20})
    changes: list[Instance] = []
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        got = east.instances.wait(new.id, on_change=changes.append)
    assert [str(i.state) for i in changes] == ["creating", "starting", "running"]
    assert all(isinstance(i, Instance) and i.id == new.id for i in changes)
    assert changes[-1] == got
    assert polls(fake) > len(changes)


def test_an_exception_from_on_change_ends_the_wait(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    fake = still_fake(creating=10)

    def refuse(instance: Instance) -> None:
        raise LookupError("not this one")

    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(LookupError, match="not this one"):
            east.instances.wait(new.id, on_change=refuse)
    assert polls(fake) == 1


WAITS = ["instances.wait", "instances.wait_deleted", "projects.wait_deleted"]


def _waiter(east: RegionClient | RegionClient, call: str) -> Any:
    return functools.reduce(getattr, call.split("."), east)


# -- arguments refused before anything is sent ---------------------------------------------


BAD_WAIT_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    (
        {"until": "running", "fail_on": "running"},
        "running is both waited for (until=) and a failure (fail_on=)",
    ),
    (
        {"until": ["stopped", "error"]},  # `error` is a failure by default
        "error is both waited for (until=) and a failure (fail_on=)",
    ),
    (
        {"until": ["a", "b", "c"], "fail_on": ["c", "b"]},
        "b, c is both waited for (until=) and a failure (fail_on=)",
    ),
    ({"until": ""}, "until must be a non-empty string"),
    ({"until": "  "}, "until must be a non-empty string"),
    ({"until": []}, "until= names no state to wait for"),
    ({"until": 5}, "until must be a state or a collection of states, got int"),
    ({"until": None}, "until must be a state or a collection of states, got NoneType"),
    ({"until": ["running", 1]}, "until must be a non-empty string"),
    ({"until": b"running"}, "until must be a non-empty string"),
    ({"fail_on": 5}, "fail_on must be a state or a collection of states, got int"),
    ({"fail_on": [None]}, "fail_on must be a non-empty string"),
]
BAD_COMMON_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({"timeout": -1}, "timeout must be seconds (a number from 0 to 1e+09), got -1"),
    ({"timeout": -0.001}, "timeout must be seconds (a number from 0 to 1e+09), got -0.001"),
    ({"timeout": float("nan")}, "timeout must be seconds (a number from 0 to 1e+09), got nan"),
    ({"timeout": "60"}, "timeout must be seconds (a number from 0 to 1e+09), got '60'"),
    ({"timeout": None}, "timeout must be seconds (a number from 0 to 1e+09), got None"),
    ({"timeout": True}, "timeout must be seconds (a number from 0 to 1e+09), got True"),
    ({"on_change": "print"}, "on_change must be callable, got str"),
    ({"on_change": 3}, "on_change must be callable, got int"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_WAIT_ARGUMENTS + BAD_COMMON_ARGUMENTS)
def test_a_bad_argument_to_wait_is_refused_before_anything_is_sent(
    clients: Clients[Fluidstack, RegionClient], kwargs: dict[str, Any], message: str
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        with pytest.raises(InvalidParameterError) as caught:
            east.instances.wait(fake.instances[0]["id"], **kwargs)
    assert str(caught.value).startswith(message)
    assert fake.requests == []


@pytest.mark.parametrize("call", WAITS[1:])
@pytest.mark.parametrize(("kwargs", "message"), BAD_COMMON_ARGUMENTS)
def test_a_bad_argument_to_wait_deleted_is_refused_before_anything_is_sent(
    clients: Clients[Fluidstack, RegionClient],
    call: str,
    kwargs: dict[str, Any],
    message: str,
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        with pytest.raises(InvalidParameterError) as caught:
            _waiter(east, call)(fake.instances[0]["id"], **kwargs)
    assert str(caught.value).startswith(message)
    assert fake.requests == []


@pytest.mark.parametrize("call", WAITS)
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", 42, None, ["a"]])
def test_an_id_that_is_not_a_uuid_is_refused_before_anything_is_sent(
    clients: Clients[Fluidstack, RegionClient], call: str, bad_id: Any
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        with pytest.raises(InvalidParameterError, match=r"_id must be a UUID"):
            _waiter(east, call)(bad_id)
    assert fake.requests == []


@pytest.mark.parametrize("call", WAITS[:2])
def test_a_bad_or_missing_project_is_refused_before_anything_is_sent(
    clients: Clients[Fluidstack, RegionClient], call: str
) -> None:
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        with pytest.raises(InvalidParameterError, match=r"^project_id must be a UUID"):
            _waiter(east, call)(INSTANCE_ID, project_id="not-a-uuid")
        with pytest.raises(InvalidParameterError, match=r"none is set"):
            _waiter(east.with_options(project_id=None), call)(INSTANCE_ID)
    assert fake.requests == []


@pytest.mark.parametrize("call", WAITS)
def test_a_timeout_longer_than_the_clocks_hold_is_refused(
    clients: Clients[Fluidstack, RegionClient], call: str
) -> None:
    """Every other length of time the client takes is refused when not finite or past
    1e9 s (`with_options(timeout=inf)` is a ConfigurationError). A waiter's is not:
    with the sync client, `timeout=1e10` and a server's `Retry-After: 1e10` make
    `time.sleep(1e10)` raise OverflowError (the test below)."""
    fake = FakeAPI()
    with clients.region_client(fake) as east:
        for timeout in (float("inf"), 1e10):
            with pytest.raises(InvalidParameterError, match="timeout"):
                _waiter(east, call)(uuid.uuid4(), timeout=timeout)  # (none: quick)
    assert fake.requests == []


# -- cancelling a waiting task ---------------------------------------------------------------


@pytest.fixture
def quick_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses of 20 to 50 ms: a wait left running would poll many times in a second."""
    monkeypatch.setattr(_waiting, "FIRST_PAUSE", 0.02)
    monkeypatch.setattr(_waiting, "MAX_PAUSE", 0.05)


# -- the errors themselves -------------------------------------------------------------------


def test_the_waiters_errors_survive_pickling_with_what_they_carry(
    clients: Clients[Fluidstack, RegionClient],
) -> None:
    """A wait run in a worker process (multiprocessing, a task queue) hands its error
    back pickled: the instance it carries must come with it."""
    import pickle

    fake = still_fake(regions={"us-east-1": {"capacity": {H100: 0}}})
    with clients.region_client(fake) as east:
        new = east.instances.create(name="x", type=H100)
        with pytest.raises(InstanceStateError) as failed:
            east.instances.wait(new.id)
        with pytest.raises(WaitTimeoutError) as timed_out:
            east.instances.wait(new.id, fail_on=(), timeout=5)
    state_error = pickle.loads(pickle.dumps(failed.value))
    timeout_error = pickle.loads(pickle.dumps(timed_out.value))
    assert state_error.instance == failed.value.instance
    assert str(state_error) == str(failed.value)
    assert timeout_error.last == timed_out.value.last
    assert str(timeout_error) == str(timed_out.value)
