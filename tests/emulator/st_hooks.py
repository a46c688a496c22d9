"""Schemathesis hooks for the API-document test (loaded through SCHEMATHESIS_HOOKS).

``POST /v1/sources`` takes a project as ``application/gzip``: a generated body is
packed as one file of a gzip-compressed tar archive, the shape the route takes.

``POST /v1/platform/otlp/v1/traces`` takes ``application/x-protobuf``, whose schema in
the document is the message's OTLP/JSON form: a generated body is encoded as that
protobuf message. A body that cannot be (a negative case: a name that is no string, an
id that is no hex) is sent as bytes that are no protobuf message, which the route must
refuse as it refuses the JSON.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

import schemathesis

NOT_PROTOBUF = b"\x0a\xff\xff\xff\xff\x0f"  # a field longer than the body
# an AnyValue's fields in OTLP/JSON and in protobuf
FIELDS = {
    "stringValue": "string_value",
    "boolValue": "bool_value",
    "intValue": "int_value",
    "doubleValue": "double_value",
}


@schemathesis.serializer("application/gzip")
def tar_gz(_ctx: Any, value: Any) -> bytes:
    data = value if isinstance(value, bytes) else str(value).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("agent.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@schemathesis.serializer("application/x-protobuf")
def otlp_protobuf(_ctx: Any, value: Any) -> bytes:
    try:
        encoded: bytes = _export(value).SerializeToString()
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        return NOT_PROTOBUF
    return encoded


def _int(value: Any, low: int, high: int) -> int:
    if type(value) is str and value.lstrip("-").isdigit():
        value = int(value)
    if type(value) is float and value.is_integer():  # JSON Schema's integer: 3.0 is one
        value = int(value)
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"not an integer in {low}..{high}: {value!r}")
    return value


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"not a string: {value!r}")
    return value


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise TypeError(f"not a list: {value!r}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"not an object: {value!r}")
    return value


def _export(value: Any) -> Any:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    for rs in _list(_dict(value).get("resourceSpans", [])):
        resource = request.resource_spans.add()
        _dict(_dict(rs).get("resource", {}))
        for ss in _list(rs.get("scopeSpans", [])):
            scope = resource.scope_spans.add()
            _dict(_dict(ss).get("scope", {}))
            for s in _list(ss.get("spans", [])):
                _span(scope.spans.add(), _dict(s))
    return request


def _hex(value: Any) -> bytes:
    text = _text(value)
    if any(c not in "0123456789abcdefABCDEF" for c in text):  # fromhex skips spaces
        raise ValueError(f"not hex: {text!r}")
    return bytes.fromhex(text)


def _span(span: Any, s: dict[str, Any]) -> None:
    span.trace_id = _hex(s["traceId"])
    span.span_id = _hex(s["spanId"])
    span.parent_span_id = _hex(s.get("parentSpanId", ""))
    span.name = _text(s.get("name", ""))
    span.kind = _int(s.get("kind", 0), 0, 5)
    span.start_time_unix_nano = _int(s.get("startTimeUnixNano", 0), 0, 2**64 - 1)
    span.end_time_unix_nano = _int(s.get("endTimeUnixNano", 0), 0, 2**64 - 1)
    span.status.code = _int(_dict(s.get("status", {})).get("code", 0), 0, 2)
    for a in _list(s.get("attributes", [])):
        attribute = span.attributes.add()
        attribute.key = _text(_dict(a).get("key", ""))
        _value(attribute.value, _dict(a.get("value", {})), nested=True)


def _value(out: Any, v: dict[str, Any], nested: bool) -> None:
    """The first of the value's fields (the route reads that one), each checked: a
    protobuf AnyValue holds one, but the JSON form may give several."""
    scalars = {
        "stringValue": _text,
        "boolValue": _bool,
        "intValue": lambda x: _int(x, -(2**63), 2**63 - 1),
        "doubleValue": _double,
    }
    given = [(k, check(v[k])) for k, check in scalars.items() if k in v]
    array = None
    if "arrayValue" in v and nested:  # checked even when a scalar field comes first
        array = type(out)()
        array.array_value.SetInParent()
        for x in _list(_dict(v["arrayValue"]).get("values", [])):
            _value(array.array_value.values.add(), _dict(x), nested=False)
    if given:
        key, value = given[0]
        setattr(out, FIELDS[key], value)
    elif array is not None:
        out.CopyFrom(array)


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"not a boolean: {value!r}")
    return value


def _double(value: Any) -> float:
    if type(value) not in (int, float):
        raise TypeError(f"not a number: {value!r}")
    return float(value)
