"""A deployed agent reaches the gateway: ``self.llm`` (the seed's traces snippet, as
written), and a framework's own client through ``OPENAI_BASE_URL``/``OPENAI_API_KEY``
set in its process; ``metadata.tokens_used`` and ``agent_tokens_total`` are the
gateway's counts."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from tests.emulator.conftest import Emu

SEED = """
from nexus.ai.agents import Agent
from opentelemetry import trace

class MyAgent(Agent):
    async def process(self, input: str):
        tracer = trace.get_tracer(__name__)

        with tracer.start_as_current_span("process_input"):
            # Your code
            result = await self.llm.generate(input)

        return result
"""

FRAMEWORK = """
import json, os, urllib.request
from nexus.ai.agents import Agent

class Own(Agent):
    async def process(self, input):
        if input == "where":
            return {k: os.environ.get(k, "") for k in
                    ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY")}
        body = {"model": "nexus-offline", "messages": [{"role": "user", "content": input}]}
        req = urllib.request.Request(
            os.environ["OPENAI_BASE_URL"] + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"],
                     "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["choices"][0]["message"]["content"]
"""


def project(root: Path, name: str, code: str, entry: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent.py").write_text(textwrap.dedent(code))
    (root / "nexus.toml").write_text(f'[agent]\nname = "{name}"\nentrypoint = "agent:{entry}"\n')
    return root


def deployed(emu: Emu, name: str, root: Path, entry: str, *deps: str) -> None:
    spec = {"entrypoint": f"agent:{entry}", "version": None, "dependencies": list(deps)}
    events = emu.deploy(name, root, project=spec)
    assert events[-1]["event"] == "result", events


def test_seed_traces_snippet_answers_offline(emu: Emu, tmp_path: Path) -> None:
    root = project(tmp_path / "seed", "seed", SEED, "MyAgent")
    deployed(emu, "seed", root, "MyAgent", "opentelemetry-api")
    r = emu.client.post("/agents/seed/run", json={"input": "Explain quantum physics"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["output"] == "Explain quantum physics"  # the offline model echoes
    assert doc["metadata"]["tokens_used"] == 8  # 4 in, 4 out (cl100k: Ex|plain| quantum| physics)
    text = emu.client.get("/metrics").text
    line = re.search(
        r'agent_tokens_total\{agent="seed",version="([^"]*)",env="development",'
        r'model="nexus-offline"\} (\d+)',
        text,
    )
    assert line, text
    assert line.group(2) == "8"
    summary = emu.client.get("/v1/agents/seed/metrics").json()
    assert summary["environments"]["development"]["tokens"] == 8


def test_task_result_carries_the_gateways_tokens(emu: Emu, tmp_path: Path) -> None:
    import time

    root = project(tmp_path / "queued", "queued", SEED, "MyAgent")
    deployed(emu, "queued", root, "MyAgent", "opentelemetry-api")
    r = emu.client.post("/agents/queued/tasks", json={"input": "Explain quantum physics"})
    assert r.status_code == 202, r.text
    task_id = r.json()["task_id"]
    task: dict[str, object] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and task.get("status") not in ("succeeded", "failed", "dead"):
        time.sleep(0.2)
        task = emu.client.get(f"/v1/tasks/{task_id}").json()
    assert task["status"] == "succeeded", task
    assert task["result"] == "Explain quantum physics"
    metadata = task["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["tokens_used"] == 8  # as a run's answer: the gateway's count
    assert metadata["request_id"] == task_id
    assert metadata["env"] == "development"
    assert metadata["revision"] == 1
    summary = emu.client.get("/v1/agents/queued/metrics").json()
    assert summary["environments"]["development"]["tokens"] == 8


def test_framework_client_uses_injected_variables(emu: Emu, tmp_path: Path) -> None:
    deployed(emu, "own", project(tmp_path / "own", "own", FRAMEWORK, "Own"), "Own")
    where = emu.client.post("/agents/own/run", json={"input": "where"}).json()["output"]
    assert where["OPENAI_BASE_URL"].endswith("/v1/platform/gateway/v1")
    assert where["ANTHROPIC_BASE_URL"].endswith("/v1/platform/gateway")
    assert where["OPENAI_API_KEY"].count(".") == 2  # the workload JWT
    r = emu.client.post("/agents/own/run", json={"input": "count these four words"})
    assert r.status_code == 200, r.text
    assert r.json()["output"] == "count these four words"
    # no request id header: the gateway gives it to the agent's only open call
    assert r.json()["metadata"]["tokens_used"] == 8


def test_seed_snippet_span_joins_the_request_trace(emu: Emu, tmp_path: Path) -> None:
    import secrets
    import time

    root = project(tmp_path / "traced", "traced", SEED, "MyAgent")
    deployed(emu, "traced", root, "MyAgent", "opentelemetry-sdk",
             "opentelemetry-exporter-otlp-proto-http")  # fmt: skip
    trace_id = secrets.token_hex(16)
    r = emu.client.post(
        "/agents/traced/run",
        json={"input": "Explain quantum physics"},
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["output"] == "Explain quantum physics"
    spans: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not {"process_input", "chat nexus-offline"} <= set(spans):
        time.sleep(0.3)
        found = emu.client.get(f"/v1/traces/{trace_id}")
        if found.status_code == 200:
            spans = {s["name"]: s for s in found.json()["spans"]}
    assert {"run traced", "POST /invocations", "process_input", "chat nexus-offline"} <= set(spans)
    assert spans["process_input"]["parent_id"] == spans["POST /invocations"]["span_id"]
    chat = spans["chat nexus-offline"]
    assert chat["parent_id"] == spans["process_input"]["span_id"]
    attributes = chat["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["gen_ai.request.model"] == "nexus-offline"
    assert attributes["gen_ai.usage.input_tokens"] == attributes["gen_ai.usage.output_tokens"] == 4
