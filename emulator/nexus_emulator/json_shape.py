"""A subset of JSON Schema, checked on the request bodies of routes that take another API's
shape (OpenAI's, Anthropic's, OTLP's), so each refuses exactly what the schema its OpenAPI
document publishes for it calls invalid (``api/body_rules.py`` publishes the same dict).

Keywords: ``type`` (one or a list), ``enum``, ``const``, ``required``, ``properties``,
``additionalProperties`` (false or a schema), ``items``, ``minItems``, ``maxItems``,
``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``pattern`` (searched, as JSON
Schema says; a ``description`` beside it says in the error what it wants) and ``anyOf``.
An integer is an int or a float with no fraction (JSON Schema's rule: 3.0 is one; read
it with ``int()``), not a bool; a number an int or a float. A schema using anything
else is a programming error (``ValueError``), so a keyword the document promises is
never silently left unchecked.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

Schema = dict[str, Any]
KNOWN = frozenset(
    {
        "type",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "anyOf",
        "description",
        "title",
        "default",
        "format",
    }
)


def _is(kind: str, value: Any) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "integer":  # JSON Schema's: 3.0 is one
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float)
    raise ValueError(f"unknown JSON type {kind!r}")


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def problem(schema: Schema, value: Any, where: str = "") -> tuple[str, str] | None:
    """``(path, what is wrong)`` for the first rule ``value`` breaks, else None."""
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError(f"json_shape does not check {sorted(unknown)}")
    name = where or "the body"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(k, value) for k in kinds):
            return where, f"{name} must be {' or '.join(kinds)}"
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        return where, f"{name} must be {schema['const']!r}"
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        return where, f"{name} must be one of {', '.join(map(str, schema['enum']))}"
    if "anyOf" in schema:
        found = [problem(s, value, where) for s in schema["anyOf"]]
        if all(found):
            return where, "; or ".join(f[1] for f in found if f)
    if isinstance(value, dict):
        return _object(schema, value, where)
    if isinstance(value, list):
        return _array(schema, value, where, name)
    if isinstance(value, str):
        return _string(schema, value, where, name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return where, f"{name} must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return where, f"{name} must be at most {schema['maximum']}"
    return None


def _object(schema: Schema, value: dict[str, Any], where: str) -> tuple[str, str] | None:
    for key in schema.get("required", ()):
        if key not in value:
            return _at(where, key), f"{_at(where, key)} is required"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            found = problem(properties[key], item, _at(where, key))
        elif extra is False:
            found = _at(where, key), f"{_at(where, key)} is not a field here"
        elif isinstance(extra, dict):
            found = problem(extra, item, _at(where, key))
        else:
            found = None
        if found:
            return found
    return None


def _array(schema: Schema, value: list[Any], where: str, name: str) -> tuple[str, str] | None:
    if len(value) < schema.get("minItems", 0):
        return where, f"{name} needs at least {schema['minItems']} item(s)"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return where, f"{name} takes at most {schema['maxItems']} item(s)"
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(value):
            found = problem(items, item, _at(where, i))
            if found:
                return found
    return None


def _string(schema: Schema, value: str, where: str, name: str) -> tuple[str, str] | None:
    if len(value) < schema.get("minLength", 0):
        return where, f"{name} needs at least {schema['minLength']} character(s)"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return where, f"{name} takes at most {schema['maxLength']} character(s)"
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        said = schema.get("description") or f"a match of {schema['pattern']}"
        return where, f"{name} must be {said}"
    return None
