"""Streaming through the emulator: SSE frames from a streaming agent, one frame otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nexus.ai import Client
from tests.emulator.conftest import Emu, write_agent

STREAMING = """

class Story(EchoAgent):
    async def process(self, input):
        for word in str(input).split():
            yield word + " "
"""


def frames(emu: Emu, path: str, body: dict[str, Any]) -> tuple[int, str, list[dict[str, Any]]]:
    with emu.client.stream("POST", path, json=body) as r:
        ctype = r.headers.get("content-type", "")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
        return r.status_code, ctype, [json.loads(line[6:]) for line in lines]


def test_streaming_agent_frames_pass_through(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "story", extra=STREAMING)
    emu.deploy("story", project, project={"entrypoint": "agent:Story"})
    status, ctype, got = frames(emu, "/agents/story/stream", {"input": "once upon a time"})
    assert status == 200
    assert ctype.startswith("text/event-stream")
    assert got == [{"text": w + " "} for w in ["once", "upon", "a", "time"]] + [{"done": True}]

    # a plain run of a streaming agent answers the whole text at once
    whole = emu.client.post("/agents/story/run", json={"input": "x y"}).json()
    assert whole["output"] == "x y "
    assert whole["metadata"]["tokens_used"] == 0

    # the SDK client, as the seed shows it
    client = Client(base_url=emu.url, token=(emu.home / "token").read_text().strip())
    text = "".join(chunk.text for chunk in client.agents.stream("story", input="a b c"))
    assert text == "a b c "


def test_single_answer_agent_streams_one_frame(emu: Emu, tmp_path: Path) -> None:
    emu.deploy("echo", write_agent(tmp_path / "echo"))
    status, _, got = frames(emu, "/v1/agents/echo/stream", {"input": "hi"})
    assert status == 200
    assert got == [{"echo": "hi", "user": None, "tag": "v1"}, {"done": True}]


def test_stream_errors(emu: Emu, tmp_path: Path) -> None:
    failing = (
        "\n\nclass Boom(EchoAgent):\n    async def process(self, input):\n"
        "        raise ValueError('no stream today')\n"
    )
    emu.deploy(
        "boom", write_agent(tmp_path / "boom", extra=failing), project={"entrypoint": "agent:Boom"}
    )
    status, _, got = frames(emu, "/agents/boom/stream", {"input": "x"})
    assert status == 200
    assert got[-1]["error"]["message"].endswith("no stream today")
    unknown = emu.client.post("/agents/bom/stream", json={"input": "x"})
    assert unknown.status_code == 404, unknown.text
    assert "did you mean 'boom'" in unknown.json()["error"]["hint"]
    bad = emu.client.post("/agents/boom/stream", json={"nope": 1})
    assert bad.status_code == 400, bad.text
    metrics = emu.client.get("/metrics").text
    assert 'agent_errors_total{agent="boom",env="development"} 1' in metrics
