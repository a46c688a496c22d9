"""An OTLP/HTTP trace receiver: the agents' own OpenTelemetry spans join the emulator's.

A replica's exporter posts ``ExportTraceServiceRequest`` to
``/v1/platform/otlp/v1/traces`` (its workload token), as protobuf
(``application/x-protobuf``, the exporter's default) or OTLP/JSON
(``application/json``: ids as hex, times as strings of nanoseconds). Each span is
stored with the emulator's own, under the token's agent and environment, so
``nexus ai agent traces`` draws one tree. A body that does not parse is refused
whole (400) and nothing is stored.

``EXPORT`` is the request as JSON Schema (the fields read here; others are ignored):
an OTLP/JSON body is checked against it first (``json_shape.py``), and the OpenAPI
document publishes it for both media types.
"""

from __future__ import annotations

import json
from typing import Any

from nexus_emulator.tracing import Span

KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
LIMIT = 10_000  # spans in one request

Schema = dict[str, Any]
# a uint64 in OTLP/JSON: a string of digits (proto3's JSON mapping), or a number
NANOS: Schema = {
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]{1,19}$"},
        {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
    ]
}
SCALARS: Schema = {
    "stringValue": {"type": "string"},
    "boolValue": {"type": "boolean"},
    "intValue": {
        "anyOf": [
            {"type": "string", "pattern": r"^-?[0-9]{1,19}$"},
            {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        ]
    },
    "doubleValue": {"type": "number"},
}
ARRAY: Schema = {
    "type": "object",
    "properties": {"values": {"type": "array", "items": {"type": "object", "properties": SCALARS}}},
}
VALUE: Schema = {"type": "object", "properties": {**SCALARS, "arrayValue": ARRAY}}
ATTRIBUTE: Schema = {
    "type": "object",
    "required": ["key"],
    "properties": {"key": {"type": "string"}, "value": VALUE},
}
SPAN: Schema = {
    "type": "object",
    "required": ["traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"],
    "properties": {
        "traceId": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{32}$",
            "description": "32 hex digits",
        },
        "spanId": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{16}$",
            "description": "16 hex digits",
        },
        "parentSpanId": {
            "type": "string",
            "pattern": "^([0-9a-fA-F]{16})?$",
            "description": "16 hex digits, or empty",
        },
        "name": {"type": "string"},
        "kind": {"type": "integer", "minimum": 0, "maximum": 5},
        "startTimeUnixNano": NANOS,
        "endTimeUnixNano": NANOS,
        "attributes": {"type": "array", "items": ATTRIBUTE},
        "status": {
            "type": "object",
            "properties": {"code": {"type": "integer", "minimum": 0, "maximum": 2}},
        },
    },
}


def _export(span: Schema) -> Schema:
    """An ExportTraceServiceRequest whose spans are ``span``."""
    return {
        "type": "object",
        "properties": {
            "resourceSpans": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "resource": {"type": "object"},
                        "scopeSpans": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "scope": {"type": "object"},
                                    "spans": {"type": "array", "items": span},
                                },
                            },
                        },
                    },
                },
            }
        },
    }


EXPORT = _export(SPAN)
# protobuf has no field presence: a missing name, time or attribute key reads as empty
PROTO_EXPORT = _export(
    {
        **SPAN,
        "required": ["traceId", "spanId"],
        "properties": {
            **SPAN["properties"],
            "attributes": {"type": "array", "items": {**ATTRIBUTE, "required": []}},
        },
    }
)


class BadPayload(ValueError):
    pass


def _value(v: Any) -> Any:
    """An attribute's value (EXPORT checked its shape; what it does not cover reads as None)."""
    if not isinstance(v, dict):
        return None
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return None
    values = v["arrayValue"].get("values") if isinstance(v.get("arrayValue"), dict) else None
    return [_value(x) for x in values] if isinstance(values, list) else None


def from_json(body: bytes, agent: str, env: str) -> list[Span]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise BadPayload(f"not an OTLP/JSON trace export: {exc}") from None
    return _spans(doc, EXPORT, agent, env, "OTLP/JSON")


def from_protobuf(body: bytes, agent: str, env: str) -> list[Span]:
    """The protobuf export, read as its OTLP/JSON form and checked against PROTO_EXPORT."""
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadPayload(f"not an OTLP protobuf trace export: {exc}") from None
    doc = {
        "resourceSpans": [
            {"scopeSpans": [{"spans": [_proto_span(s) for s in ss.spans]} for ss in rs.scope_spans]}
            for rs in request.resource_spans
        ]
    }
    return _spans(doc, PROTO_EXPORT, agent, env, "OTLP protobuf")


def _proto_span(s: Any) -> dict[str, Any]:
    return {
        "traceId": s.trace_id.hex(),
        "spanId": s.span_id.hex(),
        "parentSpanId": s.parent_span_id.hex(),
        "name": s.name,
        "kind": s.kind,
        "startTimeUnixNano": s.start_time_unix_nano,
        "endTimeUnixNano": s.end_time_unix_nano,
        "attributes": [{"key": a.key, "value": _proto_value(a.value)} for a in s.attributes],
        "status": {"code": s.status.code},
    }


def _proto_value(v: Any) -> dict[str, Any]:
    which = v.WhichOneof("value")
    if which == "array_value":
        return {"arrayValue": {"values": [_proto_value(x) for x in v.array_value.values]}}
    names = {
        "string_value": "stringValue",
        "bool_value": "boolValue",
        "int_value": "intValue",
        "double_value": "doubleValue",
    }
    return {names[which]: getattr(v, which)} if which in names else {}


def _spans(doc: Any, shape: Schema, agent: str, env: str, what: str) -> list[Span]:
    from nexus_emulator import json_shape

    broken = json_shape.problem(shape, doc)
    if broken is not None:
        raise BadPayload(f"not an {what} trace export: {broken[1]}")
    spans = []
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                attributes = {a["key"]: _value(a.get("value")) for a in s.get("attributes", [])}
                parent = s.get("parentSpanId") or None
                spans.append(
                    Span(
                        s["traceId"].lower(),
                        s["spanId"].lower(),
                        parent.lower() if parent else None,
                        agent,
                        env,
                        s.get("name", ""),
                        KINDS.get(s.get("kind", 1), "internal"),
                        int(s.get("startTimeUnixNano", 0)) / 1e9,
                        int(s.get("endTimeUnixNano", 0)) / 1e9,
                        "error" if (s.get("status") or {}).get("code") == 2 else "ok",
                        {**attributes, "source": "agent"},
                    )
                )
    return _bounded(spans)


def _bounded(spans: list[Span]) -> list[Span]:
    if len(spans) > LIMIT:
        raise BadPayload(f"more than {LIMIT} spans in one export")
    return spans
