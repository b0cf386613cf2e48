"""The rules a spec must meet before the client is generated from it, written once.

    python scripts/spec_rules.py                       each committed spec (scripts/apis.py)
    python scripts/spec_rules.py --api region FILE     FILE, as that API's spec

openapi-python-client accepts specs that yield a package which imports but fails, or
does not import at all: names it mangles onto one another, onto the generated
package's own names, or onto what the wrapper imports. Each rule here is checked on
the names the generator itself computes (its parser, run in process with
generator-config.yaml: `strings.ClassName`, `PythonIdentifier`, class_overrides),
so what is refused is exactly what would be generated:

- the generator's own refusals and warnings (`--fail-on-warning` makes each fatal),
  cut to one line;
- two schemas that become one class or one module; two operations that become one
  function module; two properties of a model that become one attribute;
- a class that takes a name the generated package already has (its `types` module's
  `UNSET`, `Unset`, `Response`, `File`, ..., `Client`, what its modules import);
- a property that takes a name every model has or uses in its own code (`to_dict`,
  `from_dict`, `additional_properties`, `additional_keys`, `d`, `field_dict`, ...);
- a parameter that takes a name an endpoint module uses in its own code (`body`,
  `params`, `headers`, `sync_detailed`, `quote`, ...);
- a name the wrapper (`fluidstack_client/*.py`) imports from the generated package
  that the spec no longer generates.

`rebound()` is the rule between two versions of a spec (or of the generated
OPERATIONS tables): an operation kept by name must keep its method and path, and an
operation kept by method and path must keep its name; otherwise the resource method
calling it would silently send another request. `make update-spec` refuses such a
spec unless the version and CHANGELOG admit it; `make api-check` reports it as
breaking. `make check-generated` and `make update-spec` run the rules on each spec.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apis import APIS

if TYPE_CHECKING:
    from openapi_python_client.config import Config
    from openapi_python_client.parser import GeneratorData

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fluidstack_client"
GENERATED = Path(PACKAGE) / "_generated"

# What every model has or uses in its own code (templates/model.py.jinja): a property
# of that name would shadow a method, or overwrite a local before it is read.
MODEL_OWN = frozenset(
    {
        "to_dict",
        "from_dict",
        "to_multipart",
        "additional_properties",
        "additional_keys",
        "field_dict",
        "d",
        "cls",
        "src_dict",
        "prop",
        "prop_name",
        "prop_dict",
        "files",
    }
)
# The locals of an endpoint module's functions (templates/endpoint_module.py.jinja,
# endpoint_macros.py.jinja); the module's own top-level names are added from the tree.
ENDPOINT_OWN = frozenset({"body", "params", "headers", "cookies", "_kwargs", "kwargs"})

Operations = Mapping[str, tuple[str, str]]  # function name -> (METHOD, path template)


@dataclass(frozen=True, order=True)
class Rebinding:
    """An operation whose name and method+path came apart between two versions."""

    subject: str  # the generated function's name, as api-check and the CHANGELOG spell it
    what: str


# -- the generator's own view of a spec --------------------------------------------------


def generator_config(root: Path) -> Config:
    from openapi_python_client.config import Config, ConfigFile, MetaType

    config_file = ConfigFile.load_from_path(path=root / "generator-config.yaml")
    return Config.from_sources(config_file, MetaType.NONE, root, "utf-8", True, None)


def one_line(text: str, limit: int = 300) -> str:
    """The first line that says something, cut to `limit` characters."""
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[:limit] + "..."


def generator_cause(log: str) -> str:
    """The cause in the generator's output: a traceback's exception line (rich wraps
    it over lines: they are joined), else the first error header and its detail."""
    lines = [re.sub(r"^[\s│]+|[\s│]+$", "", line) for line in log.splitlines()]
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception): ", lines[i]):
            tail = " ".join(line for line in lines[i:] if line)
            return one_line(tail)
    found = [line for line in lines if line and not line.startswith(("Generating ", "If you "))]
    headers = [line for line in found if not line.startswith(("Warning(s)", "Error(s)"))]
    return one_line(" ".join(headers[:2])) or "the generator failed without saying why"


def parse(document: dict[str, Any], config: Config) -> GeneratorData | str:
    """The generator's parse of `document`, or the one line it refuses it with."""
    from openapi_python_client.parser import GeneratorData
    from openapi_python_client.parser.errors import GeneratorError

    try:
        data = GeneratorData.from_dict(document, config=config)
    except Exception as exc:  # the parser raises on some specs (a duplicate enum key)
        return f"the generator refuses it: {type(exc).__name__}: {one_line(str(exc))}"
    if isinstance(data, GeneratorError):
        return f"the generator refuses it: {_error_text(data)}"
    errors = [*data.errors]
    for collection in data.endpoint_collections_by_tag.values():
        errors += collection.parse_errors
    if errors:
        return f"the generator warns (fatal with --fail-on-warning): {_error_text(errors[0])}"
    return data


def _error_text(error: Any) -> str:
    header = one_line(str(error.header or "")).rstrip(": .")
    detail = one_line(str(error.detail or ""))
    return f"{header}: {detail}" if detail else header


# -- the names the generated package already has ------------------------------------------


@dataclass(frozen=True)
class OwnNames:
    """Names read from the committed generated tree, so a template that starts
    importing a helper is covered without editing this file."""

    types: frozenset[str]  # the types module's (UNSET, Unset, Response, File, ...)
    package: frozenset[str]  # any top-level name of any generated module but a model
    model: frozenset[str]  # what model modules bind at top level, and the types module's
    endpoint: frozenset[str]  # what endpoint modules bind at top level, and the types'


def _top_level(path: Path) -> Iterator[str]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            yield from (alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            yield from (t.id for t in targets if isinstance(t, ast.Name))


@cache
def own_names(root: Path) -> OwnNames:
    package: set[str] = set()
    model: set[str] = set()
    endpoint: set[str] = set()
    classes: set[str] = set()
    for path in sorted((root / GENERATED).rglob("*.py")):
        names = set(_top_level(path))
        if "models" in path.parts:
            model |= names
            if path.name != "__init__.py":
                tree = ast.parse(path.read_text())
                classes |= {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        elif "api" in path.parts:
            endpoint |= names
        package |= names
    types = _types_names(root)
    package = package - classes - {"__all__"}
    model = (model - classes) | types
    return OwnNames(
        frozenset(types), frozenset(package), frozenset(model), frozenset(endpoint | types)
    )


def _types_names(root: Path) -> set[str]:
    tree = ast.parse((root / GENERATED / "management" / "types.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {str(v) for v in ast.literal_eval(node.value)}
    return set(_top_level(root / GENERATED / "management" / "types.py"))


# -- the rules on one spec ----------------------------------------------------------------


def problems(document: dict[str, Any], root: Path, api: str) -> list[str]:
    """What keeps `document`, as `api`'s spec, from generating a working package:
    one line each, the first rule that fails first; [] when it passes."""
    config = generator_config(root)
    found = list(_schema_collisions(document, config))
    if found:
        return found
    data = parse(document, config)
    if isinstance(data, str):
        return [data]
    names = own_names(root)
    found += _class_problems(data, names)
    found += _property_problems(data, names)
    found += _operation_problems(data, names)
    if not found:
        found += _wrapper_problems(data, root, api)
    return found


def _clashes(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """(first, second, key) for each element whose key a different, earlier one took."""
    seen: dict[str, str] = {}
    for key, element in pairs:
        if key in seen and seen[key] != element:
            yield seen[key], element, key
        seen.setdefault(key, element)


def _schema_collisions(document: dict[str, Any], config: Config) -> Iterator[str]:
    """Two component schemas, one class (the generator drops the second with a
    warning) or one module (it silently writes one over the other)."""
    from openapi_python_client.parser.properties.schemas import Class

    components = document.get("components") or {}
    names = [str(name) for name in (components.get("schemas") or {})]
    classes = {name: Class.from_string(string=name, config=config) for name in names}
    for first, second, key in _clashes((classes[n].name, n) for n in names):
        yield f"schemas {first!r} and {second!r} both become class {key}"
    for first, second, key in _clashes((classes[n].module_name, classes[n].name) for n in names):
        yield f"classes {first} and {second} both become module models/{key}.py"


def _classes(data: GeneratorData) -> list[tuple[str, str, str]]:
    """(class, module, the spec's name) of every model and enum, inline ones included."""
    return [
        (str(p.class_info.name), str(p.class_info.module_name), _raw(p.name).split("/")[-1])
        for p in [*data.models, *data.enums]
    ]


def _class_problems(data: GeneratorData, names: OwnNames) -> Iterator[str]:
    for class_name, _, raw in _classes(data):
        if class_name in names.package:
            owner = "its types module's" if class_name in names.types else "a name its modules use:"
            yield (
                f"schema {raw!r} becomes class {class_name}, which the generated package "
                f"already has ({owner} {class_name})"
            )
    pairs = ((module, class_name) for class_name, module, _ in _classes(data))
    for first, second, key in _clashes(pairs):
        yield f"classes {first} and {second} both become module models/{key}.py"


def _property_problems(data: GeneratorData, names: OwnNames) -> Iterator[str]:
    """(The generator itself renames two properties that would share a name.)"""
    reserved = MODEL_OWN | names.model
    for model in data.models:
        for prop in [*(model.required_properties or []), *(model.optional_properties or [])]:
            if str(prop.python_name) in reserved:
                yield (
                    f"schema {model.class_info.name} property {_raw(prop.name)!r} becomes "
                    f"attribute {prop.python_name}, a name every generated model already "
                    "has or uses"
                )


def _raw(name: Any) -> str:
    return str(name.get_untrusted_value() if hasattr(name, "get_untrusted_value") else name)


def _endpoints(data: GeneratorData) -> Iterator[tuple[str, Any]]:
    for tag, collection in data.endpoint_collections_by_tag.items():
        for endpoint in collection.endpoints:
            yield str(tag), endpoint


def _where(endpoint: Any) -> str:
    return f"{endpoint.method.upper()} {_raw(endpoint.path)}"


def _operation_problems(data: GeneratorData, names: OwnNames) -> Iterator[str]:
    reserved = ENDPOINT_OWN | names.endpoint
    for _, endpoint in _endpoints(data):
        for _, param in endpoint.iter_all_parameters():
            if str(param.python_name) in reserved:
                yield (
                    f"operation {_where(endpoint)} parameter {_raw(param.name)!r} becomes "
                    f"argument {param.python_name}, a name every generated endpoint "
                    "already uses"
                )
    pairs = ((str(e.name), _where(e)) for _, e in _endpoints(data))
    for first, second, key in _clashes(pairs):
        yield f"operations {first} and {second} both become function {key}"


def operations_of(document: dict[str, Any], root: Path) -> dict[str, tuple[str, str]]:
    """Each operation's function name -> (METHOD, path template), as the generated
    OPERATIONS tables list them ({} for a spec the generator refuses)."""
    data = parse(document, generator_config(root))
    if isinstance(data, str):
        return {}
    return {str(e.name): (e.method.upper(), _raw(e.path)) for _, e in _endpoints(data)}


# -- what the wrapper imports from the generated package ---------------------------------


def _wrapper_imports(root: Path, api: str) -> Iterator[tuple[str, str, str]]:
    """(where, module under _generated.<api>, name) for each import the hand-written
    modules make from that API's generated package."""
    prefix = f"{PACKAGE}._generated.{api}"
    package_dir = root / PACKAGE
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(root)
        if GENERATED in relative.parents:
            continue
        parts = list(relative.with_suffix("").parts)
        package = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            if module == prefix or module.startswith(prefix + "."):
                rest = module[len(prefix) + 1 :]
                for alias in node.names:
                    yield f"{relative}:{node.lineno}", rest, alias.name


def _generates(data: GeneratorData, module: str, name: str) -> bool:
    classes = {c: m for c, m, _ in _classes(data)}
    tags: dict[str, set[str]] = {}
    for tag, endpoint in _endpoints(data):
        tags.setdefault(tag, set()).add(str(endpoint.name))
    parts = module.split(".") if module else []
    if parts == ["models"]:
        return name in classes
    if parts[:1] == ["models"] and len(parts) == 2:
        return classes.get(name) == parts[1]
    if parts == ["api"]:
        return name in tags
    if parts[:1] == ["api"] and len(parts) == 2:
        return name in tags.get(parts[1], set()) or name == "OPERATIONS"
    if parts[:1] == ["api"] and len(parts) == 3:
        return parts[2] in tags.get(parts[1], set())
    return True  # types, client, errors: the templates', whatever the spec


def _wrapper_problems(data: GeneratorData, root: Path, api: str) -> Iterator[str]:
    for where, module, name in _wrapper_imports(root, api):
        if not _generates(data, module, name):
            yield (
                f"the wrapper imports {name} from _generated.{api}.{module} ({where}); "
                "the spec no longer generates it"
            )


# -- between two versions -----------------------------------------------------------------


def rebound(old: Operations, new: Operations) -> list[Rebinding]:
    """Operations whose name and method+path came apart from `old` to `new`."""
    found = set()
    new_names = {where: name for name, where in new.items()}
    for name, where in old.items():
        moved = new.get(name)
        if moved is not None and moved != where:
            found.add(Rebinding(name, f"Operation now sends {_show(moved)}, not {_show(where)}"))
        renamed = new_names.get(where)
        if renamed is not None and renamed != name:
            found.add(Rebinding(name, f"{_show(where)} is now operation {renamed}"))
    return sorted(found)


def _show(where: tuple[str, str]) -> str:
    return f"{where[0]} {where[1]}"


# -- the command line ---------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_bytes())
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return loaded


def summary(found: list[str]) -> str:
    """One line: the first problem, and how many more there are."""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return found[0] + more


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, help="a spec file (default: each API's)")
    parser.add_argument("--api", choices=sorted(APIS), help="which API's spec it is")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if args.spec is not None and args.api is None:
        parser.error("a spec file needs --api")
    checks = [(args.api, args.spec)] if args.spec else [(a, Path(s)) for a, s in APIS.items()]
    failed = False
    for api, spec in checks:
        found = problems(load(root / spec), root, api)
        if found:
            print(f"spec-rules: {spec}: {summary(found)}", file=sys.stderr)
            failed = True
    if not failed:
        print("spec-rules: " + ", ".join(str(spec) for _, spec in checks) + " pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
