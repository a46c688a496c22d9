"""The schema checks behind the API document's exactness: ``json_shape`` (the subset of
JSON Schema the gateway and OTLP routes check their bodies with) and ``size_rules`` (the
deploy's limit patterns, which must take exactly what ``spec`` parses, minimum included)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from nexus_emulator.api import size_rules
from nexus_emulator.gateway import request_shapes
from nexus_emulator.json_shape import problem

from nexus.ai import spec


def test_types_follow_json_schema() -> None:
    count = {"type": "integer", "minimum": 1}
    assert problem(count, 3) is None
    assert problem(count, 3.0) is None  # JSON Schema's integer
    assert problem(count, 3.5) == ("", "the body must be integer")
    assert problem(count, True) == ("", "the body must be integer")  # a bool is no number
    assert problem(count, 0) == ("", "the body must be at least 1")
    assert problem({"type": "number"}, False) is not None
    assert problem({"type": ["string", "null"]}, None) is None


def test_objects_arrays_and_choices_name_the_field() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": 5}]}
    where, said = problem(request_shapes.CHAT, body) or ("", "")
    assert where == "messages[0].content"
    assert said.startswith("messages[0].content must be string")
    assert problem(request_shapes.CHAT, {"messages": []}) == (
        "messages",
        "messages needs at least 1 item(s)",
    )
    assert problem(request_shapes.MESSAGES, {"messages": [{"role": "user", "content": "hi"}]})
    fine = {"max_tokens": 5.0, "messages": [{"role": "user", "content": "hi"}], "x": [1]}
    assert problem(request_shapes.MESSAGES, fine) is None  # unknown fields pass
    closed = {"type": "object", "additionalProperties": False, "properties": {"a": {}}}
    assert problem(closed, {"b": 1}) == ("b", "b is not a field here")
    described = {"type": "string", "pattern": "^[0-9a-f]{4}$", "description": "4 hex digits"}
    assert problem(described, "xyz") == ("", "the body must be 4 hex digits")


def test_a_keyword_it_does_not_check_is_an_error() -> None:
    with pytest.raises(ValueError, match="oneOf"):
        problem({"oneOf": [{"type": "string"}]}, "x")


def _parses(parse: Callable[[str], int], text: str) -> bool:
    try:
        parse(text)
    except spec.SpecError:
        return False
    return True


NUMBERS = [
    "0", "00", "1", "9", "10", "010", "31", "32", "33", "99", "100", "32767", "32768",
    "33554", "33554431", "33554432", "0.01", "0.0099", "0.010", "0.03125", "0.0312",
    "0.033554432", "0.033554431", "33.554432", "33.554431", "32767.9", "33554.432",
    "33554.431", "0.5", "2.25", " 64", "1.", ".5", "1e3", "abc",
]  # fmt: skip


@pytest.mark.parametrize(
    ("parse", "pattern", "suffixes"),
    [
        (spec.parse_cpu, size_rules.CPU, ["", "m"]),
        (spec.parse_memory, size_rules.MEMORY, ["", "Ki", "Mi", "Gi", "k", "M", "G", "m"]),
    ],
)
def test_limit_patterns_take_what_spec_parses(
    parse: Callable[[str], int], pattern: str, suffixes: list[str]
) -> None:
    compiled = re.compile(pattern)
    for number, suffix in itertools.product(NUMBERS, suffixes):
        text = number + suffix
        assert bool(compiled.search(text)) == _parses(parse, text), text
