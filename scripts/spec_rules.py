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
- a property named like a local the model's code binds for another property
  (`<array>_item`, `<item>_data`, `_<name>`, `<union>_type_N`, `_parse_<union>`, the
  model's module name), or a parameter named like one `_get_kwargs` binds for a
  query parameter (`json_<name>`, `<name>_item`): one would overwrite the other;
- a name the wrapper (`fluidstack_client/*.py`) imports from the generated package
  that the spec no longer generates;
- a call of a generated operation by the wrapper (`<op>.asyncio_detailed` handed to
  `_call`, through helpers like `_in_project`; read with `ast`) that the new
  operation no longer fits: a keyword that is not a parameter, a required parameter
  not passed, a success response that does not parse to the type the wrapper
  method returns (or has no body where one is needed). A call form the rule cannot
  follow is reported, not skipped.

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
        "all_known",
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
    if not found:
        found += _call_problems(data, document, root, api)
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
        props = [*(model.required_properties or []), *(model.optional_properties or [])]
        for prop in props:
            if str(prop.python_name) in reserved:
                yield (
                    f"schema {model.class_info.name} property {_raw(prop.name)!r} becomes "
                    f"attribute {prop.python_name}, a name every generated model already "
                    "has or uses"
                )
        yield from _local_problems(model, props)


def _local_problems(model: Any, props: list[Any]) -> Iterator[str]:
    """A property named like a local the templates bind for another property of the
    same model (`<array>_item`, `_<name>`, `<union>_type_0`, `_parse_<union>`, ...):
    from_dict or to_dict would overwrite one with the other before it is read."""
    owners: list[tuple[str, set[str]]] = [(_raw(p.name), _locals(p)) for p in props]
    extra = model.additional_properties
    if extra is not None and not isinstance(extra, bool):  # a typed additional property
        owners.append(("(additional properties)", _locals(extra)))
    # from_dict binds the model it builds to the module's name, then (with additional
    # properties) counts the optional fields read: `+ (<optional> is not UNSET)`
    built = ("(the model from_dict builds)", {str(model.class_info.module_name)})
    for prop in props:
        name = str(prop.python_name)
        counted = extra is not None and extra is not False and not prop.required
        for owner, local in [*owners, *([built] if counted else [])]:
            if owner != _raw(prop.name) and name in local:
                yield (
                    f"schema {model.class_info.name} property {_raw(prop.name)!r} becomes "
                    f"attribute {name}, a local the generated model code binds for "
                    + (f"property {owner!r}" if not owner.startswith("(") else owner[1:-1])
                    + ": one would overwrite the other"
                )
                break


def _locals(prop: Any) -> set[str]:
    """The names the templates bind for `prop` beside its own: `_<name>` (the raw
    value), `_parse_<name>` (a union's parser), and for each inner property (a list's
    `<name>_item`, a union's `<name>_type_N`) its name, `<inner>_data` (the loop
    variable), `<inner>_element` (multipart) and its own locals. A superset of what
    one property's code binds: refusing a name it does not use costs a rename."""
    name = str(prop.python_name)
    found = {f"_{name}", f"_parse_{name}"}
    inner = getattr(prop, "inner_property", None)
    inners = [
        *([inner] if inner is not None else []),
        *(getattr(prop, "inner_properties", None) or []),
    ]
    for item in inners:
        item_name = str(item.python_name)
        found |= {item_name, f"{item_name}_data", f"{item_name}_element", *_locals(item)}
    return found


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
    for _, endpoint in _endpoints(data):
        yield from _parameter_local_problems(endpoint)
    pairs = ((str(e.name), _where(e)) for _, e in _endpoints(data))
    for first, second, key in _clashes(pairs):
        yield f"operations {first} and {second} both become function {key}"


def _parameter_local_problems(endpoint: Any) -> Iterator[str]:
    """A parameter named like a local `_get_kwargs` binds for a query parameter
    (`json_<name>`, the transformed value, and a list's `<name>_item`, ...): the
    request would carry one's value for the other."""
    params = [param for _, param in endpoint.iter_all_parameters()]
    owners = [
        (_raw(q.name), {f"json_{q.python_name}", *_locals(q)}) for q in endpoint.query_parameters
    ]
    for param in params:
        name = str(param.python_name)
        for owner, local in owners:
            if owner != _raw(param.name) and name in local:
                yield (
                    f"operation {_where(endpoint)} parameter {_raw(param.name)!r} becomes "
                    f"argument {name}, a local the generated endpoint binds for query "
                    f"parameter {owner!r}: one would overwrite the other"
                )
                break


def operations_of(document: dict[str, Any], root: Path) -> dict[str, tuple[str, str]]:
    """Each operation's function name -> (METHOD, path template), as the generated
    OPERATIONS tables list them ({} for a spec the generator refuses)."""
    data = parse(document, generator_config(root))
    if isinstance(data, str):
        return {}
    return {str(e.name): (e.method.upper(), _raw(e.path)) for _, e in _endpoints(data)}


# -- what the wrapper imports from the generated package ---------------------------------


@dataclass(frozen=True)
class _Module:
    """A hand-written module of the wrapper: its path, tree, and its imports as
    (line, absolute module, name, local name)."""

    relative: Path
    tree: ast.Module
    imports: tuple[tuple[int, str, str, str], ...]


@cache
def _wrapper_modules(root: Path) -> tuple[_Module, ...]:
    found = []
    package_dir = root / PACKAGE
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(root)
        if GENERATED in relative.parents:
            continue
        package = list(relative.with_suffix("").parts)[:-1]
        tree = ast.parse(path.read_text())
        imports = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            for alias in node.names:
                imports.append((node.lineno, module, alias.name, alias.asname or alias.name))
        found.append(_Module(relative, tree, tuple(imports)))
    return tuple(found)


def _wrapper_imports(root: Path, api: str) -> Iterator[tuple[str, str, str]]:
    """(where, module under _generated.<api>, name) for each import the hand-written
    modules make from that API's generated package."""
    prefix = f"{PACKAGE}._generated.{api}"
    for module in _wrapper_modules(root):
        for line, name_of, name, _ in module.imports:
            if name_of == prefix or name_of.startswith(prefix + "."):
                yield f"{module.relative}:{line}", name_of[len(prefix) + 1 :], name


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


# -- how the wrapper calls the generated operations --------------------------------------

# The generated functions the wrapper hands to its send path (`_call`), which runs
# their module's `_get_kwargs(*args, **kwargs)` and `_parse_response`.
DETAILED = frozenset({"asyncio_detailed", "sync_detailed"})
DISCARDED = "discarded"  # the call's result is not used
UNANNOTATED = "unannotated"  # bound to a name without an annotation


@dataclass(frozen=True)
class Call:
    """One call of a generated operation by the wrapper, as `_get_kwargs` receives it
    once the wrapper's helpers (`_in_project`, `_action`, ...) have added theirs."""

    where: str  # file:line
    method: str  # the wrapper's Class.method making it
    api: str
    function: str  # the generated function (module) name
    positional: int = 0
    keywords: tuple[str, ...] = ()
    expects_body: bool = True
    # The type the wrapper gives the result, as its union's members, or DISCARDED or
    # UNANNOTATED; None with `unread` when the call could not be read.
    returns: frozenset[str] | str | None = None
    unread: str = ""  # why the call's form is not one this rule reads ("" if read)


class _Unread(Exception):
    """A call form the rule does not know: reported, never skipped."""


@cache
def wrapper_calls(root: Path) -> tuple[Call, ...]:
    """Every call of a generated operation in the hand-written modules."""
    modules = _wrapper_modules(root)
    terminal = _send_signature(modules)
    found: list[Call] = []
    for module in modules:
        found += sorted(_calls_in(module, terminal), key=lambda c: int(c.where.split(":")[-1]))
    return tuple(found)


def _send_signature(modules: Iterable[_Module]) -> dict[str, ast.expr | None]:
    """`_call`'s own keyword-only parameters and their defaults (`expect_body`): what it
    keeps; the rest of its arguments go to `_get_kwargs`."""
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == "_call":
                args = node.args
                if args.vararg and args.kwarg:
                    return dict(
                        zip((a.arg for a in args.kwonlyargs), args.kw_defaults, strict=True)
                    )
    return {}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _calls_in(module: _Module, terminal: dict[str, ast.expr | None]) -> Iterator[Call]:
    generated = f"{PACKAGE}._generated."
    endpoints: dict[str, tuple[str, str]] = {}  # local name -> (api, function)
    models: dict[str, str] = {}  # local name -> generated model class
    for _, source, name, local in module.imports:
        parts = source[len(generated) :].split(".") if source.startswith(generated) else []
        if len(parts) == 3 and parts[1] == "api":
            endpoints[local] = (parts[0], name)
        elif len(parts) >= 2 and parts[1] == "models":
            models[local] = name
    parents = _parents(module.tree)
    methods: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    methods.setdefault(item.name, []).append(item)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and node.attr in DETAILED:
            reference: ast.AST = node
        elif isinstance(node, ast.Name) and node.id in endpoints:
            if isinstance(parents.get(node), ast.Attribute):
                continue  # read as the Attribute above (or reported there)
            reference = node
        else:
            continue
        where = f"{module.relative}:{node.lineno}"
        method = _enclosing(node, parents)
        target = node.value if isinstance(node, ast.Attribute) else node
        if not (isinstance(target, ast.Name) and target.id in endpoints):
            yield Call(where, method, "", ast.unparse(node), unread="not a generated module's")
            continue
        api, function = endpoints[target.id]
        call = parents.get(reference)
        try:
            if not (
                isinstance(reference, ast.Attribute)
                and isinstance(call, ast.Call)
                and call.args[:1] == [reference]
            ):
                raise _Unread(f"{ast.unparse(reference)} is not the first argument of a call")
            positional, keywords, expects_body = _forwarded(call, methods, terminal)
            returns = _result(call, parents, models)
        except _Unread as exc:
            yield Call(where, method, api, function, unread=str(exc))
            continue
        yield Call(where, method, api, function, positional, keywords, expects_body, returns)


def _enclosing(node: ast.AST, parents: Mapping[ast.AST, ast.AST]) -> str:
    names = []
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(node.name)
    return ".".join(reversed(names)) or "<module>"


def _forwarded(
    call: ast.Call,
    methods: Mapping[str, list[ast.FunctionDef | ast.AsyncFunctionDef]],
    terminal: Mapping[str, ast.expr | None],
) -> tuple[int, tuple[str, ...], bool]:
    """(positional count, keyword names, expect_body) that `_get_kwargs` receives:
    `call` is followed through the wrapper's helpers (a method of the module that
    hands its endpoint on, binding its own arguments) to `_call`."""
    for _ in range(8):
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            raise _Unread(f"{ast.unparse(call)[:80]} passes *args or **kwargs")
        if not isinstance(call.func, ast.Attribute):
            raise _Unread(f"{ast.unparse(call.func)} is not the client's _call or a helper")
        name = call.func.attr
        keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if name == "_call":
            if not terminal:
                raise _Unread("no _call(endpoint, /, *args, ..., **kwargs) to read")
            expect = keywords.pop("expect_body", terminal.get("expect_body"))
            for own in terminal:
                keywords.pop(own, None)
            if expect is not None and not isinstance(expect, ast.Constant):
                raise _Unread(f"expect_body={ast.unparse(expect)} is not a constant")
            expects = True if expect is None else bool(expect.value)
            return len(call.args) - 1, tuple(keywords), expects
        defs = methods.get(name, [])
        if len({ast.dump(d.args) + ast.dump(ast.Module(d.body, [])) for d in defs}) != 1:
            raise _Unread(f"{name} is not one method of the module")
        call = _through(call, defs[0])
    raise _Unread("helpers call each other too deeply")


def _through(call: ast.Call, helper: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call:
    """The call `helper` makes with its endpoint, its parameters replaced by what
    `call` passes them."""
    args = helper.args
    params = [a.arg for a in [*args.posonlyargs, *args.args]][1:]  # (self)
    defaults = dict(zip(params[len(params) - len(args.defaults) :], args.defaults, strict=True)) | {
        a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
    }
    bound: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
    extra_args = list(call.args[len(params) :])
    if extra_args and args.vararg is None:
        raise _Unread(f"{helper.name} takes no more positional arguments")
    extra_keywords: list[ast.keyword] = []
    named = set(params[max(len(args.posonlyargs) - 1, 0) :]) | {a.arg for a in args.kwonlyargs}
    for keyword in call.keywords:
        if keyword.arg in named:
            bound[str(keyword.arg)] = keyword.value
        elif args.kwarg is not None:
            extra_keywords.append(keyword)
        else:
            raise _Unread(f"{helper.name} takes no keyword {keyword.arg}")
    for param in [*params, *(a.arg for a in args.kwonlyargs)]:
        if param not in bound:
            if param not in defaults:
                raise _Unread(f"{helper.name}'s {param} is not passed")
            bound[param] = defaults[param]
    endpoint = params[0] if params else ""
    inner = [
        node
        for node in ast.walk(helper)
        if isinstance(node, ast.Call)
        and node.args[:1]
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == endpoint
    ]
    if len(inner) != 1:
        raise _Unread(f"{helper.name} does not hand its endpoint on in one call")
    forward = inner[0]

    def value(node: ast.expr) -> ast.expr:
        return bound[node.id] if isinstance(node, ast.Name) and node.id in bound else node

    new_args: list[ast.expr] = [call.args[0]]
    for arg in forward.args[1:]:
        if isinstance(arg, ast.Starred):
            if not (
                isinstance(arg.value, ast.Name) and args.vararg and arg.value.id == args.vararg.arg
            ):
                raise _Unread(f"{helper.name} passes {ast.unparse(arg)}")
            new_args += extra_args
        else:
            new_args.append(value(arg))
    new_keywords: list[ast.keyword] = []
    for keyword in forward.keywords:
        if keyword.arg is None:
            if not (
                isinstance(keyword.value, ast.Name)
                and args.kwarg
                and keyword.value.id == args.kwarg.arg
            ):
                raise _Unread(f"{helper.name} passes **{ast.unparse(keyword.value)}")
            new_keywords += extra_keywords
        else:
            new_keywords.append(ast.keyword(keyword.arg, value(keyword.value)))
    return ast.Call(forward.func, new_args, new_keywords)


def _result(
    call: ast.Call, parents: Mapping[ast.AST, ast.AST], models: Mapping[str, str]
) -> frozenset[str] | str:
    """The type the wrapper gives the call's result: the enclosing function's return
    annotation (`return await _call(...)`), a variable's annotation, DISCARDED (a bare
    `await _call(...)`) or UNANNOTATED (`name = await _call(...)`)."""
    node: ast.AST = call
    if isinstance(parents.get(node), ast.Await):
        node = parents[node]
    parent = parents.get(node)
    if isinstance(parent, ast.Expr):
        return DISCARDED
    if isinstance(parent, ast.Assign) and [type(t) for t in parent.targets] == [ast.Name]:
        return UNANNOTATED
    if isinstance(parent, ast.AnnAssign) and parent.value is node:
        return _type_of(parent.annotation, models)
    if isinstance(parent, ast.Return):
        function: ast.AST = parent
        while function in parents and not isinstance(
            function, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            function = parents[function]
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and function.returns:
            return _type_of(function.returns, models)
    raise _Unread("its result is neither returned, assigned to a name nor discarded")


def _type_of(node: ast.expr, models: Mapping[str, str]) -> frozenset[str]:
    """An annotation as the members of its union, each spelled as the generator
    spells a response's type (`list[Instance]`, `None`): `builtins.`/`typing.` dropped,
    a generated model by its class name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _type_of(ast.parse(node.value, mode="eval").body, models)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _type_of(node.left, models) | _type_of(node.right, models)
    return frozenset({_spelled(node, models)})


def _spelled(node: ast.expr, models: Mapping[str, str]) -> str:
    if isinstance(node, ast.Name):
        return models.get(node.id, node.id)
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) in ("builtins", "typing"):
        return node.attr
    if isinstance(node, ast.Subscript):
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        members = ", ".join(" | ".join(sorted(_type_of(i, models))) for i in inner)
        return f"{_spelled(node.value, models)}[{members}]"
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return ast.unparse(node)


def _success_type(endpoint: Any) -> frozenset[str]:
    """What the operation's success responses (2XX, else its default) parse to."""
    responses = [r for r in endpoint.responses.patterns if _is_success(r.status_code.range)]
    if not responses and endpoint.responses.default is not None:
        responses = [endpoint.responses.default]
    return frozenset(
        "None"
        if r.source["attribute"] == "None"
        else str(r.prop.get_type_string().as_unembedded_code())
        for r in responses
    )


def _is_success(codes: tuple[int, int] | None) -> bool:
    return codes is not None and codes[0] <= 299 and codes[1] >= 200


def _operation_ids(document: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[(str(method).upper(), str(path))] = str(operation["operationId"])
    return found


def _call_problems(
    data: GeneratorData, document: Mapping[str, Any], root: Path, api: str
) -> Iterator[str]:
    """Each call the wrapper makes of this API's operations still fits the new spec:
    it passes only the operation's parameters, every required one, and the type the
    wrapper says it returns is what the success response parses to."""
    by_function = {str(e.name): e for _, e in _endpoints(data)}
    ids = _operation_ids(document)
    committed: dict[str, frozenset[str]] | None = None
    for call in wrapper_calls(root):
        if call.api not in (api, ""):
            continue
        affected = f"in {call.method}, {call.where}"
        if call.unread:
            yield (
                f"the wrapper calls {call.function} in a form the rules cannot read: "
                f"{call.unread} ({affected})"
            )
            continue
        endpoint = by_function.get(call.function)
        if endpoint is None:
            yield f"the wrapper calls {call.function}, which the spec no longer generates"
            continue
        operation_id = ids.get((endpoint.method.upper(), _raw(endpoint.path)), call.function)
        what = f"operation {operation_id} ({_where(endpoint)})"
        problem = _fit(call, endpoint)
        if problem is None:
            success = _success_type(endpoint)
            expected = call.returns
            if expected == UNANNOTATED:
                if committed is None:
                    committed = _committed_success(root, api)
                expected = committed.get(call.function, success)
            problem = _returns(call, success, expected)
        if problem:
            yield f"{what}: {problem} ({affected})"


def _fit(call: Call, endpoint: Any) -> str | None:
    """Why `_get_kwargs` would refuse the arguments the call passes (a TypeError)."""
    path = [str(p.python_name) for p in endpoint.path_parameters]
    others = {str(p.python_name) for _, p in endpoint.iter_all_parameters()} - set(path)
    if call.positional > len(path):
        return (
            f"the wrapper passes {call.positional} positional arguments; it takes "
            f"{len(path)} (its path parameters)"
        )
    passed = set(path[: call.positional])
    for keyword in call.keywords:
        if keyword in passed:
            return f"the wrapper passes parameter {keyword} twice"
        if (
            keyword not in others
            and keyword not in path
            and not (keyword == "body" and endpoint.bodies)
        ):
            return f"the wrapper passes {keyword}=, which is not a parameter of it"
        passed.add(keyword)
    for kind, param in endpoint.iter_all_parameters():
        name = str(param.python_name)
        if name not in passed and (name in path or (param.required and param.default is None)):
            return (
                f"required {getattr(kind, 'value', kind)} parameter {_raw(param.name)!r} "
                f"(argument {name}) is not passed by the wrapper"
            )
    if endpoint.bodies and "body" not in passed and all(b.prop.required for b in endpoint.bodies):
        return "its required request body (body=) is not passed by the wrapper"
    return None


def _returns(
    call: Call, success: frozenset[str], expected: frozenset[str] | str | None
) -> str | None:
    """Why what the operation parses to is not what the wrapper returns."""
    if call.expects_body and "None" in success:
        return "its success response has no body, and the wrapper needs one"
    if not isinstance(expected, frozenset):
        return None
    parsed = success - {"None"} if call.expects_body else success
    if expected != parsed:
        return (
            f"its success response parses to {' | '.join(sorted(success))}, not the "
            f"{' | '.join(sorted(expected))} the wrapper returns"
        )
    return None


def _committed_success(root: Path, api: str) -> dict[str, frozenset[str]]:
    """What each operation's success parses to in the committed spec, which the wrapper
    was written and type-checked against: the type of a result it leaves unannotated."""
    data = parse(load(root / APIS[api]), generator_config(root))
    if isinstance(data, str):
        return {}
    return {str(e.name): _success_type(e) for _, e in _endpoints(data)}


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
