"""The documentation cannot rot: every Python example in docs/ runs against the fake.

Each fenced ``python`` (or ``pycon``) block in `docs/**/*.md` must be marked by an
HTML comment on the last non-blank line before it (a blank line must separate the
two: Markdown would otherwise swallow the block into the comment):

    <!-- run -->               run it in a fresh namespace, against a fresh fake
    <!-- run: continue -->     run it in the namespace of the page's previous block
                               and against the same fake (a multi-step example)
    <!-- run: pytest -->       it is a test module: run it with pytest, in a
                               project of its own (the package's fixtures only)
    <!-- no-run: <reason> -->  shown only (a fragment, or it needs the real API)

An unmarked block fails `test_every_example_is_marked`. `run` may add
`unset=NAME,NAME` to remove environment variables for that block, and
`seconds_per_request=N` to serve it a fake whose clock moves N seconds per request
(`FakeAPI(seconds_per_request=N)`): with 60, an instance is where a waiter wants it
at the first poll, so an example that waits through a whole lifecycle with a client
built from the environment (which waits on the wall clock) never sleeps.

What a `run` block sees: a `FakeAPI` served on 127.0.0.1 (a fresh one per block
unless `continue`), and the environment a real deployment would have, pointing at
it: `FLUIDSTACK_TOKEN`, `FLUIDSTACK_BASE_URL`, `FLUIDSTACK_CLIENT_ID`,
`FLUIDSTACK_CLIENT_SECRET`, `FLUIDSTACK_TOKEN_URL`, `FLUIDSTACK_PROJECT_ID` (the
fake's first project, `DEFAULT_PROJECT_ID`) and `FLUIDSTACK_REGION_URL` (its first
region's API, us-east-1's); `HOME` and the working
directory are temporary directories, and `~/.fluidstack/token` holds the fake's
token, as `fluidctl login` would leave it. So `AsyncFluidstack()` with no
arguments, as the pages write it, talks to the fake. ``pycon`` blocks are doctests
(their output is compared, `...` matches anything).

Each page's blocks run in a subprocess of their own (this file, run as a script:
`python tests/tooling/test_docs.py` with the page's blocks as JSON on stdin), so what
one page does to logging or global state stays there.

The API reference must cover the public API: `test_reference_covers_public_api`.
"""

from __future__ import annotations

import contextlib
import doctest
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

# This file is also run as a script, in a subprocess per page (see the top): paths come
# from where it is, never from the working directory.
ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_docstrings  # noqa: E402

pytestmark = pytest.mark.tooling
DOCS = ROOT / "docs"
DOCS_TOKEN = "docs-example-token"
PYTHON_LANGUAGES = frozenset({"python", "py", "pycon"})
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>run|no-run)\s*(?::\s*(?P<options>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository root
    line: int  # of the first line of code
    language: str
    code: str
    marker: str | None  # "run", "no-run" or None
    options: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def option_set(self) -> set[str]:
        return set(self.options.split())


def blocks(path: Path) -> list[Block]:
    """The fenced Python blocks of a Markdown page, with the marker before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"].strip()
        language = info.split()[0].lower().lstrip(".") if info else ""
        end = i + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            end += 1
        if language in PYTHON_LANGUAGES:
            body = [line.removeprefix(indent) for line in lines[i + 1 : end]]
            previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = _MARKER.match(previous)
            found.append(
                Block(
                    page,
                    i + 2,
                    language,
                    "\n".join(body) + "\n",
                    marker["kind"] if marker else None,
                    (marker["options"] or "") if marker else "",
                )
            )
        i = end + 1
    return found


def pages() -> list[Path]:
    # The README's examples are the first a user copies: they run too.
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]


# -- the tests --------------------------------------------------------------------------


def test_every_example_is_marked() -> None:
    unmarked = [b.where for b in all_blocks() if b.marker is None]
    assert not unmarked, (
        "Python blocks in docs/ need <!-- run --> or <!-- no-run: reason --> on the line "
        f"before (after a blank line): {unmarked}"
    )
    no_reason = [b.where for b in all_blocks() if b.marker == "no-run" and not b.options]
    assert not no_reason, f"<!-- no-run: ... --> needs a reason: {no_reason}"


# Wider lines scroll sideways in the page's code boxes (about 80 characters fit).
MAX_EXAMPLE_LINE = 79


def test_examples_fit_the_page() -> None:
    too_long = []
    for block in all_blocks():
        for offset, line in enumerate(block.code.splitlines()):
            code = line.startswith((">>> ", "... ")) or block.language != "pycon"
            if code and len(line) > MAX_EXAMPLE_LINE:
                too_long.append(f"{block.page}:{block.line + offset} ({len(line)})")
    assert not too_long, f"example lines over {MAX_EXAMPLE_LINE} characters: {too_long}"


def test_the_docs_have_runnable_examples() -> None:
    # The convention is in use: a parser that silently found nothing would pass the rest.
    runnable = [b for b in all_blocks() if b.marker == "run"]
    assert len(runnable) >= 10
    assert {b.page for b in runnable} >= {"docs/index.md", "docs/errors.md"}


def _runnable_pages() -> list[str]:
    return sorted(
        {b.page for b in all_blocks() if b.marker == "run" and "pytest" not in b.option_set}
    )


def test_parser_reads_markers_and_indented_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- run -->\n\n```python\nprint(1)\n```\n\n"
        '=== "Tab"\n\n    <!-- no-run: a fragment -->\n\n    ```py title="x.py"\n'
        "    if x:\n        y()\n    ```\n\n```sh\nmake docs\n```\n\n````python\n```\n````\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.line, b.marker, b.options, b.code) for b in found] == [
        (4, "run", "", "print(1)\n"),
        (12, "no-run", "a fragment", "if x:\n    y()\n"),
        (21, None, "", "```\n"),
    ]


def _run_page(page: str, tmp_path: Path) -> None:
    page_blocks = [
        asdict(b) for b in blocks(ROOT / page) if b.marker == "run" and "pytest" not in b.option_set
    ]
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(page_blocks),
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"examples in {page} failed:\n{result.stderr}"


def pytest_generate_tests(metafunc: Any) -> None:
    if "doc_page" in metafunc.fixturenames:
        metafunc.parametrize("doc_page", _runnable_pages())
    if "pytest_block" in metafunc.fixturenames:
        found = [b for b in all_blocks() if b.marker == "run" and "pytest" in b.option_set]
        metafunc.parametrize("pytest_block", found, ids=[b.where for b in found])


@pytest.mark.slow
def test_page_examples_run(doc_page: str, tmp_path: Path) -> None:
    _run_page(doc_page, tmp_path)


@pytest.mark.slow
def test_a_failing_example_fails_its_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text(
        "<!-- run -->\n\n```python\nfrom fluidstack_client import Fluidstack\n\n"
        "with Fluidstack() as fs:\n    fs.instances.get('not-a-uuid')\n```\n\n"
        "<!-- run -->\n\n```pycon\n>>> 1 + 1\n3\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError) as failed:
        _run_page(str(page), tmp_path)
    report = str(failed.value)
    assert "broken.md:4: the example failed" in report
    assert 'broken.md", line 7' in report  # the page's own line numbers
    assert "InvalidParameterError: instance_id must be a UUID" in report
    assert "broken.md:13: doctest failed" in report


@pytest.mark.slow
def test_continue_shares_the_namespace_and_the_fake(tmp_path: Path) -> None:
    page = tmp_path / "steps.md"
    page.write_text(
        "<!-- run -->\n\n```python\nfrom fluidstack_client import Fluidstack\n\n"
        "fs = Fluidstack()\nfs.keys.register(name='step-1', key='ssh-ed25519 AAAA')\n```\n\n"
        "<!-- run: continue -->\n\n```pycon\n>>> [k.name for k in fs.keys.list()]\n"
        "['ci-runner', 'step-1']\n>>> fs.close()\n```\n\n"
        "<!-- run -->\n\n```pycon\n>>> 'fs' in globals()\nFalse\n```\n",
        encoding="utf-8",
    )
    _run_page(str(page), tmp_path)


@pytest.mark.slow
def test_run_blocks_have_a_regional_tools_settings(tmp_path: Path) -> None:
    # The pages build region clients from the environment (`AsyncRegionClient()`,
    # `fs.region(name)` with no project_id): both point at the fake, and `unset=` works.
    page = tmp_path / "regional.md"
    page.write_text(
        "<!-- run -->\n\n```python\nfrom fluidstack_client import RegionClient\n"
        "from fluidstack_client.testing import DEFAULT_PROJECT_ID\n\n"
        "with RegionClient() as east:\n"
        "    assert str(east.project_id) == DEFAULT_PROJECT_ID\n"
        "    assert east.base_url.path == '/regional/us-east-1/api/v1alpha1'\n"
        "    names = [i.name for i in east.instances.list()]\n"
        "    assert names == ['gpu-train-0', 'gpu-train-1']\n```\n\n"
        "<!-- run: unset=FLUIDSTACK_PROJECT_ID -->\n\n```python\n"
        "from fluidstack_client import Fluidstack\n\n"
        "with Fluidstack() as fs:\n"
        "    assert fs.region('us-east-1').project_id is None\n```\n",
        encoding="utf-8",
    )
    _run_page(str(page), tmp_path)


@pytest.mark.slow
def test_run_blocks_can_set_the_fakes_clock(tmp_path: Path) -> None:
    # `seconds_per_request=60`: a client built from the environment waits on the wall
    # clock; with a minute per request its waits end at the first poll, without sleeping.
    page = tmp_path / "clock.md"
    page.write_text(
        "<!-- run: seconds_per_request=60 -->\n\n```python\nimport time\n\n"
        "from fluidstack_client import RegionClient\n\n"
        "started = time.monotonic()\n"
        "with RegionClient() as east:\n"
        "    new = east.instances.create(name='x', type='h100-80gb-sxm')\n"
        "    seen = []\n"
        "    east.instances.wait(new.id, on_change=lambda i: seen.append(i.state))\n"
        "    assert seen == ['running'], seen\n"
        "assert time.monotonic() - started < 0.8  # no pause: the first is 0.8 s or more\n"
        "```\n\n"
        "<!-- run -->\n\n```python\nfrom fluidstack_client import RegionClient\n\n"
        "with RegionClient() as east:\n"
        "    new = east.instances.create(name='x', type='h100-80gb-sxm')\n"
        "    assert east.instances.get(new.id).state == 'creating'  # the default: 1 s\n```\n",
        encoding="utf-8",
    )
    _run_page(str(page), tmp_path)


@pytest.mark.slow
def test_pytest_examples_pass(pytest_block: Block, tmp_path: Path) -> None:
    # A project of its own, as a user's would be: no conftest, an empty pytest config
    # (not this repository's asyncio_mode=auto), only the plugins installed packages bring.
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    test_file = tmp_path / "test_doc_example.py"
    test_file.write_text(pytest_block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{pytest_block.where}:\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout


def _directives() -> set[str]:
    found: set[str] = set()
    for page in (DOCS / "reference").rglob("*.md"):
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("::: "):
                found.add(line.removeprefix("::: ").strip())
    return found


def _resource_classes(client: object) -> set[str]:
    """`module.Class` of each resource a client has (`client.instances`, ...), and of
    the resources under those (`region.kubernetes.clusters`)."""
    found = set()
    for name in dir(client):
        if not name.startswith("_"):
            value = getattr(client, name)
            cls = type(value)
            # (`with_raw_response`: the resource's own methods again, documented once
            # on the Resources page, not class by class)
            if cls.__module__.endswith("_resources") and name != "with_raw_response":
                found.add(f"{cls.__module__}.{cls.__qualname__}")
                found |= _resource_classes(value)
    return found


@pytest.mark.async_only  # both clients' resources, in one test: not derived
async def test_reference_covers_public_api() -> None:
    import fluidstack_client
    import fluidstack_client.errors
    import fluidstack_client.region
    from fluidstack_client import AsyncRegionClient, RegionClient
    from fluidstack_client.testing import FakeAPI

    rendered = _directives()
    assert "fluidstack_client.errors" in rendered
    assert "fluidstack_client.testing" in rendered  # its __all__, through `filters: public`
    assert "fluidstack_client.testing.pytest_plugin" in rendered
    missing = [
        f"fluidstack_client.{name}"
        for name in fluidstack_client.__all__
        if not name.startswith("_")
        and f"fluidstack_client.{name}" not in rendered
        # The errors are rendered with their module (and re-exported unchanged).
        and name not in fluidstack_client.errors.__all__
    ]
    missing += [
        f"fluidstack_client.region.{name}"
        for name in fluidstack_client.region.__all__
        if name not in fluidstack_client.__all__
        and f"fluidstack_client.region.{name}" not in rendered
    ]
    fake = FakeAPI()
    with fake.client() as sync_client:
        resources = _resource_classes(sync_client)
    async with fake.async_client() as async_client:
        resources |= _resource_classes(async_client)
    assert len(resources) >= 14  # 7 resources, sync and async
    with RegionClient("http://127.0.0.1:9", token="t") as region:
        regional = _resource_classes(region)
    async with AsyncRegionClient("http://127.0.0.1:9", token="t") as async_region:
        regional |= _resource_classes(async_region)
    assert len(regional) >= 24  # 12 resources, sync and async
    resources |= regional
    missing += sorted(resources - rendered)
    assert not missing, f"not in docs/reference/: {missing}"


# -- scripts/check_docstrings.py ---------------------------------------------------------

_SAMPLE_PACKAGE = {
    "__init__.py": '''
        """A sample SDK."""
        from typing import TYPE_CHECKING
        from .errors import SampleError
        if TYPE_CHECKING:
            from ._client import Client
        __all__ = ["Client", "SampleError", "helper"]

        def helper(x: int, y: int) -> int:
            """Add.

            Args:
                x: One.
            """
            return x + y
    ''',
    "errors.py": '''
        """Errors."""
        __all__ = ["SampleError"]

        class SampleError(Exception):
            """Base.

            Attributes:
                code: The status.
            """

            def __init__(self, code: int) -> None:
                """Build one.

                Args:
                    code: The status.
                """
                self.code = code
                self.detail = "x"
    ''',
    "_client.py": '''
        from functools import cached_property
        from ._resources import Things

        class Client:
            """The client.

            Args:
                token: The token.
            """

            def __init__(self, token: str, timeout: float = 1.0) -> None:
                self._token = token

            @cached_property
            def things(self) -> Things:
                return Things()

            def close(self) -> None:
                """Close it."""

            def _private(self) -> None:
                pass
    ''',
    "_resources.py": '''
        class Things:
            def list(self, *, limit: int) -> list[str]:
                """List.

                Args:
                    limit: At most this many.
                    offset: Not a parameter.
                """
                return []
    ''',
    "testing.py": '''
        """Testing helpers."""
        __all__ = []
    ''',
}


def test_check_docstrings_reports_every_undocumented_public_name(tmp_path: Path) -> None:
    import textwrap

    package = tmp_path / "sample_sdk"
    package.mkdir()
    for name, text in _SAMPLE_PACKAGE.items():
        (package / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    problems = check_docstrings.check(
        tmp_path, "sample_sdk", ("", "errors", "testing"), {"warn_unknown_params": True}
    )
    found = {(p.file, p.name, p.what) for p in problems}
    assert found == {
        ("sample_sdk/__init__.py", "sample_sdk.helper", "parameter 'y' not listed under Args:"),
        (
            "sample_sdk/errors.py",
            "sample_sdk.SampleError.detail",
            "attribute has no docstring (nor listed under the class's Attributes:)",
        ),
        (
            "sample_sdk/_client.py",
            "sample_sdk.Client",
            "parameter 'timeout' not listed under Args:",
        ),
        (
            "sample_sdk/_client.py",
            "sample_sdk.Client.things",
            "property has no docstring (nor listed under the class's Attributes:)",
        ),
        # Reached through the property's annotation, though not exported:
        (
            "sample_sdk/_resources.py",
            "sample_sdk._resources.Things",
            "class has no docstring (reached from sample_sdk.Client.things)",
        ),
        (
            "sample_sdk/_resources.py",
            "sample_sdk._resources.Things.list",
            "docstring: Parameter 'offset' does not appear in the function signature",
        ),
        (
            "sample_sdk/_resources.py",
            "sample_sdk._resources.Things.list",
            "docstring: No type or annotation for parameter 'offset'",
        ),
    }


def test_check_docstrings_reads_the_sites_parser_options() -> None:
    options = check_docstrings.docstring_options()
    assert options["warn_unknown_params"] is True
    assert options["returns_multiple_items"] is False


# -- the runner: `python tests/tooling/test_docs.py`, the page's blocks as JSON on stdin --


@contextlib.contextmanager
def _fake_environment(unset: set[str], seconds_per_request: float | None) -> Iterator[None]:
    from fluidstack_client.testing import FakeAPI, serve

    fake = (
        FakeAPI(token=DOCS_TOKEN)
        if seconds_per_request is None
        else FakeAPI(token=DOCS_TOKEN, seconds_per_request=seconds_per_request)
    )
    with serve(fake) as server:
        values = {
            "FLUIDSTACK_TOKEN": DOCS_TOKEN,
            "FLUIDSTACK_BASE_URL": server.base_url,
            "FLUIDSTACK_CLIENT_ID": fake.client_id,
            "FLUIDSTACK_CLIENT_SECRET": fake.client_secret,
            "FLUIDSTACK_TOKEN_URL": fake.token_url,
            # A regional tool's settings: the project its calls act in, and a region's
            # URL for an `AsyncRegionClient()` built without `fs.region()`.
            "FLUIDSTACK_PROJECT_ID": fake.projects[0]["id"],
            "FLUIDSTACK_REGION_URL": fake.region_url(fake.region_names[0]),
        }
        for name, value in values.items():
            if name in unset:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            yield
        finally:
            for name in values:
                os.environ.pop(name, None)


def _run_one(block: Block, namespace: dict[str, Any]) -> bool:
    """Run one block in `namespace`; report a failure on stderr."""
    # Padded so that a traceback's line numbers are the page's own.
    padded = "\n" * (block.line - 1) + block.code
    try:
        if block.language == "pycon":
            test = doctest.DocTestParser().get_doctest(
                padded, namespace, block.where, block.page, 0
            )
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            output: list[str] = []
            runner.run(test, out=output.append)
            namespace.update(test.globs)
            if runner.failures:
                print(f"--- {block.where}: doctest failed\n{''.join(output)}", file=sys.stderr)
                return False
            return True
        exec(compile(padded, block.page, "exec"), namespace)
    except BaseException:
        print(f"--- {block.where}: the example failed", file=sys.stderr)
        traceback.print_exc()
        return False
    return True


def _write_fluidctl_token() -> None:
    """What `fluidctl login` leaves behind, holding the token the fake accepts."""
    token_file = Path.home() / ".fluidstack" / "token"
    token_file.parent.mkdir(mode=0o700, exist_ok=True)
    token_file.write_text(DOCS_TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)


def _main() -> int:
    page_blocks = [Block(**b) for b in json.load(sys.stdin)]
    _write_fluidctl_token()
    failed = 0
    namespace: dict[str, Any] = {}
    environment: contextlib.ExitStack | None = None
    last_ok = True
    try:
        for block in page_blocks:
            options = block.option_set
            if "continue" in options:
                if not last_ok:
                    print(f"--- {block.where}: skipped (the block it continues failed)")
                    continue
            else:
                if environment is not None:
                    environment.close()
                environment = contextlib.ExitStack()
                unset = {
                    name
                    for option in options
                    if option.startswith("unset=")
                    for name in option.removeprefix("unset=").split(",")
                }
                clock = [
                    float(option.removeprefix("seconds_per_request="))
                    for option in options
                    if option.startswith("seconds_per_request=")
                ]
                environment.enter_context(_fake_environment(unset, clock[-1] if clock else None))
                namespace = {"__name__": "__main__"}
            with tempfile.TemporaryDirectory() as scratch:
                os.environ.setdefault("TMPDIR", scratch)
                last_ok = _run_one(block, namespace)
            failed += not last_ok
    finally:
        if environment is not None:
            environment.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
