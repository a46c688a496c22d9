"""Forwarding to an external collector (``NEXUS_OTLP_ENDPOINT``): the agents' own spans
(OTLP/JSON and protobuf exports to the receiver) and the emulator's (a gateway call in
the same trace) reach a real OTLP/HTTP sink on loopback as OTLP/JSON, with the headers
of ``NEXUS_OTLP_HEADERS``; a collector that is down loses nothing in the emulator."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.http_support import JsonHandler, serve
from tests.emulator.otlp_support import export_agent_spans
from tests.emulator.test_api_credentials import workload_of


class Sink:
    """An OTLP/HTTP trace receiver that keeps each export: (path, headers, body)."""

    def __init__(self) -> None:
        self.exports: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    sink.exports.append((self.path, dict(self.headers), body))
                self.answer(200, {"partialSuccess": {}})

        self.server, self.url = serve(Handler)

    def spans(self, trace_id: str) -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
        """The trace's spans forwarded so far, by name: (span, resource, scope name)."""
        found = {}
        with self.lock:
            exports = list(self.exports)
        for _, _, body in exports:
            for rs in body["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        if span["traceId"] == trace_id:
                            found[span["name"]] = (span, rs["resource"], ss["scope"]["name"])
        return found

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


def attributes(doc: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in doc.get("attributes", [])}


def agent_client(emu: Emu) -> httpx.Client:
    """A client of the platform endpoint with a workload token of the agent ``spans``."""
    headers = {"Authorization": f"Bearer {workload_of(emu, 'spans')}"}
    return httpx.Client(base_url=emu.url, headers=headers, timeout=30)


@pytest.mark.parametrize("prefix", ["NEXUS_OTLP", "OTEL_EXPORTER_OTLP"])
def test_spans_reach_the_collector(sink: Sink, tmp_path: Path, free_port: int, prefix: str) -> None:
    """Configured with Nexus's variables, or with OpenTelemetry's standard ones."""
    env = {f"{prefix}_ENDPOINT": sink.url, f"{prefix}_HEADERS": "authorization=Bearer sink-key"}
    with running_emulator(tmp_path, free_port, "process", env) as emu:
        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        with agent_client(emu) as client:
            export_agent_spans(client, trace_id, parent)
            chat = client.post(  # the gateway's span for a model call within the trace
                "/v1/platform/gateway/v1/chat/completions",
                json={"messages": [{"role": "user", "content": "hello"}]},
                headers={"traceparent": f"00-{trace_id}-{parent}-01"},
            )
        assert chat.status_code == 200, chat.text
        wanted = {"process_input", "tool call", "chat nexus-offline"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not wanted <= set(sink.spans(trace_id)):
            time.sleep(0.2)
        found = sink.spans(trace_id)
        assert wanted <= set(found), found
        stored = {s["name"] for s in emu.client.get(f"/v1/traces/{trace_id}").json()["spans"]}
        assert wanted <= stored  # forwarded and kept

    process, resource, scope = found["process_input"]
    assert scope == "nexus-agent"
    assert attributes(resource) == {
        "service.name": "spans",
        "deployment.environment": "development",
    }
    assert process["spanId"] == parent
    assert attributes(process) == {"answer": "42"}
    assert process["kind"] == 1
    took = int(process["endTimeUnixNano"]) - int(process["startTimeUnixNano"])
    assert abs(took - 5_000_000) < 1_000  # kept as float seconds: to the microsecond
    tool, _, _ = found["tool call"]
    assert tool["parentSpanId"] == parent
    assert tool["status"] == {"code": 2}
    assert tool["kind"] == 3
    gateway, _, scope = found["chat nexus-offline"]
    assert scope == "nexus-emulator"
    assert gateway["parentSpanId"] == parent
    assert attributes(gateway)["gen_ai.request.model"] == "nexus-offline"
    assert attributes(gateway)["gen_ai.usage.input_tokens"] == "1"  # intValue: a string
    paths = {path for path, _, _ in sink.exports}
    assert paths == {"/v1/traces"}
    for _, headers, _ in sink.exports:
        lower = {k.lower(): v for k, v in headers.items()}
        assert lower["authorization"] == "Bearer sink-key"
        assert lower["content-type"] == "application/json"


def test_a_collector_that_is_down_loses_nothing_here(tmp_path: Path, free_port: int) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {"NEXUS_OTLP_ENDPOINT": f"http://127.0.0.1:{closed}"}
    with running_emulator(tmp_path, free_port, "process", env) as emu:
        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        with agent_client(emu) as client:
            export_agent_spans(client, trace_id, parent)
        names: set[str] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and names != {"process_input", "tool call"}:
            time.sleep(0.2)
            r = emu.client.get(f"/v1/traces/{trace_id}")
            if r.status_code == 200:
                names = {s["name"] for s in r.json()["spans"]}
        assert names == {"process_input", "tool call"}
        assert emu.client.get("/v1/health/ready").status_code == 200
        log = (emu.home / "test-emulator.log").read_text()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "forwarding spans:" not in log:
            time.sleep(0.2)
            log = (emu.home / "test-emulator.log").read_text()
        assert f"http://127.0.0.1:{closed}/v1/traces failed" in log
