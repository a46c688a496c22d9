"""Deployed agents for memory tests, and a call of an actor held in flight, so the
SDK's memory clients run in this process as a replica's code does while serving it:
the platform binds memory calls to the actor of the call their request id names
(emulator/nexus_emulator/serving.py).

``held_call(emu, root, agent, actor)`` deploys (once per agent) a holder agent on the
emulator's process runtime, relays a call of ``actor`` with a request id chosen here,
waits until the holder runs it, sets this thread's request Context to that call, and
releases the call on exit."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from nexus.ai.agents._context import Context, _current
from tests.emulator.conftest import Emu, running_emulator, write_agent

HOLDER = """

import asyncio
import pathlib


class Holder(EchoAgent):
    async def process(self, input):
        pathlib.Path(self.context.context["started"]).touch()
        release = pathlib.Path(self.context.context["release"])
        while not release.exists():
            await asyncio.sleep(0.02)
        return "released"
"""


@contextmanager
def echo_deployed(root: Path, extra: str, entrypoint: str) -> Iterator[Emu]:
    """An emulator (process runtime, a free port) serving the agent ``echo`` of
    conftest's agent code plus ``extra``, from ``entrypoint``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with running_emulator(root, port, "process") as e:
        project = write_agent(root / "echo", extra=extra)
        events = e.deploy("echo", project, project={"entrypoint": entrypoint})
        assert events[-1]["event"] == "result", events
        yield e


def deploy_holder(emu: Emu, root: Path, agent: str) -> None:
    project = write_agent(root / f"holder-{agent}", extra=HOLDER)
    events = emu.deploy(agent, project, project={"entrypoint": "agent:Holder"})
    assert events[-1]["event"] == "result", events


@contextmanager
def held_call(emu: Emu, root: Path, agent: str, actor: str) -> Iterator[str]:
    """A call of ``actor`` to ``agent`` in flight (its request id yielded), this thread's
    Context set to it."""
    if not emu.client.get(f"/v1/agents/{agent}").is_success:
        deploy_holder(emu, root, agent)
    request_id = f"held-{uuid.uuid4().hex}"
    started, release = root / f"{request_id}.started", root / f"{request_id}.release"
    answers: list[httpx.Response] = []
    context = {"user_id": actor, "session_id": "held"}
    body = {
        "input": "hold",
        "context": {**context, "started": str(started), "release": str(release)},
    }
    headers = {**emu.client.headers, "X-Nexus-Request-Id": request_id}

    def call() -> None:
        url = f"{emu.url}/agents/{agent}/run"
        answers.append(httpx.post(url, json=body, headers=headers, timeout=300))

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not started.exists():
        assert not answers, answers[0].text  # it answered before it was held
        assert time.monotonic() < deadline, "the held call never reached its replica"
        time.sleep(0.02)
    token = _current.set(Context(request_id=request_id, session_id="held", user_id=actor))
    try:
        yield request_id
    finally:
        _current.reset(token)
        release.touch()
        thread.join(timeout=120)
        assert answers, "the held call did not end"
        assert answers[0].status_code == 200, answers[0].text
