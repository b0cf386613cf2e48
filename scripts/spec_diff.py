"""What changed between two OpenAPI specs: operations, models, fields, enum values.

    python scripts/spec_diff.py OLD.yaml NEW.yaml [--markdown]

Prints one line per change, grouped as operations, models and fields. Whether a
change breaks users is decided by `scripts/api_check.py` (on the generated Python),
not here; this is the reader's summary of the spec itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


GROUPS = ("operation", "model", "field", "enum value")


@dataclass(frozen=True)
class Change:
    group: str  # one of GROUPS
    action: str  # "added", "removed" or "changed"
    name: str
    detail: str = ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _names(value: Any) -> set[str]:
    """A schema's `required` (or an `enum`) as strings, whatever shape a bad spec gives."""
    return {str(v) for v in _list(value) if isinstance(v, str | int | float | bool)}


def operations(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path, item in _map(spec.get("paths")).items():
        shared = _parameters(_map(item))  # path-level parameters apply to every method
        for method, op in _map(item).items():
            if method in METHODS and isinstance(op, Mapping):
                name = str(op.get("operationId") or f"{method.upper()} {path}")
                params = {**shared, **_parameters(op)}
                found[name] = {**op, "route": f"{method.upper()} {path}", "params": params}
    return found


def _schema_summary(schema: Any) -> str:
    """A field's type as a reader would name it."""
    schema = _map(schema)
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    kinds = [str(k) for k in kind] if isinstance(kind, list) else [str(kind)]
    if schema.get("nullable") is True and "null" not in kinds:
        kinds.append("null")
    text = " | ".join(
        f"array of {_schema_summary(schema.get('items'))}" if k == "array" else k for k in kinds
    )
    fmt = schema.get("format")
    return f"{text} ({fmt})" if fmt else text


def _parameters(op: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        f"{p.get('in')} {p.get('name')}": p
        for p in _list(op.get("parameters"))
        if isinstance(p, Mapping) and "name" in p
    }


def _responses(op: Mapping[str, Any]) -> dict[str, str]:
    """Each documented 2xx and the summary of its JSON body ("" for none)."""
    found = {}
    for code, response in _map(op.get("responses")).items():
        if str(code).startswith("2"):
            content = _map(_map(response).get("content"))
            body = _map(content.get("application/json"))
            found[str(code)] = _schema_summary(body["schema"]) if "schema" in body else ""
    return found


def _body(op: Mapping[str, Any]) -> Mapping[str, Any]:
    """An inline JSON request body's schema (a `$ref` one is compared as a model)."""
    content = _map(_map(op.get("requestBody")).get("content"))
    schema = _map(_map(content.get("application/json")).get("schema"))
    return {} if "$ref" in schema else schema


def _keyed(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """("added"|"removed"|"both", key) for the union of two mappings, sorted."""
    for key in sorted(set(old) | set(new), key=str):
        yield ("added" if key not in old else "removed" if key not in new else "both"), key


def _operation_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    notes = []
    if old["route"] != new["route"]:
        notes.append(f"moved from {old['route']} to {new['route']}")
    old_params, new_params = old["params"], new["params"]
    for state, key in _keyed(old_params, new_params):
        required = bool(_map(new_params.get(key)).get("required"))
        if state == "added":
            notes.append(f"{'required' if required else 'optional'} parameter {key} added")
        elif state == "removed":
            notes.append(f"parameter {key} removed")
        else:
            if required != bool(_map(old_params[key]).get("required")):
                notes.append(f"parameter {key} became {'required' if required else 'optional'}")
            was = _schema_summary(_map(old_params[key]).get("schema"))
            now = _schema_summary(_map(new_params[key]).get("schema"))
            if was != now:
                notes.append(f"parameter {key} type {was} -> {now}")
    old_responses, new_responses = _responses(old), _responses(new)
    for state, code in _keyed(old_responses, new_responses):
        if state != "both":
            notes.append(f"success status {code} {state}")
        elif old_responses[code] != new_responses[code]:
            notes.append(f"response {code} {old_responses[code]} -> {new_responses[code]}")
    return notes


def _field_changes(model: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    old_props, new_props = _map(old.get("properties")), _map(new.get("properties"))
    old_req, new_req = _names(old.get("required")), _names(new.get("required"))
    for state, field in _keyed(old_props, new_props):
        name = f"{model}.{field}"
        if state == "added":
            kind = "required" if field in new_req else "optional"
            yield Change("field", "added", name, f"{kind}, {_schema_summary(new_props[field])}")
        elif state == "removed":
            yield Change("field", "removed", name)
        else:
            was, now = _schema_summary(old_props[field]), _schema_summary(new_props[field])
            if was != now:
                yield Change("field", "changed", name, f"type {was} -> {now}")
            if (field in old_req) != (field in new_req):
                now_required = "now required" if field in new_req else "no longer required"
                yield Change("field", "changed", name, now_required)
            yield from _enum_changes(name, _map(old_props[field]), _map(new_props[field]))


def _enum_changes(owner: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    was, now = _list(old.get("enum")), _list(new.get("enum"))
    for value in was:
        if value not in now:
            yield Change("enum value", "removed", f"{owner}.{value}")
    for value in now:
        if value not in was:
            yield Change("enum value", "added", f"{owner}.{value}")


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes: list[Change] = []
    old_ops, new_ops = operations(old), operations(new)
    for state, name in _keyed(old_ops, new_ops):
        if state == "both":
            notes = _operation_changes(old_ops[name], new_ops[name])
            changes += [Change("operation", "changed", name, note) for note in notes]
            old_body, new_body = _body(old_ops[name]), _body(new_ops[name])
            changes += _field_changes(f"{name} body", old_body, new_body)
        else:
            route = (new_ops if state == "added" else old_ops)[name]["route"]
            changes.append(Change("operation", state, name, route))
    old_models = _map(_map(old.get("components")).get("schemas"))
    new_models = _map(_map(new.get("components")).get("schemas"))
    for state, model in _keyed(old_models, new_models):
        if state != "both":
            changes.append(Change("model", state, model))
            continue
        changes += _field_changes(model, _map(old_models[model]), _map(new_models[model]))
        changes += _enum_changes(model, _map(old_models[model]), _map(new_models[model]))
    return sorted(changes, key=lambda c: (GROUPS.index(c.group), c.name, c.action, c.detail))


def render(changes: list[Change], *, markdown: bool) -> str:
    if markdown:
        lines = ["### Spec changes", ""]
        if not changes:
            return "\n".join([*lines, "No change to operations, models or fields."])
        lines += ["| | what | name | detail |", "| --- | --- | --- | --- |"]
        lines += [f"| {c.action} | {c.group} | `{c.name}` | {c.detail} |" for c in changes]
        return "\n".join(lines)
    if not changes:
        return "spec: no change to operations, models or fields"
    return "\n".join(
        f"spec: {c.group} {c.action}: {c.name}" + (f" ({c.detail})" if c.detail else "")
        for c in changes
    )


def load(path: Path) -> Mapping[str, Any]:
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, Mapping):
        raise ValueError(f"{path} is not an OpenAPI document (a mapping at the top)")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    try:
        changes = diff(load(args.old), load(args.new))
    except Exception as exc:  # a spec too malformed to compare: one line, no traceback
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"spec-diff: error: {message}", file=sys.stderr)
        return 2
    print(render(changes, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
