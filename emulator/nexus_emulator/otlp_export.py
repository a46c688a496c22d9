"""Forwarding to an external OpenTelemetry collector (``NEXUS_OTLP_ENDPOINT``).

Every span the tracer stores, the emulator's own and the agents' (from the OTLP
receiver), also goes to ``<endpoint>/v1/traces`` as OTLP/JSON: one resource per
agent and environment (``service.name``, ``deployment.environment``), the scope
``nexus-emulator`` for the emulator's spans and ``nexus-agent`` for the agent's own.
A worker thread posts the batches, so neither the event loop nor the span writer
waits for the collector. Forwarding is best effort: a collector that is down or
slow loses the batches it missed (logged, at most once a minute, and counted in
``dropped``), never the emulator's own copy.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from typing import Any

from nexus_emulator.tracing import Span

log = logging.getLogger("nexus_emulator.otlp_export")
KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
QUEUE = 256  # batches waiting for the collector before new ones are dropped
MOST = 2_000  # spans in one export
TIMEOUT = 5.0  # seconds the collector has to answer an export
SAY_EVERY = 60.0  # seconds between warnings about a failing collector


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list | tuple):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": v if isinstance(v, str) else json.dumps(v, default=str)}


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in values.items() if v is not None]


def _span(s: Span) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "traceId": s.trace_id,
        "spanId": s.span_id,
        "name": s.name,
        "kind": KINDS.get(s.kind, 1),
        "startTimeUnixNano": str(int(s.start * 1e9)),
        "endTimeUnixNano": str(int(max(s.end, s.start) * 1e9)),
        "attributes": _attributes({k: v for k, v in s.attributes.items() if k != "source"}),
        "status": {"code": 2 if s.status == "error" else 1},
    }
    if s.parent_id:
        doc["parentSpanId"] = s.parent_id
    return doc


def to_json(spans: list[Span]) -> bytes:
    """Spans as an OTLP/JSON ``ExportTraceServiceRequest``."""
    grouped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for s in spans:
        scope = "nexus-agent" if s.attributes.get("source") == "agent" else "nexus-emulator"
        grouped[(s.agent, s.env or "")][scope].append(_span(s))
    resources = [
        {
            "resource": {
                "attributes": _attributes(
                    {"service.name": agent, "deployment.environment": env or None}
                )
            },
            "scopeSpans": [
                {"scope": {"name": scope}, "spans": docs} for scope, docs in scopes.items()
            ],
        }
        for (agent, env), scopes in grouped.items()
    ]
    return json.dumps({"resourceSpans": resources}, separators=(",", ":")).encode()


def parse_headers(text: str | None) -> dict[str, str]:
    """``name=value,name2=value2`` (``OTEL_EXPORTER_OTLP_HEADERS``'s form) as a dict."""
    pairs = [p.split("=", 1) for p in (text or "").split(",") if "=" in p]
    return {name.strip(): urllib.parse.unquote(value.strip()) for name, value in pairs}


class Forwarder:
    def __init__(self, endpoint: str, headers: str | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/v1/traces"
        self.headers = {**parse_headers(headers), "Content-Type": "application/json"}
        self.batches: queue.Queue[list[Span] | None] = queue.Queue(QUEUE)
        self.sent = 0  # spans the collector took
        self.dropped = 0  # spans it never got
        self._said = 0.0
        self._thread = threading.Thread(target=self._run, name="otlp-forward", daemon=True)
        self._thread.start()

    def send(self, batch: list[Span]) -> None:
        """Queue a batch for the collector (never blocks: a full queue drops it)."""
        try:
            self.batches.put_nowait(list(batch))
        except queue.Full:
            self._lost(len(batch), "the collector is behind")

    def close(self, wait: float = 2.0) -> None:
        """Send what is queued, for ``wait`` seconds at most, then stop."""
        try:
            self.batches.put(None, timeout=wait)
        except queue.Full:
            return
        self._thread.join(wait)

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            while len(batch) < MOST:  # join what else waits, up to an export's size
                try:
                    more = self.batches.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._post(batch)
                    return
                batch += more
            self._post(batch)

    def _post(self, batch: list[Span]) -> None:
        for start in range(0, len(batch), MOST):
            part = batch[start : start + MOST]
            request = urllib.request.Request(
                self.url, data=to_json(part), headers=self.headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                    answer.read()
                self.sent += len(part)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                self._lost(len(part), f"{self.url} failed: {exc}")

    def _lost(self, count: int, why: str) -> None:
        self.dropped += count
        now = time.monotonic()
        if now - self._said >= SAY_EVERY:
            self._said = now
            log.warning("forwarding spans: %s; %d spans not forwarded so far", why, self.dropped)
