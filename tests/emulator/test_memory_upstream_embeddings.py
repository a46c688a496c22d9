"""Memory embedded by the agent's upstream embedding model: a real emulator (process
runtime) routes a gateway model of kind embedding to an OpenAI-compatible server on
loopback; the agent's memory settings name it, every record (older ones too) and
every query is embedded there through the gateway's own path (the agent's key from
the vault, audit rows, quotas), and going back to the offline model embeds them all
again."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.test_memory_api import admin
from tests.emulator.test_memory_vectors import embedded, search
from tests.emulator.upstream_support import OpenAIUpstream

LETTERS = "abcdefghijklmnopqrstuvwxyz"
TEXTS = ["apples and bananas", "zzz quiz buzz"]


def letters(text: str) -> list[float]:
    return [float(text.lower().count(c)) for c in LETTERS]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture
def routed(tmp_path: Path, free_port: int) -> Iterator[tuple[Emu, OpenAIUpstream]]:
    upstream = OpenAIUpstream()
    try:
        with running_emulator(tmp_path, free_port, "process") as emu:
            emu.client.put(
                "/v1/agents/bot/credentials/openai", json={"kind": "api_key", "api_key": "sk-m-1"}
            ).raise_for_status()
            route = {"name": "letters", "url": upstream.url, "upstream_model": "up-letters",
                     "kind": "embedding", "credential": "openai"}  # fmt: skip
            r = emu.client.post("/v1/gateway/models", json=route)
            assert r.status_code == 200, r.text
            yield emu, upstream
    finally:
        upstream.close()


def test_memory_uses_the_agents_upstream_embeddings(routed: tuple[Emu, OpenAIUpstream]) -> None:
    emu, upstream = routed
    with admin(emu, "bot") as bot:
        for text in TEXTS:  # written before vector search is on
            assert (
                bot.put("/records", json={"namespace": "/notes", "text": text}).status_code == 200
            )
        r = bot.put("/vectors", json={"enabled": True, "model": "letters"})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "letters"
        embedded(emu, want=2)
        bread = bot.put("/records", json={"namespace": "/notes", "text": "a banana bread"})
        assert bread.status_code == 200, bread.text
        assert embedded(emu, want=3)["model"] == "letters"

        hits = search(bot, query="banana", mode="vector", top_k=3)
        texts = [h["record"]["text"] for h in hits]
        expect = sorted(
            [*TEXTS, "a banana bread"], key=lambda t: -cosine(letters(t), letters("banana"))
        )
        assert texts == expect
        assert [h["vector_score"] for h in hits] == pytest.approx(
            [cosine(letters(t), letters("banana")) for t in expect], abs=1e-5
        )
        assert {*TEXTS, "a banana bread", "banana"} <= set(upstream.embedded)
        assert set(upstream.keys) == {"Bearer sk-m-1"}  # the agent's key, from the vault
        audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
        rows = {(a["model"], a["provider"], a["principal"], a["status"]) for a in audit}
        assert rows == {
            ("letters", "openai", "memory:embed", 200),
            ("letters", "openai", "memory:search", 200),
        }

        # the agent's quota applies to memory's embeddings too
        emu.client.put("/v1/gateway/quotas/bot", json={"tokens_per_day": 1}).raise_for_status()
        over = bot.post("/search", json={"query": "banana", "mode": "vector"})
        assert over.status_code == 403, over.text
        assert "the gateway refused the embedding" in over.json()["error"]["message"]
        emu.client.put("/v1/gateway/quotas/bot", json={"tokens_per_day": None}).raise_for_status()

        # the route removed: records are still written (found by their words), a
        # vector search says which model is missing
        emu.client.delete("/v1/gateway/models/letters").raise_for_status()
        kept = bot.put("/records", json={"namespace": "/notes", "text": "banana split"})
        assert kept.status_code == 200, kept.text
        assert search(bot, query="split", mode="text")[0]["record"]["text"] == "banana split"
        missing = bot.post("/search", json={"query": "banana", "mode": "vector"})
        assert missing.status_code == 409, missing.text
        assert "no embedding model for the memory of bot" in missing.json()["error"]["message"]
        assert bot.get("/vectors").json()["model"] == "letters"

        # back to the offline model: every record embedded again, 256 dimensions
        seen = len(upstream.embedded)
        back = bot.put("/vectors", json={"enabled": True, "model": "nexus-offline-embed"})
        assert back.status_code == 200, back.text
        assert embedded(emu, want=4)["model"] == "nexus-offline-embed"
        again = search(bot, query="banana bread", mode="vector", top_k=1)
        assert again[0]["record"]["text"] == "a banana bread"
        assert len(upstream.embedded) == seen  # the upstream is asked no more

        unknown = bot.put("/vectors", json={"enabled": True, "model": "nope"})
        assert unknown.status_code == 400
        assert "--embedding-model" in unknown.json()["error"]["hint"]
        assert bot.get("/vectors").json()["model"] == "nexus-offline-embed"
