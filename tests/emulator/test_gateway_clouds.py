"""Routed models on Anthropic's Messages API and Amazon Bedrock's Converse API: the agent
calls in OpenAI's shape, the gateway speaks each upstream's own (real servers on
loopback; botocore signs for Bedrock with the agent's AWS key from the vault), answers
and streams come back in OpenAI's shape with the upstream's token counts, failures
become gateway errors and a fallback model answers instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.cloud_support import AnthropicServer, BedrockServer
from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.test_api_credentials import workload_of

BASE = "/v1/platform/gateway/v1"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "The weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]

Clouds = tuple[Emu, httpx.Client, AnthropicServer, BedrockServer]


@pytest.fixture
def clouds(tmp_path: Path, free_port: int) -> Iterator[Clouds]:
    anthropic, bedrock = AnthropicServer(), BedrockServer()
    with running_emulator(tmp_path, free_port, "process") as emu:
        for name, key in (("anthropic", "sk-ant-123"), ("aws", "AKIDTEST:s3cr3t")):
            emu.client.put(
                f"/v1/agents/bot/credentials/{name}", json={"kind": "api_key", "api_key": key}
            ).raise_for_status()
        claude = {"provider": "anthropic", "url": anthropic.url, "credential": "anthropic"}
        nova = {
            "provider": "bedrock",
            "url": bedrock.url,
            "region": "us-west-2",
            "credential": "aws",
        }
        for route in (
            {"name": "claude", "upstream_model": "claude-echo", **claude},
            {"name": "claude-tool", "upstream_model": "claude-tool", **claude},
            {"name": "claude-fail", "upstream_model": "claude-fail", **claude},
            {"name": "claude-limited", "upstream_model": "claude-limited", **claude},
            {
                "name": "claude-rescued",
                "upstream_model": "claude-fail",
                **claude,
                "fallback": "nexus-offline",
            },
            {"name": "nova", "upstream_model": "amazon.nova-echo", **nova},
            {"name": "nova-tool", "upstream_model": "amazon.nova-tool", **nova},
            {"name": "nova-fail", "upstream_model": "amazon.nova-fail", **nova},
            {"name": "nova-limited", "upstream_model": "amazon.nova-limited", **nova},
            {"name": "titan", "upstream_model": "amazon.titan-embed", "kind": "embedding", **nova},
            {
                "name": "nova-rescued",
                "upstream_model": "amazon.nova-fail",
                **nova,
                "fallback": "claude",
            },
        ):
            r = emu.client.post("/v1/gateway/models", json=route)
            assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {workload_of(emu, 'bot')}"}
        with httpx.Client(base_url=emu.url + BASE, headers=headers, timeout=30) as client:
            yield emu, client, anthropic, bedrock
    anthropic.close()
    bedrock.close()


CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello up there"}]


def ask(client: httpx.Client, model: str, **extra: Any) -> httpx.Response:
    return client.post("/chat/completions", json={"model": model, "messages": CHAT, **extra})


def streamed(client: httpx.Client, model: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"model": model, "messages": CHAT, "stream": True, **extra}
    with client.stream("POST", "/chat/completions", json=body) as s:
        assert s.status_code == 200, s.read()
        frames = [line[6:] for line in s.iter_lines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    return [json.loads(f) for f in frames[:-1]]


def streamed_tool_call(client: httpx.Client, model: str) -> tuple[str, str]:
    """The name and the arguments (joined from their deltas) of a streamed tool call."""
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in streamed(client, model, tools=TOOLS)
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]
    return calls[0]["function"]["name"], "".join(c["function"]["arguments"] for c in calls)


def tool_round(client: httpx.Client, model: str) -> dict[str, Any]:
    """Ask with a tool, then send the tool's result back; the first answer."""
    first = ask(client, model, tools=TOOLS, tool_choice="required")
    assert first.status_code == 200, first.text
    message = first.json()["choices"][0]["message"]
    call = message["tool_calls"][0]
    chat = [*CHAT, message, {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]
    again = client.post(
        "/chat/completions", json={"model": model, "messages": chat, "tools": TOOLS}
    )
    assert again.status_code == 200, again.text
    return dict(first.json())


def test_anthropic_upstream(clouds: Clouds) -> None:
    emu, client, anthropic, _ = clouds
    r = ask(client, "claude")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["model"] == "claude"
    assert doc["choices"][0]["message"]["content"] == "HELLO UP THERE"
    assert doc["choices"][0]["finish_reason"] == "stop"
    assert doc["usage"] == {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
    assert anthropic.auths[-1] == ("sk-ant-123", "2023-06-01")  # the vault's key
    sent = anthropic.bodies[-1]
    assert sent["model"] == "claude-echo"
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] == 4096
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hello up there"}]}
    ]

    first = tool_round(client, "claude-tool")
    call = first["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "weather", "arguments": '{"city": "Paris"}'}
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    asked, answered = anthropic.bodies[-2], anthropic.bodies[-1]
    assert asked["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}
    assert asked["tool_choice"] == {"type": "any"}
    assert answered["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_up1",
                    "name": "weather",
                    "input": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_up1", "content": "sunny"}],
        },
    ]

    chunks = streamed(client, "claude")
    words = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert [w for w in words if w] == ["HELLO", "UP", "THERE"]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["prompt_tokens"] == 11
    assert all(c["model"] == "claude" for c in chunks)
    assert streamed_tool_call(client, "claude-tool") == ("weather", '{"city": "Paris"}')

    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert {(a["provider"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit} == {
        ("anthropic", 11, 5, 200)
    }
    assert len(audit) == 5


def test_anthropic_shape_passes_through(clouds: Clouds) -> None:
    """A Claude client (``ANTHROPIC_BASE_URL``) calling a model routed to Anthropic: the
    Messages request goes on as it came, the message and its events come back as sent."""
    emu, client, anthropic, _ = clouds
    body = {
        "model": "claude",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hello up there"}],
    }
    r = client.post("/messages", json=body)
    assert r.status_code == 200, r.text
    message = r.json()
    assert message["type"] == "message"
    assert message["model"] == "claude"
    assert message["content"] == [{"type": "text", "text": "HELLO UP THERE"}]
    assert message["usage"] == {"input_tokens": 11, "output_tokens": 5}
    assert anthropic.bodies[-1] == {**body, "model": "claude-echo", "stream": False}
    assert anthropic.auths[-1] == ("sk-ant-123", "2023-06-01")
    with client.stream("POST", "/messages", json={**body, "stream": True}) as s:
        assert s.status_code == 200
        events = [json.loads(line[6:]) for line in s.iter_lines() if line.startswith("data: ")]
    assert events[0]["type"] == "message_start"
    assert events[0]["message"]["model"] == "claude"
    words = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert words == ["HELLO", "UP", "THERE"]
    assert events[-1] == {"type": "message_stop"}
    rescued = client.post("/messages", json={**body, "model": "claude-rescued"})
    assert rescued.status_code == 200, rescued.text  # the upstream's 529: the offline model
    assert rescued.json()["model"] == "nexus-offline"
    assert rescued.json()["content"][0]["text"] == "hello up there"
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [(a["model"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit] == [
        ("claude", 11, 5, 200),
        ("claude", 11, 5, 200),
        ("claude-rescued", 0, 0, 502),
        ("nexus-offline", 6, 3, 200),  # cl100k: Be| brief|. and hello| up| there
    ]


def message_events(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    with client.stream("POST", "/messages", json={**body, "stream": True}) as s:
        assert s.status_code == 200, s.read()
        lines = list(s.iter_lines())
    names = [line[7:] for line in lines if line.startswith("event: ")]
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert names == [e["type"] for e in events]
    return events


def test_claude_client_on_bedrock(clouds: Clouds) -> None:
    """A Claude client's Messages call to a model routed to Bedrock: translated to Converse
    and back, tools and streaming too, with Bedrock's token counts in usage and audit."""
    emu, client, _, bedrock = clouds
    body: dict[str, Any] = {
        "model": "nova",
        "max_tokens": 64,
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello up there"}]}],
    }
    r = client.post("/messages", json=body)
    assert r.status_code == 200, r.text
    message = r.json()
    assert message["type"] == "message"
    assert message["model"] == "nova"
    assert message["content"] == [{"type": "text", "text": "HELLO UP THERE"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"] == {"input_tokens": 11, "output_tokens": 5}
    sent = bedrock.bodies[-1]
    assert sent["system"] == [{"text": "Be brief."}]
    assert sent["inferenceConfig"] == {"maxTokens": 64}
    assert sent["messages"] == [{"role": "user", "content": [{"text": "hello up there"}]}]

    tools = [{"name": "weather", "description": "The weather", "input_schema": {"type": "object"}}]
    asked = {**body, "model": "nova-tool", "tools": tools, "tool_choice": {"type": "any"}}
    used = client.post("/messages", json=asked)
    assert used.status_code == 200, used.text
    assert used.json()["stop_reason"] == "tool_use"
    assert used.json()["content"] == [
        {"type": "tool_use", "id": "tooluse_up1", "name": "weather", "input": {"city": "Paris"}}
    ]
    assert bedrock.bodies[-1]["toolConfig"]["toolChoice"] == {"any": {}}
    result = {"type": "tool_result", "tool_use_id": "tooluse_up1", "content": "sunny"}
    chat = [*body["messages"], {"role": "assistant", "content": used.json()["content"]}]
    chat.append({"role": "user", "content": [result]})
    again = client.post(
        "/messages", json={**body, "model": "nova-tool", "tools": tools, "messages": chat}
    )
    assert again.status_code == 200, again.text
    assert bedrock.bodies[-1]["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "tooluse_up1",
                        "name": "weather",
                        "input": {"city": "Paris"},
                    }
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tooluse_up1", "content": [{"text": "sunny"}]}}
            ],
        },
    ]

    events = message_events(client, body)
    assert events[0]["type"] == "message_start"
    assert events[0]["message"]["model"] == "nova"
    assert events[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    words = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert words == ["HELLO", "UP", "THERE"]
    assert events[-3] == {"type": "content_block_stop", "index": 0}
    assert events[-2]["delta"]["stop_reason"] == "end_turn"
    assert events[-2]["usage"] == {"input_tokens": 11, "output_tokens": 5}
    assert events[-1] == {"type": "message_stop"}
    events = message_events(client, asked)
    start = next(e for e in events if e["type"] == "content_block_start")
    assert start["content_block"] == {
        "type": "tool_use",
        "id": "tooluse_up1",
        "name": "weather",
        "input": {},
    }
    parts = [e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta"]
    assert json.loads("".join(parts)) == {"city": "Paris"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"

    failed = client.post("/messages", json={**body, "model": "nova-fail"})
    assert failed.status_code == 502
    assert failed.json()["type"] == "error"
    assert failed.json()["error"]["type"] == "api_error"
    rescued = client.post("/messages", json={**body, "model": "nova-rescued"})
    assert rescued.status_code == 200, rescued.text  # Bedrock's 500: claude answers
    assert rescued.json()["model"] == "claude"
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    rows = [(a["model"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit]
    ok = [(m, 11, 5, 200) for m in ("nova", "nova-tool", "nova-tool", "nova", "nova-tool")]
    assert rows == [
        *ok,
        ("nova-fail", 0, 0, 502),
        ("nova-rescued", 0, 0, 502),
        ("claude", 11, 5, 200),
    ]


def test_bedrock_upstream(clouds: Clouds) -> None:
    emu, client, _, bedrock = clouds
    r = ask(client, "nova", max_tokens=64, temperature=0.2)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["model"] == "nova"
    assert doc["choices"][0]["message"]["content"] == "HELLO UP THERE"
    assert doc["usage"]["total_tokens"] == 16
    auth = bedrock.auths[-1]  # signed by botocore with the vault's key, for the route's region
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/us-west-2/bedrock/aws4_request" in auth
    sent = bedrock.bodies[-1]
    assert sent["system"] == [{"text": "Be brief."}]
    assert sent["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.2}
    assert sent["messages"] == [{"role": "user", "content": [{"text": "hello up there"}]}]

    first = tool_round(client, "nova-tool")
    call = first["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "weather", "arguments": '{"city": "Paris"}'}
    asked, answered = bedrock.bodies[-2], bedrock.bodies[-1]
    assert asked["toolConfig"]["toolChoice"] == {"any": {}}
    assert answered["messages"][2] == {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tooluse_up1", "content": [{"text": "sunny"}]}}],
    }

    chunks = streamed(client, "nova")
    words = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert [w for w in words if w] == ["HELLO", "UP", "THERE"]
    assert chunks[-1]["usage"] == {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
    assert streamed_tool_call(client, "nova-tool") == ("weather", '{"city": "Paris"}')

    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert {(a["provider"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit} == {
        ("bedrock", 11, 5, 200)
    }
    listed = emu.client.get("/v1/gateway/models").json()
    assert {
        "id": "nova",
        "kind": "chat",
        "provider": "bedrock",
        "upstream_model": "amazon.nova-echo",
        "url": bedrock.url,
        "agent": None,
    } in listed


def test_cloud_failures_and_fallback(clouds: Clouds) -> None:
    emu, client, _, _ = clouds
    for model, said in (("claude-fail", "Overloaded"), ("nova-fail", "the model broke")):
        failed = ask(client, model)
        assert failed.status_code == 502, failed.text
        assert failed.json()["error"]["code"] == "upstream_error"
        assert said in failed.json()["error"]["message"]
    for model in ("claude-limited", "nova-limited"):
        limited = ask(client, model)
        assert limited.status_code == 429, limited.text
        assert limited.headers["retry-after"] == "7"
        refused = client.post(
            "/chat/completions", json={"model": model, "messages": CHAT, "stream": True}
        )
        assert refused.status_code == 429  # before the first chunk: a plain error
    rescued = ask(client, "nova-rescued")  # Bedrock fails, Anthropic answers
    assert rescued.status_code == 200, rescued.text
    assert rescued.json()["model"] == "claude"
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [(a["model"], a["status"]) for a in audit][-2:] == [
        ("nova-rescued", 502),
        ("claude", 200),
    ]

    emu.client.delete("/v1/agents/bot/credentials/aws").raise_for_status()
    keyless = ask(client, "nova")
    assert keyless.status_code == 502
    assert "nexus ai agent credential set bot aws --api-key -" in keyless.json()["error"]["message"]
    emu.client.put(
        "/v1/agents/bot/credentials/aws", json={"kind": "api_key", "api_key": "no-colon"}
    ).raise_for_status()
    malformed = ask(client, "nova")
    assert malformed.status_code == 502
    assert "ACCESS_KEY_ID:SECRET_ACCESS_KEY" in malformed.json()["error"]["message"]


def test_bad_cloud_routes(clouds: Clouds) -> None:
    emu, _, _, _ = clouds
    for body in (
        {"name": "x", "provider": "openai", "upstream_model": "x"},  # openai needs its url
        {"name": "x", "provider": "anthropic", "upstream_model": "x", "region": "us-east-1"},
        {"name": "x", "provider": "bedrock", "upstream_model": "x", "region": "mars"},
    ):
        assert emu.client.post("/v1/gateway/models", json=body).status_code == 400, body
    default = {"name": "claude-cloud", "provider": "anthropic", "upstream_model": "claude-x"}
    assert emu.client.post("/v1/gateway/models", json=default).status_code == 200
    listed = {m["id"]: m for m in emu.client.get("/v1/gateway/models").json()}
    assert listed["claude-cloud"]["url"] is None  # Anthropic's own, https://api.anthropic.com


def test_bedrock_embeddings(clouds: Clouds) -> None:
    """Embeddings from a Bedrock model (InvokeModel, Titan's body), signed with the vault's
    key; Bedrock's token counts in the answer and the audit."""
    emu, client, _, bedrock = clouds
    r = client.post(
        "/embeddings", json={"model": "titan", "input": ["ab", "abcd"], "dimensions": 3}
    )
    assert r.status_code == 200, r.text
    assert [d["embedding"] for d in r.json()["data"]] == [[2.0, 3.0], [4.0, 3.0]]
    assert r.json()["usage"] == {"prompt_tokens": 6, "total_tokens": 6}
    assert bedrock.bodies[-1] == {"inputText": "abcd", "dimensions": 3}
    assert bedrock.auths[-1].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [(a["model"], a["provider"], a["tokens_in"], a["status"]) for a in audit] == [
        ("titan", "bedrock", 6, 200)
    ]
