"""Every example in examples/ runs against the fake and shows what it says it shows,
so none can rot, and `make demo` (the README's first command) runs examples checked here.

Examples are found by glob: a new one runs here without a word changed, and fails
until CHECKS says what its output must show. `test_*.py` examples are pytest files,
run by pytest in a project of their own.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fluidstack_client.testing import FakeAPI, serve

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# An example that takes long by design is told to be brief.
ENV = {"service_credentials.py": {"DEMO_SECONDS": "4.5"}}
# Plugins this suite has that are slow to load and have no part in an example's run.
QUIET = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-rA", *QUIET]


def _lines_match(out: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, out, re.MULTILINE), f"no line matching {pattern!r} in:\n{out}"


def check_fake_in_process(out: str) -> None:
    # Registered once (the second call met 409 and was fine), listed after a 503 retried.
    assert out == "['ci-runner', 'deploy']\n"


def check_fake_in_process_async(out: str) -> None:
    assert out == "['eval-0', 'train-1']\n3 ListInstances calls\n"


def check_fake_on_loopback(out: str) -> None:
    url, instances, served = out.splitlines()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1alpha1", url)
    assert instances == "['gpu-train-0', 'gpu-train-1']"  # us-east-1's, from its regional API
    assert served == "2 requests served"


def check_quickstart(out: str) -> None:
    assert out.startswith("fluidstack-client demo against the bundled fake\n")
    origin = re.search(r"^1\. regions \(from (http://127\.0\.0\.1:\d+)/api/v1alpha1\)$", out, re.M)
    assert origin, out
    base = re.escape(origin[1])
    _lines_match(
        out,
        rf"^  us-east-1 +{base}/regional/us-east-1/api/v1alpha1$",
        rf"^  eu-west-1 +{base}/regional/eu-west-1/api/v1alpha1$",
        rf"^  → client for us-east-1 +{base}/regional/us-east-1/api/v1alpha1$",
        # From the region's own API: its projects, and the capacity in the first one.
        r"^ +project ml-training \(active\)$",
        r"^ +project research \(active\)$",
        r"^ +capacity h100-80gb-sxm: 4 available$",
        r"^ +capacity h100-hgx-80gb\.8x: 4 available$",
        r"^  project 5b1f6a7e… +2 instance\(s\)$",
        r"^ +gpu-train-0 +running +us-east-1 +ip=10\.0\.0\.1$",
        r"^ +gpu-eval-0 +stopped +eu-west-1 +ip=-$",
        r"^  demo-laptop +ssh-ed25519 AAAA",
        r"^  ✓ survived +3 instances after retries$",
        r"^  ✗ InternalServerError +POST .*/invitations: 503 injected fault: 503 \(a write is not "
        r"sent again: it may have been carried out before the server failed; check before "
        r"retrying\)$",
        r"^  invitation requests sent +1$",
    )
    retries = re.findall(r"↻ retrying GET /api/v1alpha1/instances after status 500", out)
    assert len(retries) == 2, out


def check_provision(out: str) -> None:
    assert out.startswith(
        "fluidstack-client provisioning demo against the bundled fake (on its clock)\n"
    )
    sections = re.split(r"^\d\. .*$", out, flags=re.MULTILINE)
    assert len(sections) == 6, out
    _, capacity, lifecycle, sold_out, lost, raw = sections
    # each_region: every region's outcome, the one that is down included, and the choice.
    _lines_match(
        capacity,
        r"^  us-east-1 +h100-80gb-sxm 4, h100-hgx-80gb\.8x 0$",
        r"^  eu-west-1 +✗ InternalServerError: 503 ",
        r"^  → us-east-1 +4 x h100-80gb-sxm free$",
    )
    # The guide's workflow with the waiters: each change of state is the waiter's own
    # INFO line, in order, each once; the fake's clock, so every state is seen.
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    lines = [" ".join(line.split()) for line in lifecycle.strip().splitlines()]
    created = re.fullmatch(rf"create train-demo: creating, h100-80gb-sxm, id ({uuid})", lines[0])
    assert created, lifecycle
    waited = rf"instance {created[1]}: (.+) after \d+\.\ds"
    steps = [m[1] if (m := re.fullmatch(waited, line)) else line for line in lines[1:]]
    assert steps == [
        "(none yet) -> creating",
        "creating -> starting",
        "starting -> running",
        "stop accepted",
        "(none yet) -> stopping",
        "stopping -> stopped",
        "delete accepted",
        "(none yet) -> deleting",
        "gone (404)",
    ], lifecycle
    # Out of stock: on_change shows the states, the wait raises InstanceStateError,
    # and the instance is deleted.
    assert [line.split()[0] for line in sold_out.strip().splitlines()] == [
        "create",
        "creating",
        "out-of-stock",
        "✗",
        "delete",
        "deleting",
        "gone",
    ], sold_out
    _lines_match(sold_out, rf"^  ✗ InstanceStateError +instance {uuid} is out-of-stock$")
    # The answer to the create was lost: AmbiguousWriteError, nothing sent again, the
    # instance found by its name and adopted, then run and deleted like the first.
    _lines_match(
        lost,
        r"^  ✗ AmbiguousWriteError +create_instance: it may have been carried out$",
        r"^  found by its name +creating: adopted$",
        r"^ +running +ip=10\.0\.1\.1$",
        r"^  gone +\(404\)$",
        r"^  create requests sent +1 \(one instance, one request\)$",
    )
    _lines_match(
        raw,
        r"^  instances\.list +200, \d+ instance\(s\)$",
        r"^  request id +req-\d{6} \(X-Request-Id: quote it to support\)$",
        r"^  X-Correlation-Id received +demo-job-7$",
    )
    # Minutes of waiting on the fake's clock, in (much) less of the wall clock's.
    clocks = re.search(
        r"^\d+ requests; (\d+) s of the fake's clock in ([\d.]+) s of yours$", out, re.M
    )
    assert clocks, out
    assert int(clocks[1]) > 20
    assert float(clocks[2]) < int(clocks[1])


def check_service_credentials(out: str) -> None:
    # 2-second tokens over 4.5 s: the first fetch and two renewals, however many of
    # the 20 tasks are calling, and no call refused or failed.
    assert out.count("↻ new token (one request for all 20 tasks)") == 3, out
    calls = re.search(r"^  (\d+) calls over 4\.5s, all succeeded$", out, re.MULTILINE)
    assert calls, out
    # Each task calls every 0.4 s (~11 calls in 4.5 s); a loaded CI machine manages
    # fewer, but every task keeps calling across both renewals.
    assert int(calls[1]) >= 20 * 5
    _lines_match(
        out,
        r"^  token requests: 3 \(one per lifetime, not one per task\)$",
        r"^  calls refused with 401 and re-sent: 0$",
    )
    assert "fake-client-secret" not in out


CHECKS: dict[str, Callable[[str], None]] = {
    "fake_in_process.py": check_fake_in_process,
    "fake_in_process_async.py": check_fake_in_process_async,
    "fake_on_loopback.py": check_fake_on_loopback,
    "provision.py": check_provision,
    "quickstart.py": check_quickstart,
    "service_credentials.py": check_service_credentials,
}


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    """No FLUIDSTACK_* (the quickstart would go to the real API) and no pytest settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLUIDSTACK_", "PYTEST_")) and k != "PYTHONWARNINGS"
    }
    return env | extra


def _run_script(example: Path, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "error", str(example)],
        cwd=cwd,
        env=_clean_env(ENV.get(example.name, {})),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warning, no stray log line
    return done.stdout


def _run_pytest_file(example: Path, cwd: Path) -> None:
    """In a project of its own, with only anyio for async tests (pytest-asyncio off)."""
    (cwd / "pytest.ini").write_text("[pytest]\n")
    copy = cwd / example.name
    copy.write_text(example.read_text())
    tests = [
        node.name
        for node in ast.parse(example.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    done = subprocess.run(
        [*PYTEST, "-p", "no:asyncio", "-W", "error", copy.name],
        cwd=cwd,
        env=_clean_env({}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    passed_ids = rf"^PASSED {re.escape(copy.name)}::(\w+)(?:\[asyncio\])?$"
    passed = sorted(re.findall(passed_ids, done.stdout, re.MULTILINE))
    assert passed == sorted(tests), done.stdout
    assert tests


# -- every example, against the fake ----------------------------------------------------


def test_examples_are_found() -> None:
    assert {p.name for p in EXAMPLES} >= {*CHECKS, "test_with_the_fake.py"}


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_against_the_fake(example: Path, tmp_path: Path) -> None:
    if example.name.startswith("test_"):
        _run_pytest_file(example, tmp_path)
        return
    check = CHECKS.get(example.name)
    assert check is not None, (
        f"examples/{example.name} has no checks: add what its output must show to CHECKS "
        "in tests/tooling/test_examples.py"
    )
    check(_run_script(example, tmp_path))


# -- make demo: examples/quickstart.py, service_credentials.py, provision.py ------------
#
# Against the bundled fake, the tests above run them and check their output; here, what
# is particular to the demo: with a token, the same quickstart talks to "the real API"
# and only reads, and provision.py stays on the fake unless told `--live`.


def test_make_demo_runs_the_examples_that_are_checked() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no demo target in the Makefile"
    ran = re.findall(r"examples/(\w+\.py)", recipe[1])
    assert ran == ["quickstart.py", "service_credentials.py", "provision.py"]
    assert set(ran) <= set(CHECKS)


@pytest.mark.slow
def test_demo_with_a_token_only_reads() -> None:
    fake = FakeAPI(token="real-looking-token")
    keys_before = [dict(k) for k in fake.keys]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    with serve(fake) as server:
        out = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "quickstart.py")],
            env=clean
            | {"FLUIDSTACK_TOKEN": "real-looking-token", "FLUIDSTACK_BASE_URL": server.base_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    assert out.startswith("fluidstack-client demo against the real API\n")
    # What the account holds is shown...
    assert re.search(r"^  us-east-1 +http://127\.0\.0\.1:\d+/regional/us-east-1/", out, re.M)
    assert re.search(r"^ +gpu-train-0 +running +us-east-1 +ip=10\.0\.0\.1$", out, re.M)
    assert re.search(r"^3\. SSH keys \(read-only against the real API\)$", out, re.M)
    assert re.search(r"^  ci-runner +ssh-ed25519 AAAA", out, re.M)
    # ... and nothing in it is changed: no key registered, no invitation, no fault.
    assert "demo-laptop" not in out
    assert "survived" not in out
    assert fake.keys == keys_before
    assert len(fake.invitations) == 1
    assert fake.requests
    assert {r.method for r in fake.requests} == {"GET"}
    assert "real-looking-token" not in out


def _against_a_real_looking_api(fake: FakeAPI, server_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    return clean | {
        "FLUIDSTACK_TOKEN": fake.token,
        "FLUIDSTACK_BASE_URL": server_url,
        "FLUIDSTACK_PROJECT_ID": fake.projects[0]["id"],
    }


@pytest.mark.slow
def test_provision_with_a_token_still_uses_the_fake() -> None:
    # `make demo` in a shell that has a token: no instance is created in the account.
    fake = FakeAPI(token="real-looking-token")
    with serve(fake) as server:
        out = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "provision.py")],
            env=_against_a_real_looking_api(fake, server.base_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    check_provision(out)
    assert fake.requests == []


@pytest.mark.slow
@pytest.mark.parametrize("how", ["region name", "FLUIDSTACK_REGION_URL"])
def test_provision_live_runs_the_lifecycle_and_deletes(how: str) -> None:
    fake = FakeAPI(token="real-looking-token")
    with serve(fake) as server:
        env = _against_a_real_looking_api(fake, server.base_url)
        args = ["--live", "--type", "h100-80gb-sxm", "--name", "ci-check"]
        if how == "region name":
            args += ["--region", "eu-west-1"]
        else:
            env["FLUIDSTACK_REGION_URL"] = fake.region_url("eu-west-1")
        done = subprocess.run(
            [sys.executable, "-W", "error", str(ROOT / "examples" / "provision.py"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("fluidstack-client provisioning against the real API")
    assert "/regional/eu-west-1/api/v1alpha1" in done.stdout
    regional = [r.operation or "" for r in fake.requests if r.region == "eu-west-1"]
    writes = [op for op in regional if op.endswith("Instance") and op != "GetInstance"]
    assert writes == ["CreateInstance", "StopInstance", "DeleteInstance"]
    assert "ci-check" not in [i["name"] for i in fake.instances]  # deleted: nothing billed
    # The waiters' progress lines (real sleeps here: a client built by the script).
    assert re.search(r"^    instance \S+: starting -> running after [\d.]+s$", done.stdout, re.M)
    assert re.search(r"^  gone +\(404\)$", done.stdout, re.M)
    # Only the lifecycle: no out-of-stock instance, no lost answer.
    assert "train-big" not in done.stdout
    assert "lost" not in done.stdout


def test_provision_live_needs_a_type() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "provision.py"), "--live"],
        env=_clean_env({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--live needs --type" in done.stderr
