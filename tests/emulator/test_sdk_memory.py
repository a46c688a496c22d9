"""The SDK's memory clients in this process against a real emulator's platform memory
API (the replica's platform file written by hand): ``nexus.ai.memory.Memory`` (what
``self.memory`` is), and NexusCheckpointer and NexusStore with a real LangGraph graph;
what reaches an actor's memory runs while a call of that actor is held in flight
(``serving_support.py``), as a replica's code serving it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.graph import START, MessagesState, StateGraph

from nexus.ai.agents.adapters.langgraph_memory import NexusCheckpointer, NexusStore
from nexus.ai.memory import AgentMemoryError, Memory
from tests.emulator.conftest import Emu, running_emulator
from tests.emulator.serving_support import held_call
from tests.emulator.test_api_credentials import workload_of


@pytest.fixture
def emu(tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        platform = tmp_path / "platform.json"
        token = workload_of(e, "lg")
        platform.write_text(json.dumps({"workload_token": token, "platform_url": e.url}))
        monkeypatch.setenv("NEXUS_PLATFORM_FILE", str(platform))
        yield e


def echo(state: MessagesState) -> dict[str, list[tuple[str, str]]]:
    said = [m.content for m in state["messages"] if m.type == "human"]
    return {"messages": [("ai", f"{len(said)}: {said[-1][:20]}")]}


def graph(saver: NexusCheckpointer) -> object:
    builder = StateGraph(MessagesState)
    builder.add_node("echo", echo)
    builder.add_edge(START, "echo")
    return builder.compile(checkpointer=saver)


def test_a_graph_checkpoints_lists_and_deletes_threads(emu: Emu) -> None:
    with held_call(emu, emu.home, "lg", "ann"):
        saver = NexusCheckpointer(actor="ann")
        app = graph(saver)
        config = {"configurable": {"thread_id": "th-1"}}
        app.invoke({"messages": [("user", "hello")]}, config)  # type: ignore[attr-defined]
        big = "x" * 150_000  # over one event's 64 KiB: written in parts
        out = asyncio.run(app.ainvoke({"messages": [("user", big)]}, config))  # type: ignore[attr-defined]
        assert out["messages"][-1].content == f"2: {'x' * 20}"
        state = app.get_state(config)  # type: ignore[attr-defined]
        assert [m.content for m in state.values["messages"]][:2] == ["hello", "1: hello"]
        assert len(state.values["messages"][2].content) == 150_000
        history = list(saver.list(config))
        assert len(history) >= 4
        ids = [h.config["configurable"]["checkpoint_id"] for h in history]
        assert ids == sorted(ids, reverse=True)  # newest first
        assert history[0].parent_config is not None
        assert history[0].parent_config["configurable"]["checkpoint_id"] == ids[1]
        inputs = list(saver.list(config, filter={"source": "input"}))
        assert len(inputs) == 2
        assert [h.config for h in saver.list(config, before=history[0].config, limit=1)] == [
            history[1].config
        ]
        # one checkpoint by id, and the other threads and actors see nothing of it
        older = saver.get_tuple(history[-1].config)
        assert older is not None
        assert older.config == history[-1].config
        with pytest.raises(AgentMemoryError, match="only while serving that actor's call"):
            NexusCheckpointer(actor="bob").get_tuple(config)  # the call served is ann's
        assert saver.get_tuple({"configurable": {"thread_id": "th-2"}}) is None
        events = emu.client.get(
            "/v1/memory/agents/lg/sessions/th-1/events", params={"actor": "ann"}
        ).json()
        assert len(events) > len(history)  # checkpoints, writes, and parts of the large one
        saver.delete_thread("th-1")
        assert saver.get_tuple(config) is None
        saver.delete_thread("th-1")  # already gone: nothing to do


def test_the_async_twins_answer_as_the_sync_methods(emu: Emu) -> None:
    with held_call(emu, emu.home, "lg", "ann"):
        saver = NexusCheckpointer(actor="ann")
        app = graph(saver)
        config: RunnableConfig = {"configurable": {"thread_id": "th-async"}}
        asyncio.run(app.ainvoke({"messages": [("user", "hi")]}, config))  # type: ignore[attr-defined]
        history = list(saver.list(config))
        assert history

        async def listed() -> list[CheckpointTuple]:
            return [found async for found in saver.alist(config, limit=2)]

        assert [h.config for h in asyncio.run(listed())] == [h.config for h in history[:2]]
        newest = asyncio.run(saver.aget_tuple(config))
        assert newest is not None
        assert newest.config == history[0].config
        asyncio.run(saver.adelete_thread("th-async"))
        assert saver.get_tuple(config) is None
        asyncio.run(saver.adelete_thread("th-async"))  # already gone: nothing to do


def test_the_store_puts_gets_searches_and_lists(emu: Emu) -> None:
    store = NexusStore()
    store.put(("memories", "ann"), "tea", {"food": "green tea", "rank": 1})
    store.put(("memories", "ann"), "bike", {"thing": "a blue bike", "rank": 2}, index=["thing"])
    store.put(("memories", "bob"), "tea", {"food": "black tea", "rank": 1})
    item = store.get(("memories", "ann"), "tea")
    assert item is not None
    assert item.value == {"food": "green tea", "rank": 1}
    assert item.namespace == ("memories", "ann")
    assert store.get(("memories", "ann"), "nothing") is None
    found = store.search(("memories", "ann"), query="tea")
    assert [(i.key, i.value["food"]) for i in found] == [("tea", "green tea")]
    assert found[0].score is not None
    assert found[0].score > 0
    assert [i.key for i in store.search(("memories",), query="blue bike")] == ["bike"]
    everyone = store.search(("memories",), filter={"rank": 1})
    assert sorted(i.value["food"] for i in everyone) == ["black tea", "green tea"]
    assert len(store.search(("memories",), limit=1)) == 1
    assert store.list_namespaces(prefix=("memories",)) == [
        ("memories", "ann"),
        ("memories", "bob"),
    ]
    assert store.list_namespaces(suffix=("bob",)) == [("memories", "bob")]
    assert store.list_namespaces(max_depth=1) == [("memories",)]
    store.delete(("memories", "ann"), "tea")
    assert store.get(("memories", "ann"), "tea") is None
    assert asyncio.run(store.aget(("memories", "bob"), "tea")) is not None
    # the records are the agent's memory records, seen from the CLI's side too
    records = emu.client.get("/v1/memory/agents/lg/records").json()
    assert sorted(r["namespace"] for r in records) == ["/memories/ann", "/memories/bob"]


def test_memory_lists_records_and_branches_a_session(emu: Emu) -> None:
    memory = Memory()

    async def sessions() -> None:
        added = await memory.add_turns(
            [("user", "a"), ("assistant", "b"), ("user", "c")], session="s1", actor="ann"
        )
        branched = await memory.branch(added[1]["id"], "s1-alt", session="s1", actor="ann")
        assert [e["text"] for e in branched] == ["a", "b"]
        await memory.add_turns([("user", "c, differently")], session="s1-alt", actor="ann")
        turns = await memory.last_turns(5, session="s1-alt", actor="ann")
        assert [t["text"] for t in turns] == ["a", "b", "c, differently"]
        with pytest.raises(AgentMemoryError, match="exists already"):
            await memory.branch(added[1]["id"], "s1-alt", session="s1", actor="ann")
        await memory.put("/users/ann/facts", "Ann rows on Sundays")  # ann's call: hers

    async def records() -> None:
        # outside a request the actor is "anonymous": /users/ann/… is not its own
        with pytest.raises(AgentMemoryError, match="belongs to actor ann"):
            await memory.put("/users/ann/facts", "Ann rows on Sundays")
        await memory.put("/team/ann/facts", "Ann rows on Sundays", key="rowing")
        await memory.put("/team/ann/facts", "Ann reads sci-fi", key="books")
        await memory.put("/team/ann/preferences", "Ann likes rowing boats", key="rowing")
        everything = await memory.records()
        assert len(everything) == 3
        facts = await memory.records("/team/ann/facts")
        assert sorted(r["key"] for r in facts) == ["books", "rowing"]
        keyed = await memory.records("/team/ann", key="rowing")
        assert sorted(r["namespace"] for r in keyed) == [
            "/team/ann/facts",
            "/team/ann/preferences",
        ]
        assert len(await memory.records(limit=1)) == 1

    with held_call(emu, emu.home, "lg", "ann"):
        asyncio.run(sessions())
    asyncio.run(records())
