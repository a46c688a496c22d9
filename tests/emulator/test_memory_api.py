"""Agent memory over loopback HTTP on a real emulator: the CLI's admin credential on
``/v1/memory/agents/{agent}`` (the same routes replicas reach on
``/v1/platform/memory``), and workload tokens outside any call they serve
(test_memory_binding.py has them serving calls)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator, start_emulator
from tests.emulator.test_api_credentials import workload_of

BASE = "/v1/platform/memory"


@pytest.fixture
def emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        yield e


def replica(emu: Emu, agent: str) -> httpx.Client:
    """A workload token of ``agent`` on the platform's memory routes, serving no call."""
    headers = {"Authorization": f"Bearer {workload_of(emu, agent)}"}
    return httpx.Client(base_url=emu.url + BASE, headers=headers, timeout=30)


def admin(emu: Emu, agent: str) -> httpx.Client:
    """The admin credential on ``agent``'s memory routes of the control plane."""
    headers = dict(emu.client.headers)
    return httpx.Client(base_url=f"{emu.url}/v1/memory/agents/{agent}", headers=headers, timeout=30)


def turns(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"role": role, "text": text} for role, text in pairs]


def add(client: httpx.Client, actor: str, session: str, events: list[dict[str, Any]]) -> Any:
    r = client.post(f"/sessions/{session}/events", json={"actor": actor, "events": events})
    assert r.status_code == 200, r.text
    return r.json()


def test_sessions_turns_and_payloads_survive_a_restart(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        add(bot, "ann", "s1", turns(("user", "hi, I am Ann"), ("assistant", "hello Ann")))
        add(bot, "ann", "s1", [{"payload": {"tool": "weather", "city": "Oslo"}}])
        add(bot, "ann", "s1", turns(("user", "what is my name?")))
        add(bot, "bob", "s2", turns(("user", "bob here")))
        got = bot.get("/sessions/s1/events", params={"actor": "ann"}).json()
        assert [(e["role"], e["text"], e["payload"]) for e in got] == [
            ("user", "hi, I am Ann", None),
            ("assistant", "hello Ann", None),
            (None, None, {"tool": "weather", "city": "Oslo"}),
            ("user", "what is my name?", None),
        ]
        assert got[0]["at"] <= got[-1]["at"]
        last = bot.get("/sessions/s1/events", params={"actor": "ann", "last": 2, "turns": True})
        assert [e["text"] for e in last.json()] == ["hello Ann", "what is my name?"]
        sessions = bot.get("/sessions").json()
        assert {(s["actor"], s["session"], s["events"]) for s in sessions} == {
            ("ann", "s1", 4),
            ("bob", "s2", 1),
        }
        assert [s["session"] for s in bot.get("/sessions", params={"actor": "bob"}).json()] == [
            "s2"
        ]
    emu.stop()
    again = start_emulator(emu.home, emu.port, "process")
    try:
        with admin(again, "bot") as bot:
            got = bot.get("/sessions/s1/events", params={"actor": "ann"}).json()
            assert len(got) == 4
            r = bot.delete("/sessions/s1", params={"actor": "ann"})
            assert r.json()["deleted_events"] == 4
            assert bot.get("/sessions/s1/events", params={"actor": "ann"}).status_code == 404
    finally:
        again.stop()


def test_one_agent_never_sees_anothers_memory_nor_a_replica_its_actors_outside_a_call(
    emu: Emu,
) -> None:
    with admin(emu, "alpha") as seed:
        add(seed, "ann", "s1", turns(("user", "my secret is tulip")))
        r = seed.put("/records", json={"namespace": "/users/ann/facts", "text": "secret tulip"})
        secret = r.json()["id"]
        r = seed.put("/records", json={"namespace": "/agents/alpha/notes", "text": "tulip bulbs"})
        note = r.json()["id"]
    with replica(emu, "alpha") as alpha, replica(emu, "beta") as beta:
        # another agent: nothing at all
        assert beta.get("/sessions/s1/events", params={"actor": "ann"}).status_code == 403
        assert beta.get(f"/records/{note}").status_code == 404
        assert beta.delete(f"/records/{note}").status_code == 404
        assert beta.post("/search", json={"query": "tulip"}).json() == []
        assert beta.get("/records").json() == []
        # its own agent, serving no call: its own namespaces, no actor's memory
        hits = alpha.post("/search", json={"query": "tulip"}).json()
        assert [h["record"]["id"] for h in hits] == [note]
        assert [r["id"] for r in alpha.get("/records").json()] == [note]
        assert alpha.get(f"/records/{secret}").status_code == 404
        assert alpha.delete(f"/records/{secret}").status_code == 404
        for refused in (
            alpha.get("/sessions"),
            alpha.get("/sessions/s1/events", params={"actor": "ann"}),
            alpha.post("/sessions/s1/events", json={"actor": "ann", "events": []}),
            alpha.put("/records", json={"namespace": "/users/ann/facts", "text": "x"}),
            alpha.get("/records", params={"namespace": "/users/ann"}),
            alpha.post("/search", json={"query": "tulip", "namespace": "/users/ann"}),
            alpha.delete("/actors/ann"),
        ):
            assert refused.status_code == 403, refused.text
            assert "only while serving that actor's call" in refused.json()["error"]["message"]
        # the admin sees each agent apart; the workload token is for the platform only
        seen = emu.client.get("/v1/memory/agents/alpha/sessions").json()
        assert [s["session"] for s in seen] == ["s1"]
        assert emu.client.get("/v1/memory/agents/beta/sessions").json() == []
        assert emu.client.get(BASE + "/sessions").status_code == 403
        assert alpha.get(emu.url + "/v1/memory/agents/alpha/sessions").status_code == 403
    with admin(emu, "alpha") as seed:  # for an actor, /users/<another>/… is refused
        r = seed.post("/search", json={"query": "tulip", "namespace": "/users/ann", "actor": "bob"})
        assert r.status_code == 403, r.text


def test_records_put_get_delete_ttl_and_search(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        ns = "/users/ann/preferences"
        put = bot.put(
            "/records",
            json={
                "namespace": ns,
                "key": "colour",
                "text": "Ann likes the colour green",
                "data": {"colour": "green"},
            },
        ).json()
        assert put["key"] == "colour"
        assert put["data"] == {"colour": "green"}
        again = bot.put(
            "/records", json={"namespace": ns, "key": "colour", "text": "Ann likes the colour blue"}
        ).json()
        assert again["id"] == put["id"]
        assert again["text"].endswith("blue")
        bot.put("/records", json={"namespace": ns, "text": "Ann drinks tea, never coffee"})
        bot.put(
            "/records",
            json={
                "namespace": "/users/bob/preferences",
                "text": "Bob likes the colour red and the colour blue",
            },
        )
        bot.put("/records", json={"namespace": "/facts", "text": "Oslo is in Norway"})
        brief = bot.put(
            "/records",
            json={"namespace": "/facts", "text": "colour of a short memory", "ttl_seconds": 0.5},
        ).json()
        assert brief["expires_at"] is not None
        assert bot.get(f"/records/{put['id']}").json()["text"] == "Ann likes the colour blue"

        hits = bot.post("/search", json={"query": "colour blue", "top_k": 10}).json()
        texts = [h["record"]["text"] for h in hits]
        assert set(texts) == {
            "Ann likes the colour blue",
            "Bob likes the colour red and the colour blue",
            "colour of a short memory",
        }
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        assert texts[-1] == "colour of a short memory"  # one word of two matches
        only_ann = bot.post("/search", json={"query": "colour blue", "namespace": "/users/ann"})
        assert [h["record"]["text"] for h in only_ann.json()] == ["Ann likes the colour blue"]
        top1 = bot.post("/search", json={"query": "colour blue", "top_k": 1}).json()
        assert len(top1) == 1
        assert top1[0]["record"]["text"] == texts[0]
        floor = hits[1]["score"]
        kept = bot.post("/search", json={"query": "colour blue", "min_score": floor}).json()
        assert [h["record"]["text"] for h in kept] == texts[:2]

        listed = bot.get("/records", params={"namespace": "/users/ann"}).json()
        assert {r["key"] for r in listed} >= {"colour"}
        assert len(listed) == 2
        time.sleep(0.6)
        assert bot.get(f"/records/{brief['id']}").status_code == 404
        assert "colour of a short memory" not in [
            h["record"]["text"] for h in bot.post("/search", json={"query": "colour"}).json()
        ]
        assert bot.delete(f"/records/{put['id']}").json() == {"id": put["id"], "deleted": True}
        assert bot.get(f"/records/{put['id']}").status_code == 404
        left = bot.post("/search", json={"query": "Ann colour", "namespace": ns}).json()
        assert [h["record"]["text"] for h in left] == ["Ann drinks tea, never coffee"]


def test_bad_input_is_refused_with_a_reason(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        add(bot, "ann", "s1", turns(("user", "hi")))
        r = bot.post("/search", json={"query": "  ?! "})
        assert r.status_code == 400
        assert "empty" in r.json()["error"]["message"]
        big = "x" * (64 * 1024 + 1)
        r = bot.post("/sessions/s1/events", json={"actor": "ann", "events": turns(("user", big))})
        assert r.status_code == 413
        assert "over the memory limit" in r.json()["error"]["message"]
        r = bot.put("/records", json={"namespace": "/facts", "text": big})
        assert r.status_code == 413
        r = bot.put("/records", json={"namespace": "/agents/other/notes", "text": "x"})
        assert r.status_code == 403
        assert "belongs to agent other" in r.json()["error"]["message"]
        r = bot.put("/records", json={"namespace": "/users/bob/x", "text": "x", "actor": "ann"})
        assert r.status_code == 403
        r = bot.put("/records", json={"namespace": "users/../x", "text": "x"})
        assert r.status_code == 400
        assert "bad namespace" in r.json()["error"]["message"]
        r = bot.get("/sessions/nope/events", params={"actor": "ann"})
        assert r.status_code == 404
        assert "no session 'nope'" in r.json()["error"]["message"]
        assert bot.delete("/sessions/nope", params={"actor": "ann"}).status_code == 404
        r = bot.post("/sessions/s1/events", json={"actor": "ann", "events": [{"role": "x"}]})
        assert r.status_code == 400
        assert "needs a role" in r.json()["error"]["message"]
        r = bot.post("/sessions/s1/events", json={"actor": "a b", "events": turns(("user", "x"))})
        assert r.status_code == 400
        assert "bad actor id" in r.json()["error"]["message"]
        assert bot.post("/search", json={"query": "hi", "top_k": 0}).status_code == 400


def test_retention_drops_old_events(emu: Emu) -> None:
    path = "/v1/memory/agents/bot/retention"
    assert emu.client.get(path).json() == {"retention_days": 30.0}
    with admin(emu, "bot") as bot:
        add(bot, "ann", "s1", turns(("user", "soon forgotten")))
        r = emu.client.put(path, json={"retention_days": 1 / 86400})  # one second
        assert r.status_code == 200, r.text
        time.sleep(1.1)
        assert bot.get("/sessions").json() == []
        assert bot.get("/sessions/s1/events", params={"actor": "ann"}).status_code == 404
        add(bot, "ann", "s2", turns(("user", "fresh")))  # the append deletes expired rows
        assert [s["session"] for s in bot.get("/sessions").json()] == ["s2"]
    assert emu.client.put(path, json={"retention_days": 0}).status_code == 400


def test_reset_forgets_all_memory(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        add(bot, "ann", "s1", turns(("user", "hello")))
        bot.put("/records", json={"namespace": "/facts", "text": "kept until a reset"})
        emu.client.put("/v1/memory/agents/bot/retention", json={"retention_days": 3})
        assert emu.client.post("/v1/admin/reset", timeout=120).status_code == 200
        assert bot.get("/sessions").json() == []
        assert bot.post("/search", json={"query": "reset"}).json() == []
        assert emu.client.get("/v1/memory/agents/bot/retention").json()["retention_days"] == 30


def records_of(client: httpx.Client, namespace: str, count: int) -> list[dict[str, Any]]:
    """The records of a namespace once extraction wrote ``count`` of them (it runs after
    the append has answered)."""
    deadline = time.monotonic() + 10
    while True:
        found: list[dict[str, Any]] = client.get("/records", params={"namespace": namespace}).json()
        if len(found) >= count or time.monotonic() > deadline:
            return sorted(found, key=lambda r: r["text"])
        time.sleep(0.05)


def test_extraction_strategies_write_records_through_the_offline_model(emu: Emu) -> None:
    path = "/v1/memory/agents/bot/strategies"
    assert emu.client.get(path).json() == {"strategies": [], "custom_prompt": None}
    r = emu.client.put(path, json={"strategies": ["facts", "summary", "preferences"]})
    assert r.json() == {"strategies": ["summary", "preferences", "facts"], "custom_prompt": None}
    bad = emu.client.put(path, json={"strategies": ["gossip"]})
    assert bad.status_code == 400
    assert "unknown extraction strategy 'gossip'" in bad.json()["error"]["message"]
    with admin(emu, "bot") as bot:
        first = add(bot, "ann", "s1", turns(
            ("user", "Hi there. I really like green tea! I work at Acme in Berlin."),
            ("assistant", "Nice to meet you."),
        ))  # fmt: skip
        add(bot, "ann", "s1", turns(("user", "My favourite city is Oslo. i really like GREEN tea")))
        prefs = records_of(bot, "/users/ann/preferences", 2)
        assert [p["text"] for p in prefs] == [
            "I really like green tea",
            "My favourite city is Oslo",
        ]
        assert prefs[0]["data"]["strategy"] == "preferences"
        assert prefs[0]["data"]["session"] == "s1"
        tea = prefs[0]["data"]["source_events"]  # said twice: one record, both sources
        assert len(tea) == 2
        assert tea[0] == first[0]["id"]
        facts = records_of(bot, "/users/ann/facts", 1)
        assert [f["text"] for f in facts] == ["I work at Acme in Berlin"]
        summary = records_of(bot, "/users/ann/summaries", 1)
        assert [(s["key"], s["text"]) for s in summary] == [("s1", "Hi there.")]
        hits = bot.post("/search", json={"query": "tea", "namespace": "/users/ann"}).json()
        assert [h["record"]["text"] for h in hits] == ["I really like green tea"]
    audit = emu.client.get("/v1/gateway/audit", params={"agent": "bot"}).json()
    assert {row["principal"] for row in audit} >= {"memory:summary", "memory:preferences"}


def test_branch_a_session_from_an_earlier_event(emu: Emu) -> None:
    with admin(emu, "bot") as bot:
        events = add(bot, "ann", "s1", turns(("user", "a"), ("assistant", "b"), ("user", "c")))
        body = {"actor": "ann", "from_event": events[1]["id"], "to_session": "s1-alt"}
        r = bot.post("/sessions/s1/branch", json=body)
        assert r.status_code == 200, r.text
        assert [e["text"] for e in r.json()] == ["a", "b"]
        add(bot, "ann", "s1-alt", turns(("user", "c, differently")))
        got = bot.get("/sessions/s1-alt/events", params={"actor": "ann"}).json()
        assert [e["text"] for e in got] == ["a", "b", "c, differently"]
        assert len(bot.get("/sessions/s1/events", params={"actor": "ann"}).json()) == 3
        again = bot.post("/sessions/s1/branch", json=body)
        assert again.status_code == 409
        assert "exists already" in again.json()["error"]["message"]
        body["to_session"], body["from_event"] = "s1-b", 10**6
        assert bot.post("/sessions/s1/branch", json=body).status_code == 404


def test_a_callers_token_reaches_no_memory(emu: Emu) -> None:
    from tests.emulator.test_identity import mint

    token = mint(emu, sub="alice", agent="bot", ttl=300)
    headers = {"Authorization": f"Bearer {token}"}
    with admin(emu, "bot") as bot:
        add(bot, "alice", "s1", turns(("user", "private")))
    for path in ("/v1/memory/agents/bot/sessions", BASE + "/sessions"):
        r = httpx.get(emu.url + path, headers=headers)
        assert r.status_code == 403, (path, r.text)


def test_a_custom_strategy_asks_its_own_prompt(emu: Emu) -> None:
    fixtures = emu.home / "gateway" / "fixtures.json"
    fixtures.parent.mkdir(exist_ok=True)
    rule = {"match": "List the user's goals", "answer": '["run a marathon", "learn Welsh"]'}
    fixtures.write_text(json.dumps([rule]))
    path = "/v1/memory/agents/bot/strategies"
    lone = emu.client.put(path, json={"strategies": ["custom"]})
    assert lone.status_code == 400
    assert "go together" in lone.json()["error"]["message"]
    body = {"strategies": ["custom"], "custom_prompt": "List the user's goals as JSON:"}
    assert emu.client.put(path, json=body).json() == body
    with admin(emu, "bot") as bot:
        add(bot, "ann", "g1", turns(("user", "This year I will run a marathon and learn Welsh.")))
        goals = records_of(bot, "/users/ann/custom", 2)
        assert [g["text"] for g in goals] == ["learn Welsh", "run a marathon"]
        assert goals[0]["data"]["strategy"] == "custom"
