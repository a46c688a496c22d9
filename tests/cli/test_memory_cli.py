"""Memory end to end: an agent deployed on the process runtime remembers the turns of a
session across two `nexus ai agent run … --session S` calls through ``self.memory``;
`nexus ai agent memory sessions|show|search|records|delete` read and clear it."""

from __future__ import annotations

import json
import time

import pytest

from nexus.ai import Client
from tests.cli.cli_support import Platform, make_project

AGENT = '''"""Answers with what the user said earlier in the session."""

from nexus.ai.agents import Agent


class Memtest(Agent):
    async def process(self, input: str):
        before = await self.memory.last_turns(10)
        await self.memory.add_turns([("user", input), ("assistant", "noted")])
        if input.startswith("remember "):
            await self.memory.put(f"/users/{self.context.user_id}/facts", input[9:])
        hits = await self.memory.search(input) if input.startswith("recall ") else []
        return {
            "earlier": [t["text"] for t in before if t["role"] == "user"],
            "actor": self.context.user_id,
            "found": [h["record"]["text"] for h in hits],
        }
'''


@pytest.fixture(scope="module")
def memtest(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = make_project(tmp_path_factory.mktemp("mem") / "memtest", "memtest", platform.env)
    (root / "agent.py").write_text(AGENT)
    result = platform("ai", "agent", "deploy", "--env", "development", cwd=root)
    assert result.code == 0, result.out
    return "memtest"


def run(platform: Platform, *args: str) -> dict[str, object]:
    result = platform("--json", "ai", "agent", "run", "memtest", *args)
    assert result.code == 0, result.out
    output: dict[str, object] = json.loads(result.stdout)["output"]
    return output


def test_an_agent_remembers_a_session_across_runs(platform: Platform, memtest: str) -> None:
    first = run(platform, "my name is Ann", "--session", "s1", "--actor", "ann")
    assert first == {"earlier": [], "actor": "ann", "found": []}
    second = run(platform, "what is my name?", "--session", "s1", "--actor", "ann")
    assert second["earlier"] == ["my name is Ann"]
    # another session, another actor: nothing remembered
    assert run(platform, "hello", "--session", "s2", "--actor", "ann")["earlier"] == []
    assert run(platform, "hi", "--session", "s1", "--actor", "bob")["earlier"] == []
    # the client's run takes the same session and actor
    client = Client(platform.emulator.url(platform.emulator.port), platform.emulator.token())
    third = client.agents.run(memtest, "and now?", session_id="s1", actor_id="ann")
    assert third["output"]["earlier"] == ["my name is Ann", "what is my name?"]
    run(platform, "remember Ann likes green tea", "--session", "s1", "--actor", "ann")
    found = run(platform, "recall green tea", "--session", "s3", "--actor", "ann")["found"]
    assert found == ["Ann likes green tea"]


def test_memory_commands(platform: Platform, memtest: str) -> None:
    run(platform, "first words", "--session", "c1", "--actor", "cat")
    run(platform, "remember cat naps at noon", "--session", "c1", "--actor", "cat")
    sessions = json.loads(platform("ai", "agent", "memory", "sessions", memtest, "--json").stdout)
    assert ("cat", "c1", 4) in {(s["actor"], s["session"], s["events"]) for s in sessions}
    table = platform("ai", "agent", "memory", "sessions", memtest, "--actor", "cat")
    assert table.code == 0, table.out
    assert "c1" in table.stdout
    assert "s1" not in table.stdout
    shown = platform("ai", "agent", "memory", "show", memtest, "c1")
    assert shown.code == 0, shown.out
    assert "user: first words" in shown.stdout
    assert "assistant: noted" in shown.stdout
    events = json.loads(platform("ai", "agent", "memory", "show", memtest, "c1", "--json").stdout)
    assert [e["text"] for e in events][:2] == ["first words", "noted"]
    hits = platform("ai", "agent", "memory", "search", memtest, "naps noon", "--json")
    assert [h["record"]["text"] for h in json.loads(hits.stdout)] == ["cat naps at noon"]
    table = platform("ai", "agent", "memory", "search", memtest, "naps", "-n", "/users/cat")
    assert "cat naps at noon" in table.stdout
    records = platform("ai", "agent", "memory", "records", memtest, "--namespace", "/users/cat")
    assert "/users/cat/facts" in records.stdout
    gone = platform("ai", "agent", "memory", "delete", memtest, "--session", "c1")
    assert gone.code == 0, gone.out
    assert "Deleted session c1 (4 events)." in gone.stdout
    missing = platform("ai", "agent", "memory", "show", memtest, "c1")
    assert missing.code == 2
    assert "no session 'c1'" in missing.stderr
    actor = platform("ai", "agent", "memory", "delete", memtest, "--actor", "cat", "--json")
    assert json.loads(actor.stdout)["deleted_records"] == 1


def test_memory_command_errors(platform: Platform, memtest: str) -> None:
    empty = platform("ai", "agent", "memory", "search", memtest, "   ")
    assert empty.code == 2
    assert "empty" in empty.stderr
    both = platform("ai", "agent", "memory", "delete", memtest, "--record", "1", "--actor", "a")
    assert both.code == 2
    assert "one of --session" in both.stderr
    bad_ns = platform("ai", "agent", "memory", "records", memtest, "--namespace", "nope")
    assert bad_ns.code == 2
    assert "bad namespace" in bad_ns.stderr
    assert platform("ai", "agent", "memory", "delete", memtest, "--record", "999").code == 2


def test_memory_outside_a_deployment_says_why() -> None:
    import asyncio

    from nexus.ai.memory import AgentMemoryError, Memory

    with pytest.raises(AgentMemoryError, match="no platform to ask: memory calls"):
        asyncio.run(Memory().put("/facts", "x"))


def test_memory_settings(platform: Platform, memtest: str) -> None:
    shown = platform("ai", "agent", "memory", "settings", memtest)
    assert shown.code == 0, shown.out
    assert "retention   30 days" in shown.stdout
    assert "strategies  none" in shown.stdout
    changed = platform("ai", "agent", "memory", "settings", memtest, "--retention-days", "7",
                       "--strategies", "facts,summary", "--json")  # fmt: skip
    assert json.loads(changed.stdout) == {
        "agent": memtest,
        "retention_days": 7.0,
        "strategies": ["summary", "facts"],
        "custom_prompt": None,
        "vectors": False,
        "embedding_model": "nexus-offline-embed",
    }
    unknown = platform("ai", "agent", "memory", "settings", memtest, "--embedding-model", "nope")
    assert unknown.code == 2, unknown.out
    assert "no embedding model for the memory of" in unknown.stderr
    run(platform, "I work at Acme in Berlin.", "--session", "f1", "--actor", "dan")
    facts: list[str] = []
    for _ in range(100):
        listed = platform("ai", "agent", "memory", "records", memtest, "-n", "/users/dan/facts",
                          "--json")  # fmt: skip
        facts = [r["text"] for r in json.loads(listed.stdout)]
        if facts:
            break
    assert facts == ["I work at Acme in Berlin"]
    bad = platform("ai", "agent", "memory", "settings", memtest, "--strategies", "gossip")
    assert bad.code == 2
    assert "unknown extraction strategy" in bad.stderr
    custom = platform("ai", "agent", "memory", "settings", memtest, "--strategies", "custom",
                      "--custom-prompt", "List the goals:")  # fmt: skip
    assert "custom      List the goals:" in custom.stdout, custom.out
    lone = platform("ai", "agent", "memory", "settings", memtest, "--custom-prompt", "x")
    assert lone.code == 2
    off = platform("ai", "agent", "memory", "settings", memtest, "--strategies", "none")
    assert "strategies  none" in off.stdout


def test_stream_and_async_runs_continue_a_session(platform: Platform, memtest: str) -> None:
    streamed = platform("ai", "agent", "run", memtest, "streamed words", "--stream",
                        "--session", "st", "--actor", "eve")  # fmt: skip
    assert streamed.code == 0, streamed.out
    queued = platform("--json", "ai", "agent", "run", memtest, "queued words", "--async",
                      "--session", "st", "--actor", "eve")  # fmt: skip
    assert queued.code == 0, queued.out
    task = json.loads(queued.stdout)["task_id"]
    waited = platform("--json", "ai", "agent", "task", "status", task, "--wait")
    assert waited.code == 0, waited.out
    done = json.loads(waited.stdout)
    assert done["status"] == "succeeded", done
    assert done["result"]["earlier"] == ["streamed words"], done


def test_vector_search_from_the_cli(platform: Platform) -> None:
    import httpx

    emulator = platform.emulator
    admin = httpx.Client(
        base_url=emulator.url(emulator.port) + "/v1/memory/agents/vecmem",
        headers={"Authorization": f"Bearer {emulator.token()}"},
    )
    for text in ("Ann walks her dog every morning", "Bob keeps two dogs at home"):
        r = admin.put("/records", json={"namespace": "/users/ann/facts", "text": text})
        assert r.status_code == 200, r.text
    on = platform("ai", "agent", "memory", "settings", "vecmem", "--vectors", "on")
    assert on.code == 0, on.out
    assert "vectors     on" in on.stdout
    for _ in range(200):  # the records written before are embedded in the background
        status = admin.get("/vectors").json()
        if status["embedded"] == status["records"] == 2:
            break
        time.sleep(0.05)
    assert status["embedded"] == 2, status
    found = platform("--json", "ai", "agent", "memory", "search", "vecmem", "walking the dogs",
                     "--mode", "vector", "-k", "2")  # fmt: skip
    assert found.code == 0, found.out
    hits = json.loads(found.stdout)
    assert [h["record"]["text"] for h in hits] == [
        "Ann walks her dog every morning",
        "Bob keeps two dogs at home",
    ]
    assert all(h["score"] == h["vector_score"] for h in hits)
    hybrid = platform("ai", "agent", "memory", "search", "vecmem", "walking the dogs")
    assert hybrid.code == 0, hybrid.out
    assert hybrid.stdout.index("Bob keeps") < hybrid.stdout.index("Ann walks")  # words count too
    bad = platform("ai", "agent", "memory", "search", "vecmem", "dogs", "--mode", "fuzzy")
    assert bad.code == 2
    assert "--mode is text, vector or hybrid" in bad.stderr
    off = platform("ai", "agent", "memory", "settings", "vecmem", "--vectors", "off")
    assert "vectors     off" in off.stdout
    refused = platform("ai", "agent", "memory", "search", "vecmem", "dogs", "--mode", "vector")
    assert refused.code == 2
    assert "vector search is off" in refused.stderr
