"""Vector and hybrid search of agent memory on a real emulator: embeddings through the
gateway's offline model (hashed words and trigrams), numpy scoring, the per-agent switch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator, start_emulator
from tests.emulator.test_memory_api import BASE, admin

ADMIN = "/v1/memory/agents/bot"


@pytest.fixture
def emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        yield e


def embedded(emu: Emu, agent: str = "bot", want: int | None = None) -> dict[str, Any]:
    """The agent's vector status once every live record has its vector."""
    deadline = time.monotonic() + 60
    while True:
        status: dict[str, Any] = emu.client.get(f"/v1/memory/agents/{agent}/vectors").json()
        done = status["embedded"] == status["records"]
        if done and (want is None or status["records"] == want):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def search(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    r = client.post("/search", json=body)
    assert r.status_code == 200, r.text
    hits: list[dict[str, Any]] = r.json()
    return hits


TEXTS = {
    "/users/ann/facts": ["Ann walks her dog every morning", "Ann works as a nurse in Leeds"],
    "/users/ann/preferences": ["Ann prefers green tea", "Ann likes jazz records"],
    "/users/bob/facts": ["Bob keeps two dogs at home"],
}


def fill(bot: httpx.Client) -> None:
    for namespace, texts in TEXTS.items():
        for text in texts:
            r = bot.put("/records", json={"namespace": namespace, "text": text})
            assert r.status_code == 200, r.text


def test_vector_search_is_off_until_turned_on_then_embeds_old_and_new_records(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        fill(bot)
        status = emu.client.get(f"{ADMIN}/vectors").json()
        assert status["enabled"] is False
        assert status["embedded"] == 0
        assert status["records"] == 5
        off = bot.post("/search", json={"query": "dogs", "mode": "vector"})
        assert off.status_code == 409  # the agent's setting says no, not the request
        assert "--vectors on" in off.json()["error"]["hint"]
        # without vectors the default mode is text: scores are BM25's and no vector score
        hits = search(bot, query="dog")
        assert [h["record"]["text"] for h in hits] == ["Ann walks her dog every morning"]
        assert hits[0]["vector_score"] is None

        r = emu.client.put(f"{ADMIN}/vectors", json={"enabled": True})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "nexus-offline-embed"
        embedded(emu, want=5)  # the five written before, in the background
        bot.put("/records", json={"namespace": "/users/bob/facts", "text": "Bob owns a red car"})
        assert embedded(emu)["records"] == 6  # a new record has its vector at once

        # "dogs" is no word of Ann's dog record: only its trigrams bring it close
        hits = search(bot, query="dogs", mode="vector", top_k=2)
        assert [h["record"]["text"] for h in hits] == [
            "Bob keeps two dogs at home",
            "Ann walks her dog every morning",
        ]
        assert all(-1.0 <= h["score"] <= 1.0 and h["score"] == h["vector_score"] for h in hits)
        assert hits[0]["score"] > hits[1]["score"]
        # a namespace filter and a minimum score
        hits = search(bot, query="dogs", mode="vector", namespace="/users/ann", top_k=1)
        assert [h["record"]["text"] for h in hits] == ["Ann walks her dog every morning"]
        best = hits[0]["score"]
        assert (
            search(bot, query="dogs", mode="vector", min_score=best + 1e-6, namespace="/users/ann")
            == []
        )


def test_hybrid_ranks_by_words_and_meaning_and_is_the_default_with_vectors(emu: Emu) -> None:
    emu.client.put(f"{ADMIN}/vectors", json={"enabled": True})
    with admin(emu, "bot") as bot:
        fill(bot)
        embedded(emu, want=5)
        # the words find Bob's record only, the vectors rank Ann's dog walk first
        query = "walking the dogs"
        text_only = search(bot, query=query, mode="text")
        assert [h["record"]["text"] for h in text_only] == ["Bob keeps two dogs at home"]
        near = search(bot, query=query, mode="vector", top_k=2)
        assert [h["record"]["text"] for h in near] == [
            "Ann walks her dog every morning",
            "Bob keeps two dogs at home",
        ]
        hits = search(bot, query=query, top_k=3)  # hybrid, the default now
        assert [h["record"]["text"] for h in hits][:2] == [
            "Bob keeps two dogs at home",
            "Ann walks her dog every morning",
        ]
        top, second = hits[0], hits[1]
        assert top["text_score"] == pytest.approx(text_only[0]["score"])
        # the best text match gets the whole text half: 0.5 * cosine + 0.5
        assert top["score"] == pytest.approx(0.5 * top["vector_score"] + 0.5)
        assert top["vector_score"] == pytest.approx(near[1]["score"])
        assert second["text_score"] is None
        assert second["score"] == pytest.approx(0.5 * second["vector_score"])
        assert all(h["score"] <= 1.0 for h in hits)


def test_deleted_changed_and_expired_records_leave_vector_search(emu: Emu) -> None:
    emu.client.put(f"{ADMIN}/vectors", json={"enabled": True})
    with admin(emu, "bot") as bot, admin(emu, "other") as other:
        fill(bot)
        embedded(emu, want=5)
        assert search(bot, query="dogs", mode="vector", top_k=1)  # the matrix is loaded
        dogs = [h["record"] for h in search(bot, query="dogs", mode="vector", top_k=2)]
        bot.delete(f"/records/{dogs[0]['id']}")
        r = bot.put(
            "/records",
            json={"namespace": dogs[1]["namespace"], "key": dogs[1]["key"], "text": "Ann sails"},
        )
        assert r.json()["id"] == dogs[1]["id"]
        short = {"namespace": "/users/ann/facts", "text": "Ann has a dog sitter", "ttl_seconds": 1}
        bot.put("/records", json=short)
        hits = search(bot, query="dogs", mode="vector", top_k=10)
        texts = [h["record"]["text"] for h in hits]
        assert "Bob keeps two dogs at home" not in texts
        assert "Ann walks her dog every morning" not in texts
        assert "Ann sails" in texts  # its new text has its own vector
        deadline = time.monotonic() + 30
        while "Ann has a dog sitter" in texts:
            assert time.monotonic() < deadline
            time.sleep(0.2)
            texts = [h["record"]["text"] for h in search(bot, query="dogs", mode="vector")]
        # another agent's vectors stay its own
        emu.client.put("/v1/memory/agents/other/vectors", json={"enabled": True})
        assert search(other, query="dogs", mode="vector") == []


def test_vectors_survive_a_restart_and_embedding_is_audited(emu: Emu) -> None:
    emu.client.put(f"{ADMIN}/vectors", json={"enabled": True})
    with admin(emu, "bot") as bot:
        fill(bot)
    embedded(emu, want=5)
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert {"memory:embed"} <= {row["principal"] for row in audit}
    emu.stop()
    again = start_emulator(emu.home, emu.port, "process")
    try:
        assert again.client.get(f"{ADMIN}/vectors").json()["embedded"] == 5
        with admin(again, "bot") as bot:
            hits = search(bot, query="dogs", mode="vector", top_k=1)
            assert [h["record"]["text"] for h in hits] == ["Bob keeps two dogs at home"]
        off = again.client.put(f"{ADMIN}/vectors", json={"enabled": False}).json()
        assert (off["enabled"], off["embedded"]) == (False, 0)
        assert again.client.get(BASE + "/vectors").status_code == 403  # the admin's own path
    finally:
        again.stop()
