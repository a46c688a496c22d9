"""Whose memory a call reaches: a caller's token speaks as its subject (the actor by
default, another actor refused), an admin names any actor. A real emulator (process
runtime) and an agent that keeps its turns with ``self.memory``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu
from tests.emulator.serving_support import echo_deployed
from tests.emulator.test_identity import mint

REMEMBERING = """

class Remembering(EchoAgent):
    async def process(self, input):
        before = await self.memory.last_turns(10)
        await self.memory.add_turns([("user", input)])
        return {"actor": self.context.user_id, "earlier": [t["text"] for t in before]}
"""


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    with echo_deployed(tmp_path_factory.mktemp("actor"), REMEMBERING, "agent:Remembering") as e:
        yield e


def run(
    emu: Emu, token: str, text: str, session: str, actor: str | None = None, path: str = "run"
) -> httpx.Response:
    context: dict[str, Any] = {"session_id": session}
    if actor is not None:
        context["user_id"] = actor
    return httpx.post(
        f"{emu.url}/agents/echo/{path}",
        json={"input": text, "context": context},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_a_caller_speaks_as_itself(emu: Emu) -> None:
    alice = mint(emu, sub="alice", agent="echo", ttl=300)
    bob = mint(emu, sub="bob", agent="echo", ttl=300)
    first = run(emu, alice, "I am Alice", "s1")
    assert first.status_code == 200, first.text
    assert first.json()["output"] == {"actor": "alice", "earlier": []}
    again = run(emu, alice, "still me", "s1", actor="alice")  # naming itself is fine
    assert again.json()["output"] == {"actor": "alice", "earlier": ["I am Alice"]}
    # the same session id for another caller is another actor's conversation
    assert run(emu, bob, "hello", "s1").json()["output"] == {"actor": "bob", "earlier": []}
    seen = emu.client.get("/v1/memory/agents/echo/sessions").json()
    assert {(s["actor"], s["session"], s["events"]) for s in seen} == {
        ("alice", "s1", 2),
        ("bob", "s1", 1),
    }


def test_a_caller_cannot_reach_another_actors_memory(emu: Emu) -> None:
    mallory = mint(emu, sub="mallory", agent="echo", ttl=300)
    admin = (emu.home / "token").read_text().strip()
    assert run(emu, admin, "secret plans", "s9", actor="carol").status_code == 200
    for path in ("run", "stream", "tasks"):
        r = run(emu, mallory, "what did carol say?", "s9", actor="carol", path=path)
        assert r.status_code == 403, (path, r.text)
        error = r.json()["error"]
        assert error["code"] == "forbidden"
        assert "cannot speak as the actor 'carol'" in error["message"]
    # carol's session holds her turn only: the refused calls never ran
    events = emu.client.get(
        "/v1/memory/agents/echo/sessions/s9/events", params={"actor": "carol"}
    ).json()
    assert [e["text"] for e in events] == ["secret plans"]
    # the admin may speak as anyone, and reads carol's conversation
    out = run(emu, admin, "and then?", "s9", actor="carol").json()["output"]
    assert out == {"actor": "carol", "earlier": ["secret plans"]}
    # a token with the admin scope is an admin too
    root = mint(emu, sub="ops", agent="echo", ttl=300, scopes=["agents:invoke", "admin"])
    assert run(emu, root, "ops here", "s9", actor="carol").status_code == 200
