"""An OTLP/HTTP trace receiver: the agents' own OpenTelemetry spans join the emulator's.

A replica's exporter posts ``ExportTraceServiceRequest`` to
``/v1/platform/otlp/v1/traces`` (its workload token), as protobuf
(``application/x-protobuf``, the exporter's default) or OTLP/JSON
(``application/json``: ids as hex, times as strings of nanoseconds). Each span is
stored with the emulator's own, under the token's agent and environment, so
``nexus ai agent traces`` draws one tree. A body that does not parse is refused
whole (400) and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

from nexus_emulator.tracing import Span

KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
LIMIT = 10_000  # spans in one request


class BadPayload(ValueError):
    pass


def _value(v: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def _hex(value: Any, size: int, what: str) -> str:
    text = str(value or "").lower()
    if len(text) != size * 2 or any(c not in "0123456789abcdef" for c in text):
        raise BadPayload(f"{what} must be {size * 2} hex digits")
    return text


def from_json(body: bytes, agent: str, env: str) -> list[Span]:
    try:
        doc = json.loads(body)
        spans = []
        for rs in doc.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    attributes = {
                        a["key"]: _value(a.get("value", {})) for a in s.get("attributes", [])
                    }
                    parent = s.get("parentSpanId") or None
                    spans.append(
                        Span(
                            _hex(s.get("traceId"), 16, "traceId"),
                            _hex(s.get("spanId"), 8, "spanId"),
                            _hex(parent, 8, "parentSpanId") if parent else None,
                            agent,
                            env,
                            str(s["name"]),
                            KINDS.get(int(s.get("kind", 1)), "internal"),
                            int(s["startTimeUnixNano"]) / 1e9,
                            int(s["endTimeUnixNano"]) / 1e9,
                            "error" if (s.get("status") or {}).get("code") == 2 else "ok",
                            {**attributes, "source": "agent"},
                        )
                    )
    except BadPayload:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadPayload(f"not an OTLP/JSON trace export: {exc}") from None
    return _bounded(spans)


def from_protobuf(body: bytes, agent: str, env: str) -> list[Span]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadPayload(f"not an OTLP protobuf trace export: {exc}") from None
    spans = []
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for s in ss.spans:
                if len(s.trace_id) != 16 or len(s.span_id) != 8:
                    raise BadPayload("a span has no valid trace or span id")
                attributes = {a.key: _proto_value(a.value) for a in s.attributes}
                spans.append(
                    Span(
                        s.trace_id.hex(),
                        s.span_id.hex(),
                        s.parent_span_id.hex() or None,
                        agent,
                        env,
                        s.name,
                        KINDS.get(s.kind, "internal"),
                        s.start_time_unix_nano / 1e9,
                        s.end_time_unix_nano / 1e9,
                        "error" if s.status.code == 2 else "ok",
                        {**attributes, "source": "agent"},
                    )
                )
    return _bounded(spans)


def _proto_value(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which == "array_value":
        return [_proto_value(x) for x in v.array_value.values]
    return (
        getattr(v, which)
        if which in ("string_value", "bool_value", "int_value", "double_value")
        else None
    )


def _bounded(spans: list[Span]) -> list[Span]:
    if len(spans) > LIMIT:
        raise BadPayload(f"more than {LIMIT} spans in one export")
    return spans
