"""The gateway's OpenAI- and Anthropic-shaped API on a real emulator, over loopback HTTP,
with a workload token signed by the emulator's issuer."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.test_api_credentials import workload_of

BASE = "/v1/platform/gateway/v1"


@pytest.fixture
def gw(tmp_path: Path, free_port: int) -> Iterator[tuple[Emu, httpx.Client]]:
    with running_emulator(tmp_path, free_port, "process") as emu:
        token = workload_of(emu, "bot")
        headers = {"Authorization": f"Bearer {token}", "X-Nexus-Request-Id": "req-1"}
        with httpx.Client(base_url=emu.url + BASE, headers=headers, timeout=30) as client:
            yield emu, client


def chat(client: httpx.Client, text: str, **extra: Any) -> httpx.Response:
    body = {"model": "nexus-offline", "messages": [{"role": "user", "content": text}], **extra}
    return client.post("/chat/completions", json=body)


def test_models_and_echo(gw: tuple[Emu, httpx.Client]) -> None:
    _, client = gw
    models = client.get("/models").json()
    assert [m["id"] for m in models["data"]] == ["nexus-offline", "nexus-offline-embed"]
    r = chat(client, "Hello, world! How are you today?")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["object"] == "chat.completion"
    assert doc["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Hello, world! How are you today?",
    }
    assert doc["choices"][0]["finish_reason"] == "stop"
    # cl100k_base: 9 tokens (checked against tiktoken's own table)
    assert doc["usage"] == {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}


def test_rules(gw: tuple[Emu, httpx.Client]) -> None:
    emu, client = gw
    text = "summarize: Nexus hosts agents. It also runs them locally."
    assert chat(client, text).json()["choices"][0]["message"]["content"] == "Nexus hosts agents."
    got = chat(client, "extract emails: write to ann@example.com or bob@x.org please")
    assert json.loads(got.json()["choices"][0]["message"]["content"]) == [
        "ann@example.com",
        "bob@x.org",
    ]
    cut = chat(client, "one two three four five six seven", max_tokens=3).json()
    assert cut["choices"][0] == {
        "index": 0,
        "message": {"role": "assistant", "content": "one two three"},
        "finish_reason": "length",
    }
    fixtures = emu.home / "gateway" / "fixtures.json"
    fixtures.parent.mkdir(parents=True, exist_ok=True)
    fixtures.write_text(json.dumps([{"match": "capital of France", "answer": "Paris."}]))
    answer = chat(client, "What is the capital of France?").json()
    assert answer["choices"][0]["message"]["content"] == "Paris."


def test_tool_call_then_answer(gw: tuple[Emu, httpx.Client]) -> None:
    _, client = gw
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    first = chat(client, 'Use get_weather with {"city": "Oslo"}', tools=tools).json()
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Oslo"}'}
    messages = [
        {"role": "user", "content": 'Use get_weather with {"city": "Oslo"}'},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "4 degrees, rain"},
    ]
    r = client.post("/chat/completions", json={"messages": messages, "tools": tools})
    assert r.json()["choices"][0]["message"]["content"] == "get_weather returned: 4 degrees, rain"
    assert (
        "tool_calls"
        not in chat(client, "no tool named here", tools=tools).json()["choices"][0]["message"]
    )


def test_stream(gw: tuple[Emu, httpx.Client]) -> None:
    _, client = gw
    body = {
        "messages": [{"role": "user", "content": "stream these words back"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with client.stream("POST", "/chat/completions", json=body) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        frames = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "stream these words back"
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) == 4
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}


def test_embeddings_rank(gw: tuple[Emu, httpx.Client]) -> None:
    _, client = gw
    texts = ["the cat sat on the mat", "a cat sat on a mat", "quarterly revenue grew"]
    r = client.post("/embeddings", json={"model": "nexus-offline-embed", "input": texts})
    assert r.status_code == 200, r.text
    vecs = [d["embedding"] for d in r.json()["data"]]
    assert all(len(v) == 256 and math.isclose(sum(x * x for x in v), 1.0) for v in vecs)

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(vecs[0], vecs[1]) > 0.5 > cos(vecs[0], vecs[2])
    again = client.post("/embeddings", json={"input": texts[0], "dimensions": 64}).json()
    assert len(again["data"][0]["embedding"]) == 64
    assert again["usage"]["prompt_tokens"] == 6


def test_errors_in_openai_shape(gw: tuple[Emu, httpx.Client]) -> None:
    emu, client = gw
    r = chat(client, "hi", model="gpt-4o")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "model_not_found"
    assert err["type"] == "invalid_request_error"
    assert "nexus-offline" in err["message"]
    bad = client.post("/chat/completions", json={"messages": []})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "messages"
    assert client.post("/chat/completions", content=b"{nope").status_code == 400
    assert chat(client, "hi", max_tokens=0).json()["error"]["param"] == "max_tokens"
    long = chat(client, "word " * 130_000)
    assert long.status_code == 400
    assert long.json()["error"]["code"] == "context_length_exceeded"
    # the control plane's admin credential is not a workload token
    admin = emu.client.post(BASE + "/chat/completions", json={"messages": []})
    assert admin.status_code == 403


def test_anthropic_messages(gw: tuple[Emu, httpx.Client]) -> None:
    emu, _ = gw
    token = workload_of(emu, "bot")
    headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
    body = {
        "model": "nexus-offline",
        "max_tokens": 100,
        "system": "be brief",
        "messages": [{"role": "user", "content": "Hello there"}],
    }
    with httpx.Client(base_url=emu.url + BASE, headers=headers, timeout=30) as anthropic:
        doc = anthropic.post("/messages", json=body).json()
        assert doc["content"] == [{"type": "text", "text": "Hello there"}]
        assert doc["stop_reason"] == "end_turn"
        assert doc["usage"] == {"input_tokens": 4, "output_tokens": 2}  # "be brief", "Hello there"
        with anthropic.stream("POST", "/messages", json={**body, "stream": True}) as r:
            events = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
        assert events[0] == "message_start"
        assert events[-2:] == ["message_delta", "message_stop"]
        assert events.count("content_block_delta") == 2
        missing = anthropic.post(
            "/messages", json={k: v for k, v in body.items() if k != "max_tokens"}
        )
        assert missing.status_code == 400
        assert missing.json()["error"]["type"] == "invalid_request_error"
        unknown = anthropic.post("/messages", json={**body, "model": "claude-x"})
        assert unknown.status_code == 404
        assert unknown.json() == {
            "type": "error",
            "error": {"type": "not_found_error", "message": unknown.json()["error"]["message"]},
        }
        tools = [{"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {}}}}]
        used = anthropic.post(
            "/messages",
            json={**body, "tools": tools, "messages": [{"role": "user", "content": "lookup cats"}]},
        ).json()
        assert used["stop_reason"] == "tool_use"
        assert used["content"][0]["name"] == "lookup"
        assert used["content"][0]["input"] == {"q": "lookup cats"}


def test_rate_limit_audit_and_restart(
    gw: tuple[Emu, httpx.Client], tmp_path: Path, free_port: int
) -> None:
    import concurrent.futures
    import time

    emu, client = gw
    bad = emu.client.put("/v1/gateway/quotas/bot", json={"requests_per_minute": -1})
    assert bad.status_code == 400
    assert "requests_per_minute" in bad.json()["error"]["message"]
    assert emu.client.put("/v1/gateway/quotas/bot", json={"per_week": 1}).status_code == 400
    set_ = emu.client.put("/v1/gateway/quotas/bot", json={"requests_per_minute": 60})
    assert set_.json()["quota"]["requests_per_minute"] == 60

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: chat(client, "hello world"), range(200)))
    elapsed = time.monotonic() - started
    passed = [a for a in answers if a.status_code == 200]
    limited = [a for a in answers if a.status_code == 429]
    # the bucket refills one a second: exact when the burst takes under a second
    assert 60 <= len(passed) <= 60 + int(elapsed)
    assert len(passed) + len(limited) == 200
    refused = limited[0]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-limit-requests"] == "60"
    assert passed[0].headers["x-ratelimit-limit-requests"] == "60"

    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot", "limit": 1000}).json()
    assert len(audit) == 200
    assert sorted({r["status"] for r in audit}) == [200, 429]
    ok = next(r for r in audit if r["status"] == 200)
    assert ok["principal"] == "agent:bot:development"
    assert (ok["model"], ok["provider"], ok["request_id"]) == ("nexus-offline", "offline", "req-1")
    assert ok["tokens_in"] == ok["tokens_out"] == 2
    assert ok["prompt"] is None
    usage = emu.client.get("/v1/gateway/usage/bot").json()["environments"]["development"]
    assert usage["calls"] == 200
    assert usage["refused"] == len(limited)
    assert usage["tokens_today"] == 4 * len(passed)

    burst_end = time.monotonic()
    emu.stop()  # counters and quota survive a restart
    from tests.emulator.conftest import start_emulator

    again = start_emulator(emu.home, free_port, "process")
    try:
        token = workload_of(again, "bot")
        # the burst left the bucket empty; it refills one call a second, so the first call
        # after the restart has one once a second has passed (a restart may be quicker)
        time.sleep(max(0.0, burst_end + 1.5 - time.monotonic()))
        with httpx.Client(
            base_url=again.url + BASE, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as after:
            first = chat(after, "again")
            waited = time.monotonic() - burst_end
        # the bucket refilled one a second since the burst, not to 60 as a new one would be
        assert first.status_code == 200
        remaining = int(first.headers["x-ratelimit-remaining-requests"])
        assert remaining <= int(waited) + 1 < 59
        shown = again.client.get("/v1/gateway/quotas/bot").json()
        assert shown["quota"]["requests_per_minute"] == 60
        assert len(again.client.get("/v1/gateway/audit", params={"limit": 1000}).json()) == 201
    finally:
        again.stop()


def test_budget_exceeded_is_403(gw: tuple[Emu, httpx.Client]) -> None:
    emu, client = gw
    emu.client.put("/v1/gateway/quotas/bot", json={"tokens_per_day": 10}).raise_for_status()
    assert chat(client, "one two three four five six").status_code == 200  # 12 tokens
    r = chat(client, "again")
    assert r.status_code == 403
    assert r.json()["error"]["type"] == "insufficient_quota"
    assert r.json()["error"]["code"] == "quota_exceeded"
    models = emu.client.get("/v1/gateway/models").json()
    assert ("nexus-offline", "chat", "offline") in [
        (m["id"], m["kind"], m["provider"]) for m in models
    ]
