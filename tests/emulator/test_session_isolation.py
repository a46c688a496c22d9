"""deploy --isolation session: each session id gets a fresh replica of its own (a container
on Docker), so two sessions see neither each other's files nor each other's processes;
calls of one session reuse its replica; ``session stop`` destroys it; an idle session ends
by itself; a call without a session goes to the shared replicas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.runtime_support import until

FILES = """
import os, socket, subprocess, sys, time

def marked():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\\0")
        except OSError:
            continue
        found += [a.decode() for a in args if a.startswith(b"mark-")]
    return sorted(found)

class Files(EchoAgent):
    async def process(self, input):
        if input.startswith("write:"):
            with open("/tmp/mark-" + input[6:], "w") as f:  # the root filesystem is read-only
                f.write("x")
            sleeper = "import time; time.sleep(600)"
            subprocess.Popen([sys.executable, "-c", sleeper, "mark-" + input[6:]])
            for _ in range(500):  # until the child runs under its own command line
                if marked():
                    break
                time.sleep(0.02)
        return {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "tmp": sorted(n for n in os.listdir("/tmp") if n.startswith("mark-")),
            "procs": marked(),
        }
"""


@pytest.fixture
def isolated(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    extra = {"NEXUS_SESSION_IDLE": "600"}
    with running_emulator(tmp_path, free_port, "docker", extra) as emu:
        deploy_files(emu, tmp_path)
        yield emu


def deploy_files(emu: Emu, tmp_path: Path) -> None:
    """The FILES agent, deployed with one replica per session."""
    events = emu.deploy(
        "files",
        write_agent(tmp_path / "files", extra=FILES),
        isolation="session",
        project={"entrypoint": "agent:Files", "version": None},
    )
    assert events[-1]["event"] == "result", events


def call(emu: Emu, text: str, session: str | None) -> dict[str, Any]:
    headers = {"X-Nexus-Session-Id": session} if session else {}
    r = emu.client.post("/agents/files/run", json={"input": text}, headers=headers)
    assert r.status_code == 200, r.text
    output: dict[str, Any] = r.json()["output"]
    return output


def containers(emu: Emu) -> set[str]:
    import docker

    client = docker.from_env()
    try:
        found = client.containers.list(filters={"name": "nexus-files-"})
        return {c.id for c in found}
    finally:
        client.close()


@pytest.mark.docker
def test_two_sessions_run_apart_and_stop_destroys_a_session(isolated: Emu) -> None:
    tag = os.urandom(4).hex()
    a = call(isolated, f"write:{tag}", "session-a")
    b = call(isolated, "look", "session-b")
    assert a["host"] != b["host"], (a, b)  # two replicas
    assert a["tmp"] == [f"mark-{tag}"], a
    assert b["tmp"] == [], b  # session-a's file is not in session-b's /tmp
    assert a["procs"] == [f"mark-{tag}"], a  # the process session-a started
    assert b["procs"] == [], b  # is not among session-b's
    again = call(isolated, "look", "session-a")
    assert again["host"] == a["host"], again  # the same replica, its file still there
    assert again["tmp"] == [f"mark-{tag}"], again
    shared = call(isolated, "look", None)
    assert shared["host"] not in {a["host"], b["host"]}, shared
    assert shared["tmp"] == [], shared

    answer = isolated.client.get("/v1/agents/files/sessions")
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert sorted(s["id"] for s in listed) == ["session-a", "session-b"], listed
    before = containers(isolated)
    ids = {s["id"]: s["replica"]["id"] for s in listed}
    assert {ids["session-a"], ids["session-b"]} <= before, (ids, before)

    stopped = isolated.client.delete("/v1/agents/files/sessions/session-a")
    assert stopped.status_code == 200, stopped.text
    until("session-a's container is gone", lambda: ids["session-a"] not in containers(isolated), 60)
    assert ids["session-b"] in containers(isolated)
    left = isolated.client.get("/v1/agents/files/sessions").json()
    assert [s["id"] for s in left] == ["session-b"], left
    missing = isolated.client.delete("/v1/agents/files/sessions/session-a")
    assert missing.status_code == 404, missing.text

    fresh = call(isolated, "look", "session-a")  # the same id again: a new, empty replica
    assert fresh["host"] != a["host"], fresh
    assert fresh["tmp"] == [], fresh
    assert fresh["procs"] == [], fresh


@pytest.mark.docker
def test_an_idle_session_ends_by_itself(tmp_path: Path, free_port: int) -> None:
    extra = {"NEXUS_SESSION_IDLE": "1"}
    with running_emulator(tmp_path, free_port, "docker", extra) as emu:
        deploy_files(emu, tmp_path)
        call(emu, "look", "brief")
        replica = emu.client.get("/v1/agents/files/sessions").json()[0]["replica"]["id"]
        until("the idle session is destroyed", lambda: replica not in containers(emu), 60)
        assert emu.client.get("/v1/agents/files/sessions").json() == []
