"""What an agent's OpenTelemetry exporter sends: two spans of one trace, the first as an
OTLP/JSON export, the second (its child, a failed client span) as protobuf."""

from __future__ import annotations

import secrets
import time

import httpx

RECEIVER = "/v1/platform/otlp/v1/traces"


def export_agent_spans(client: httpx.Client, trace_id: str, span_id: str) -> None:
    """``process_input`` (span ``span_id``, 5 ms, ``answer`` = 42) as JSON, then its child
    ``tool call`` (1 ms, status error, kind client) as protobuf, to the receiver;
    ``client`` carries a workload token."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    now = time.time_ns()
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": trace_id, "spanId": span_id, "name": "process_input", "kind": 1,
        "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 5_000_000),
        "attributes": [{"key": "answer", "value": {"intValue": "42"}}],
    }]}]}]}  # fmt: skip
    r = client.post(RECEIVER, json=doc)
    assert r.status_code == 200, r.text
    proto = ExportTraceServiceRequest()
    span = proto.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id = bytes.fromhex(trace_id), secrets.token_bytes(8)
    span.parent_span_id = bytes.fromhex(span_id)
    span.name, span.kind = "tool call", 3
    span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1_000_000
    span.status.code = 2
    r = client.post(
        RECEIVER,
        content=proto.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert r.status_code == 200, r.text
