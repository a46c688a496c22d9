"""Every data-plane call is a trace; the replica gets the W3C traceparent of its span."""

from __future__ import annotations

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
