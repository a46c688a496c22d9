"""A LangGraph agent gets Nexus memory by configuration only (``nexus_memory = True``):
deployed on the process runtime, its checkpoints continue a conversation per session and
actor across runs, and its store writes records that its searches find."""

from __future__ import annotations

import json

import pytest

from tests.cli.cli_support import Platform, make_project

AGENT = '''"""Answers with the earlier user turns of the thread and the notes found."""

import json
import uuid

from langgraph.config import get_store
from langgraph.graph import START, MessagesState, StateGraph

from nexus.ai.agents.adapters.langgraph import LangGraphAgent


async def answer(state: MessagesState, config) -> dict:
    store = get_store()
    user = config["configurable"]["user_id"]
    said = [m.content for m in state["messages"] if m.type == "human"]
    text = said[-1]
    notes = []
    if text.startswith("remember "):
        await store.aput(("users", user, "notes"), uuid.uuid4().hex, {"note": text[9:]})
    if text.startswith("recall "):
        found = await store.asearch(("users", user, "notes"), query=text[7:])
        notes = [item.value["note"] for item in found]
    reply = {"earlier": said[:-1], "user": user, "notes": notes}
    return {"messages": [("ai", json.dumps(reply))]}


def build() -> StateGraph:
    graph = StateGraph(MessagesState)
    graph.add_node("answer", answer)
    graph.add_edge(START, "answer")
    return graph


class GraphMem(LangGraphAgent):
    graph = build()
    nexus_memory = True
'''


@pytest.fixture(scope="module")
def graphmem(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = make_project(tmp_path_factory.mktemp("lg") / "graphmem", "graphmem", platform.env)
    (root / "agent.py").write_text(AGENT)
    toml = (root / "nexus.toml").read_text()
    toml = toml.replace("dependencies = []", 'dependencies = ["langgraph>=1.0"]')
    (root / "nexus.toml").write_text(toml.replace("agent:Graphmem", "agent:GraphMem"))
    result = platform("ai", "agent", "deploy", "--env", "development", cwd=root)
    assert result.code == 0, result.out
    return "graphmem"


def ask(platform: Platform, text: str, session: str, actor: str) -> dict[str, object]:
    result = platform("--json", "ai", "agent", "run", "graphmem", text, "--session", session,
                      "--actor", actor)  # fmt: skip
    assert result.code == 0, result.out
    reply: dict[str, object] = json.loads(json.loads(result.stdout)["output"])
    return reply


def test_checkpoints_continue_a_thread_per_session_and_actor(
    platform: Platform, graphmem: str
) -> None:
    assert ask(platform, "hello", "t1", "ann") == {"earlier": [], "user": "ann", "notes": []}
    second = ask(platform, "my name is Ann", "t1", "ann")
    assert second["earlier"] == ["hello"]
    assert ask(platform, "and now?", "t1", "ann")["earlier"] == ["hello", "my name is Ann"]
    assert ask(platform, "hi", "t2", "ann")["earlier"] == []  # another thread
    assert ask(platform, "hi", "t1", "bob")["earlier"] == []  # another actor's thread
    shown = platform("--json", "ai", "agent", "memory", "show", graphmem, "t1", "--actor", "ann")
    assert shown.code == 0, shown.out
    events = json.loads(shown.stdout)
    assert events
    assert all(isinstance(e["payload"], dict) and "lg" in e["payload"] for e in events)


def test_the_store_writes_records_its_search_finds(platform: Platform, graphmem: str) -> None:
    ask(platform, "remember I like green tea", "n1", "cy")
    ask(platform, "remember my bike is blue", "n1", "cy")
    found = ask(platform, "recall tea", "n2", "cy")
    assert found["notes"] == ["I like green tea"]
    assert ask(platform, "recall tea", "n3", "dee")["notes"] == []  # another actor's notes
    listed = platform("--json", "ai", "agent", "memory", "records", graphmem, "-n",
                      "/users/cy/notes")  # fmt: skip
    assert listed.code == 0, listed.out
    records = json.loads(listed.stdout)
    assert sorted(r["data"]["value"]["note"] for r in records) == [
        "I like green tea",
        "my bike is blue",
    ]
