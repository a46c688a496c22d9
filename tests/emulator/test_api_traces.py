"""Every data-plane call is a trace; the replica gets the W3C traceparent of its span."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.emulator.conftest import Emu, write_agent

HEADERS = """

class Tracing(EchoAgent):
    async def process(self, input):
        if input == "fail":
            raise ValueError("nope")
        return {k: v for k, v in self.context.headers.items() if k.lower() == "traceparent"}
"""


def test_calls_are_traced_and_context_reaches_the_replica(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "traced",
        write_agent(tmp_path / "t", extra=HEADERS),
        project={"entrypoint": "agent:Tracing"},
    )
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    out = emu.client.post(
        "/agents/traced/run", json={"input": "x"}, headers={"traceparent": caller}
    ).json()["output"]
    seen = next(iter(out.values()))
    trace = emu.client.get("/v1/traces/0af7651916cd43dd8448eb211c80319c").json()
    root, invoke = trace["spans"]
    assert root["parent_id"] == "b7ad6b7169203331"
    assert root["kind"] == "server"
    assert invoke["parent_id"] == root["span_id"]
    assert invoke["kind"] == "client"
    assert seen == f"00-0af7651916cd43dd8448eb211c80319c-{invoke['span_id']}-01"
    assert invoke["attributes"]["http_status"] == 200
    assert root["status"] == "ok"

    assert emu.client.post("/agents/traced/run", json={"input": "fail"}).status_code == 500
    task = emu.client.post("/agents/traced/tasks", json={"input": "y"}).json()["task_id"]
    for _ in range(200):
        status = emu.client.get(f"/v1/tasks/{task}").json()["status"]
        if status == "succeeded":
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the task did not succeed in 10 s: {status}")
    listed = emu.client.get("/v1/agents/traced/traces").json()
    assert [t["name"] for t in listed][:3] == ["task traced", "run traced", "run traced"]
    assert [t["status"] for t in listed][:2] == ["ok", "error"]
    assert all(t["spans"] == 2 for t in listed)
    assert emu.client.get("/v1/traces/" + "0" * 32).status_code == 404


CONTRACT = """

class Contract(EchoAgent):
    async def process(self, input):
        names = ("x-amzn-bedrock-agentcore-runtime-session-id",
                 "x-amzn-bedrock-agentcore-runtime-request-id",
                 "x-nexus-session-id", "x-nexus-request-id", "traceparent")
        seen = {k.lower(): v for k, v in self.context.headers.items()}
        return {name: seen.get(name) for name in names}
"""


def test_run_stream_and_task_send_the_same_contract_headers(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "contract",
        write_agent(tmp_path / "c", extra=CONTRACT),
        project={"entrypoint": "agent:Contract"},
    )
    body = {"input": "x", "context": {"session_id": "s-1"}}
    ran = emu.client.post("/agents/contract/run", json=body, headers={"X-Nexus-Request-Id": "r-1"})
    assert ran.json()["output"]["x-amzn-bedrock-agentcore-runtime-session-id"] == "s-1"
    assert ran.json()["output"]["x-amzn-bedrock-agentcore-runtime-request-id"] == "r-1"

    with emu.client.stream("POST", "/agents/contract/stream", json=body) as r:
        frames = [line for line in r.iter_lines() if line.startswith("data: ")]
    streamed = json.loads(frames[0][6:])
    assert streamed["x-nexus-session-id"] == "s-1"
    assert streamed["traceparent"]

    task = emu.client.post("/agents/contract/tasks", json=body).json()["task_id"]
    for _ in range(200):
        done = emu.client.get(f"/v1/tasks/{task}").json()
        if done["status"] == "succeeded":
            break
        time.sleep(0.05)
    headers = done["result"]
    assert headers["x-amzn-bedrock-agentcore-runtime-session-id"] == "s-1"
    assert headers["x-amzn-bedrock-agentcore-runtime-request-id"] == task
    assert headers["x-nexus-request-id"] == task
    assert headers["traceparent"].startswith("00-")

    bad = {"input": "x", "context": {"session_id": "a\r\nX-Evil: 1"}}
    refused = emu.client.post("/agents/contract/run", json=bad)
    assert refused.status_code == 400
    assert "line breaks" in refused.json()["error"]["message"]
