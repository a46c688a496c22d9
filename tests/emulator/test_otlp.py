"""The OTLP/HTTP receiver on a real emulator: JSON and protobuf exports are stored with
the emulator's spans under the token's agent; a payload that does not parse is refused
whole and the emulator keeps serving."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.otlp_support import export_agent_spans
from tests.emulator.test_api_credentials import workload_of

PATH = "/v1/platform/otlp/v1/traces"


@pytest.fixture
def emu_otlp(tmp_path: Path, free_port: int) -> Iterator[tuple[Emu, httpx.Client]]:
    with running_emulator(tmp_path, free_port, "process") as emu:
        headers = {"Authorization": f"Bearer {workload_of(emu, 'spans')}"}
        with httpx.Client(base_url=emu.url, headers=headers, timeout=30) as client:
            yield emu, client


def spans_of(emu: Emu, trace_id: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = emu.client.get(f"/v1/traces/{trace_id}")
        if r.status_code == 200 and r.json()["spans"]:
            return list(r.json()["spans"])
        time.sleep(0.2)
    return []


def test_json_and_protobuf_exports(emu_otlp: tuple[Emu, httpx.Client]) -> None:
    emu, client = emu_otlp
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    export_agent_spans(client, trace_id, span_id)
    stored = {str(s["name"]): s for s in spans_of(emu, trace_id)}
    deadline = time.monotonic() + 5
    while len(stored) < 2 and time.monotonic() < deadline:
        stored = {str(s["name"]): s for s in spans_of(emu, trace_id)}
    assert stored["process_input"]["attributes"] == {"answer": 42, "source": "agent"}
    assert stored["tool call"]["parent_id"] == span_id
    assert stored["tool call"]["status"] == "error"
    assert stored["tool call"]["kind"] == "client"


def test_bad_payloads_store_nothing(emu_otlp: tuple[Emu, httpx.Client]) -> None:
    emu, client = emu_otlp
    trace_id = secrets.token_hex(16)
    good = {"traceId": trace_id, "spanId": secrets.token_hex(8), "name": "ok",
            "startTimeUnixNano": "1", "endTimeUnixNano": "2"}  # fmt: skip
    half = {"resourceSpans": [{"scopeSpans": [{"spans": [good, {**good, "spanId": "12"}]}]}]}
    r = client.post(PATH, json=half)
    assert r.status_code == 400
    assert "spanId must be 16 hex digits" in r.json()["error"]["message"]
    for content, kind in (
        (b"\xff\x00 not protobuf", "application/x-protobuf"),
        (b"{not json", "application/json"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}',
         "application/json"),
        (b"hello", "text/plain"),
    ):  # fmt: skip
        r = client.post(PATH, content=content, headers={"Content-Type": kind})
        assert r.status_code == 400, (kind, r.text)
        assert r.json()["error"]["code"] == "usage"
    time.sleep(0.6)  # the span writer's interval: anything accepted would be stored by now
    assert emu.client.get(f"/v1/traces/{trace_id}").status_code == 404
    assert emu.client.post(PATH, json={}).status_code == 403  # the admin credential: no
    assert emu.client.get("/v1/health/ready").status_code == 200
