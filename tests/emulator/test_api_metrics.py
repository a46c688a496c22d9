"""The metrics of the product doc, counted from real calls."""

from __future__ import annotations

import re
from pathlib import Path

from tests.emulator.conftest import Emu, write_agent

FLAKY = """

class Flaky(EchoAgent):
    async def process(self, input):
        if input == "fail":
            raise ValueError("nope")
        return input
"""


def test_calls_are_counted(emu: Emu, tmp_path: Path) -> None:
    emu.deploy(
        "flaky", write_agent(tmp_path / "f", extra=FLAKY), project={"entrypoint": "agent:Flaky"}
    )
    summary = emu.client.get("/v1/agents/flaky/metrics").json()
    assert summary["environments"]["development"]["requests"] == 0
    for text in ("a", "b", "c", "fail"):
        emu.client.post("/agents/flaky/run", json={"input": text})
    with emu.client.stream("POST", "/agents/flaky/stream", json={"input": "d"}) as r:
        r.read()
    dev = emu.client.get("/v1/agents/flaky/metrics").json()["environments"]["development"]
    assert dev["requests"] == 5
    assert dev["errors"] == 1
    assert dev["error_rate"] == 0.2
    assert 0 < dev["latency_p50_ms"] <= dev["latency_p95_ms"]
    assert dev["tokens"] == 0
    assert dev["queue_size"] == 0

    text = emu.client.get("/metrics").text  # open, like any Prometheus endpoint
    labels = 'agent="flaky",env="development"'
    assert f'agent_requests_total{{{labels},outcome="ok"}} 4' in text
    assert f"agent_errors_total{{{labels}}} 1" in text
    count = re.search(rf"agent_latency_seconds_count{{{labels}}} (\d+)", text)
    inf = re.search(rf'agent_latency_seconds_bucket{{{labels},le="\+Inf"}} (\d+)', text)
    assert count
    assert inf
    assert count.group(1) == inf.group(1) == "4"
    assert 'agent_tokens_total{agent="flaky",' not in text  # no model spent a token
    assert f"agent_queue_size{{{labels}}} 0" in text
    assert emu.client.get("/v1/agents/flaki/metrics").status_code == 404
