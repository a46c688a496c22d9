"""Routed models: the gateway relays to a real OpenAI-compatible server on loopback,
with the calling agent's key from the vault; failures become gateway errors and a
fallback model answers instead; the audit names the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.test_api_credentials import workload_of
from tests.emulator.upstream_support import OpenAIUpstream

BASE = "/v1/platform/gateway/v1"


@pytest.fixture
def routed(tmp_path: Path, free_port: int) -> Iterator[tuple[Emu, httpx.Client, OpenAIUpstream]]:
    upstream = OpenAIUpstream()
    with running_emulator(tmp_path, free_port, "process") as emu:
        emu.client.put(
            "/v1/agents/bot/credentials/openai", json={"kind": "api_key", "api_key": "sk-up-123"}
        ).raise_for_status()
        for name, upstream_model, extra in (
            ("gpt-local", "up-echo", {}),
            ("gpt-nousage", "up-nousage", {}),
            ("gpt-broken", "up-fail", {}),
            ("gpt-rescued", "up-fail", {"fallback": "nexus-offline"}),
            ("gpt-slow", "up-slow", {"timeout": 0.5}),
            ("gpt-limited", "up-limited", {}),
            ("embed-local", "up-embed", {"kind": "embedding"}),
            ("embed-rescued", "up-fail", {"kind": "embedding", "fallback": "nexus-offline-embed"}),
        ):
            r = emu.client.post(
                "/v1/gateway/models",
                json={
                    "name": name,
                    "url": upstream.url,
                    "upstream_model": upstream_model,
                    "credential": "openai",
                    **extra,
                },
            )
            assert r.status_code == 200, r.text
        token = workload_of(emu, "bot")
        headers = {"Authorization": f"Bearer {token}", "X-Nexus-Request-Id": "req-up"}
        with httpx.Client(base_url=emu.url + BASE, headers=headers, timeout=30) as client:
            yield emu, client, upstream
    upstream.close()


def ask(client: httpx.Client, model: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hello up there"}], **extra}
    return client.post("/chat/completions", json=body)


def test_relayed_with_the_agents_key(routed: tuple[Emu, httpx.Client, OpenAIUpstream]) -> None:
    emu, client, upstream = routed
    r = ask(client, "gpt-local")
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "HELLO UP THERE"
    assert r.json()["model"] == "gpt-local"
    assert upstream.keys[-1] == "Bearer sk-up-123"  # from the vault, not from the agent
    counted = ask(client, "gpt-nousage").json()
    assert counted["choices"][0]["message"]["content"] == "HELLO UP THERE"
    with client.stream("POST", "/chat/completions", json={
        "model": "gpt-local", "stream": True,
        "messages": [{"role": "user", "content": "hello up there"}],
    }) as s:  # fmt: skip
        frames = [line[6:] for line in s.iter_lines() if line.startswith("data: ")]
    chunks = [json.loads(f) for f in frames if f.startswith("{")]
    words = [c["choices"][0]["delta"]["content"] for c in chunks if c["choices"]]
    assert words == ["HELLO", "UP", "THERE"]
    assert all(c["model"] == "gpt-local" for c in chunks)
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [(a["model"], a["provider"], a["tokens_in"], a["tokens_out"]) for a in audit] == [
        ("gpt-local", "openai", 7, 3),
        ("gpt-nousage", "openai", 3, 4),  # cl100k: hello| up| there, HEL|LO| UP| THERE
        ("gpt-local", "openai", 7, 3),  # the stream's usage chunk
    ]
    listed = emu.client.get("/v1/gateway/models").json()
    assert {"id": "gpt-local", "kind": "chat", "provider": "openai", "upstream_model": "up-echo",
            "url": upstream.url, "agent": None} in listed  # fmt: skip


def test_upstream_failures(routed: tuple[Emu, httpx.Client, OpenAIUpstream]) -> None:
    emu, client, _ = routed
    broken = ask(client, "gpt-broken")
    assert broken.status_code == 502
    assert broken.json()["error"]["code"] == "upstream_error"
    assert "the upstream broke" in broken.json()["error"]["message"]
    rescued = ask(client, "gpt-rescued")
    assert rescued.status_code == 200
    assert rescued.json()["model"] == "nexus-offline"
    slow = ask(client, "gpt-slow")
    assert slow.status_code == 504
    assert "did not answer within 0.5 s" in slow.json()["error"]["message"]
    limited = ask(client, "gpt-limited")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    statuses = [a["status"] for a in emu.client.get("/v1/gateway/audit").json()]
    assert statuses == [502, 502, 200, 504, 429]

    emu.client.delete("/v1/agents/bot/credentials/openai").raise_for_status()
    keyless = ask(client, "gpt-local")
    assert keyless.status_code == 502
    assert (
        "nexus ai agent credential set bot openai --api-key -" in keyless.json()["error"]["message"]
    )


def test_bad_routes(routed: tuple[Emu, httpx.Client, OpenAIUpstream]) -> None:
    emu, _, upstream = routed
    for body in (
        {"name": "nexus-offline", "url": upstream.url, "upstream_model": "x"},
        {"name": "x", "url": "ftp://nope", "upstream_model": "x"},
        {"name": "x", "url": upstream.url, "upstream_model": "x", "timeout": -1},
        {"name": "x", "url": upstream.url, "upstream_model": "x", "provider": "carrier-pigeon"},
        {"name": "x", "upstream_model": "x", "provider": "anthropic", "kind": "embedding"},
        {"name": "x", "url": upstream.url, "upstream_model": "x", "kind": "sketch"},
    ):
        assert emu.client.post("/v1/gateway/models", json=body).status_code == 400, body
    unknown = {"name": "x", "url": upstream.url, "upstream_model": "x", "fallback": "unknown"}
    assert emu.client.post("/v1/gateway/models", json=unknown).status_code == 404  # no such model
    assert emu.client.delete("/v1/gateway/models/gpt-local").json() == {
        "name": "gpt-local",
        "removed": True,
    }
    assert emu.client.delete("/v1/gateway/models/gpt-local").status_code == 404


def test_claude_client_on_openai_upstream(
    routed: tuple[Emu, httpx.Client, OpenAIUpstream],
) -> None:
    """A Claude client's Messages call to an OpenAI-compatible model: translated there and
    back, streamed as Anthropic's events, with the upstream's token counts."""
    emu, client, upstream = routed
    body = {
        "model": "gpt-local",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hello up there"}],
    }
    r = client.post("/messages", json=body)
    assert r.status_code == 200, r.text
    message = r.json()
    assert (message["type"], message["role"], message["model"]) == (
        "message",
        "assistant",
        "gpt-local",
    )
    assert message["content"] == [{"type": "text", "text": "HELLO UP THERE"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"] == {"input_tokens": 7, "output_tokens": 3}
    assert upstream.keys[-1] == "Bearer sk-up-123"
    with client.stream("POST", "/messages", json={**body, "stream": True}) as s:
        assert s.status_code == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in s.iter_lines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [e["delta"]["text"] for e in events[2:5]] == ["HELLO", "UP", "THERE"]
    assert events[-2]["usage"] == {"input_tokens": 7, "output_tokens": 3}
    broken = client.post("/messages", json={**body, "model": "gpt-broken"})
    assert broken.status_code == 502
    assert broken.json()["type"] == "error"
    rescued = client.post("/messages", json={**body, "model": "gpt-rescued"})
    assert rescued.status_code == 200, rescued.text
    assert rescued.json()["model"] == "nexus-offline"
    assert rescued.json()["content"] == [{"type": "text", "text": "hello up there"}]
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [(a["model"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit] == [
        ("gpt-local", 7, 3, 200),
        ("gpt-local", 7, 3, 200),
        ("gpt-broken", 0, 0, 502),
        ("gpt-rescued", 0, 0, 502),
        ("nexus-offline", 3, 3, 200),
    ]
    odd = {"content": 5, "role": "user"}  # not Anthropic's shapes: refused, in its shape
    tools = [{"name": "weather", "input_schema": {"type": "object"}}]
    strange = {**body, "messages": [odd], "tools": tools, "tool_choice": "auto"}
    refused = client.post("/messages", json=strange)
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"] == "error", refused.text
    assert refused.json()["error"]["message"].startswith("messages[0].content"), refused.text
    fine = {**strange, "messages": [{**odd, "content": "hi"}], "tool_choice": {"type": "auto"}}
    assert client.post("/messages", json=fine).status_code == 200


def test_routed_embeddings(routed: tuple[Emu, httpx.Client, OpenAIUpstream]) -> None:
    """Embeddings from an OpenAI-compatible upstream: its vectors in input order, its token
    counts in the answer, the audit and the agent's token budget; fallback to the offline
    model; a chat model is no embedding model and the other way round."""
    emu, client, upstream = routed
    r = client.post(
        "/embeddings", json={"model": "embed-local", "input": ["ab", "abcd"], "dimensions": 3}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["model"] == "embed-local"
    assert [d["embedding"] for d in doc["data"]] == [[2.0, 0.0, 3.0], [4.0, 1.0, 3.0]]
    assert [d["index"] for d in doc["data"]] == [0, 1]
    assert doc["usage"] == {"prompt_tokens": 8, "total_tokens": 8}
    assert upstream.keys[-1] == "Bearer sk-up-123"
    rescued = client.post("/embeddings", json={"model": "embed-rescued", "input": "ab"})
    assert rescued.status_code == 200, rescued.text
    assert rescued.json()["model"] == "nexus-offline-embed"
    assert len(rescued.json()["data"][0]["embedding"]) == 256
    wrong = client.post("/embeddings", json={"model": "gpt-local", "input": "ab"})
    assert wrong.status_code == 404
    assert "is a chat model, not an embedding one" in wrong.json()["error"]["message"]
    chat = ask(client, "embed-local")
    assert chat.status_code == 404
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert [
        (a["model"], a["provider"], a["tokens_in"], a["tokens_out"], a["status"]) for a in audit
    ] == [
        ("embed-local", "openai", 8, 0, 200),
        ("embed-rescued", "openai", 0, 0, 502),
        ("nexus-offline-embed", "offline", 1, 0, 200),
    ]
    usage = emu.client.get("/v1/gateway/usage/bot").json()["environments"]["development"]
    assert (usage["calls"], usage["tokens_in"], usage["tokens_today"]) == (3, 9, 9)
    listed = emu.client.get("/v1/gateway/models").json()
    assert {"id": "embed-local", "kind": "embedding", "provider": "openai",
            "upstream_model": "up-embed", "url": upstream.url, "agent": None} in listed  # fmt: skip
    spent = emu.client.put("/v1/gateway/quotas/bot", json={"tokens_per_day": 9})
    assert spent.status_code == 200, spent.text
    over = client.post("/embeddings", json={"model": "embed-local", "input": ["ab", "abcd"]})
    assert over.status_code == 403, over.text  # 8 + 1 tokens spent today: the budget is gone
    assert over.json()["error"]["code"] == "quota_exceeded"
