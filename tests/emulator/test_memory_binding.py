"""A replica's memory calls are bound to the actor of the call it serves: a real
emulator (process runtime) relays calls of two actors to a deployed agent whose code
tries to reach other actors' memory with its workload token; the platform refuses
(403) or leaves out what is not that actor's, and a request id once its call ended,
or one never relayed, reaches no actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu
from tests.emulator.serving_support import echo_deployed
from tests.emulator.test_api_credentials import workload_of
from tests.emulator.test_identity import mint

PROBER = """

from nexus.ai.memory import AgentMemoryError


class Prober(EchoAgent):
    async def process(self, input):
        me, out = self.context.user_id, {"actor": self.context.user_id}

        async def attempt(name, call):
            try:
                answer = await call
            except AgentMemoryError as exc:
                out[name] = exc.status
                return
            if isinstance(answer, list):
                answer = sorted((a.get("record") or a).get("text") or a.get("session") or ""
                                for a in answer)
            out[name] = answer if isinstance(answer, list) else "ok"

        await attempt("own turn", self.memory.add_turns([("user", input)]))
        await attempt("own turns", self.memory.last_turns(5))
        await attempt("own sessions", self.memory.sessions())
        await attempt("own record", self.memory.put(f"/users/{me}/facts", f"{me} likes tulips"))
        shared = self.memory.put("/agents/echo/notes", f"{me}: tulips need sun")
        await attempt("shared record", shared)
        await attempt("search", self.memory.search("tulips", top_k=10))
        await attempt("records", self.memory.records())
        await attempt("victim turn", self.memory.add_turns([("user", "x")], actor="victim"))
        await attempt("victim turns", self.memory.last_turns(5, actor="victim"))
        await attempt("victim sessions", self.memory.sessions(actor="victim"))
        await attempt("victim record", self.memory.put("/users/victim/facts", "planted"))
        await attempt("victim search", self.memory.search("tulips", namespace="/users/victim"))
        await attempt("victim get", self.memory.get(self.context.context["victim"]))
        return out
"""


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    with echo_deployed(tmp_path_factory.mktemp("binding"), PROBER, "agent:Prober") as e:
        yield e


def call(emu: Emu, token: str, actor: str | None, victim: str) -> dict[str, Any]:
    context: dict[str, Any] = {"session_id": "s1", "victim": victim}
    if actor is not None:
        context["user_id"] = actor
    r = httpx.post(
        f"{emu.url}/agents/echo/run",
        json={"input": "hello", "context": context},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()["output"]
    out["request_id"] = r.json()["metadata"]["request_id"]
    return out


def test_a_replica_reaches_the_served_actors_memory_only(emu: Emu) -> None:
    seeded = emu.client.put(
        "/v1/memory/agents/echo/records",
        json={"namespace": "/users/victim/facts", "text": "victim grows tulips"},
    )
    assert seeded.status_code == 200, seeded.text
    victim = seeded.json()["id"]
    admin = (emu.home / "token").read_text().strip()
    bob = mint(emu, sub="bob", agent="echo", ttl=300)
    refused = {
        "victim turn": 403,
        "victim turns": 403,
        "victim sessions": 403,
        "victim record": 403,
        "victim search": 403,
        "victim get": 404,  # another actor's record: as if there were none
    }
    alice = call(emu, admin, "alice", victim)  # the admin names the actor
    assert alice == {
        "actor": "alice",
        "own turn": ["hello"],
        "own turns": ["hello"],
        "own sessions": ["s1"],
        "own record": "ok",
        "shared record": "ok",
        "search": ["alice likes tulips", "alice: tulips need sun"],
        "records": ["alice likes tulips", "alice: tulips need sun"],
        **refused,
        "request_id": alice["request_id"],
    }
    by_bob = call(emu, bob, None, victim)  # a caller's token speaks as its subject
    assert by_bob["actor"] == "bob"
    # the agent's own namespaces are every actor's; /users/alice/… is not bob's
    shared = ["alice: tulips need sun", "bob likes tulips", "bob: tulips need sun"]
    assert by_bob["search"] == by_bob["records"] == shared
    assert by_bob["own turns"] == ["hello"]  # bob's session s1, not alice's
    assert {k: by_bob[k] for k in refused} == refused

    # the admin sees what each wrote; the victim's memory is as it was
    sessions = emu.client.get("/v1/memory/agents/echo/sessions").json()
    assert {(s["actor"], s["session"]) for s in sessions} == {("alice", "s1"), ("bob", "s1")}
    records = emu.client.get("/v1/memory/agents/echo/records").json()
    assert sorted(r["text"] for r in records) == [
        "alice likes tulips", "alice: tulips need sun", "bob likes tulips",
        "bob: tulips need sun", "victim grows tulips",
    ]  # fmt: skip

    # a call that ended, or was never relayed, binds nothing any more
    token = workload_of(emu, "echo")
    for request_id in (alice["request_id"], "made-up"):
        r = httpx.get(
            f"{emu.url}/v1/platform/memory/sessions/s1/events",
            params={"actor": "alice"},
            headers={"Authorization": f"Bearer {token}", "X-Nexus-Request-Id": request_id},
        )
        assert r.status_code == 403, r.text
        assert "it serves no call now" in r.json()["error"]["message"]


def test_a_task_and_a_stream_are_bound_to_their_actor(emu: Emu) -> None:
    """An async task (its id is the request id) and a stream reach their actor's memory."""
    from tests.emulator.test_api_tasks import wait_task

    victim = emu.client.put(
        "/v1/memory/agents/echo/records",
        json={"namespace": "/users/victim/facts", "text": "victim grows tulips"},
    ).json()["id"]
    body = {"input": "queued", "context": {"session_id": "t1", "user_id": "tess", "victim": victim}}
    submitted = emu.client.post("/agents/echo/tasks", json=body)
    assert submitted.status_code in (200, 202), submitted.text
    task = wait_task(emu, submitted.json()["task_id"], "succeeded", timeout=120)
    out = task["result"]
    assert out["actor"] == "tess"
    assert out["own turns"] == ["queued"]
    # other actors' records (the victim's, or alice's from another test) are left out
    assert [t for t in out["search"] if "likes" in t or "grows" in t] == ["tess likes tulips"]
    assert (out["victim turn"], out["victim get"]) == (403, 404)
    body = {
        "input": "streamed",
        "context": {"session_id": "t2", "user_id": "sam", "victim": victim},
    }
    with emu.client.stream("POST", "/agents/echo/stream", json=body) as r:
        text = "".join(r.iter_text())
    assert r.status_code == 200, text
    assert '"own turns": ["streamed"]' in text or '"own turns":["streamed"]' in text
    assert '"victim turn": 403' in text or '"victim turn":403' in text
