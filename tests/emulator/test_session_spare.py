"""Session replicas on Docker, beyond their isolation (test_session_isolation.py): the warm
spare a session-isolated environment keeps goes to one new session and is then replaced by
a fresh one, never shared; a redeploy retires it, gc leaves it (and stops a session
replica nothing tracks), delete removes it; and a session whose container is killed gets
a fresh one on its next call (its state lost, and said so) instead of an error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.runtime_support import until
from tests.emulator.test_session_isolation import FILES, call


def containers(emu: Emu) -> set[str]:
    """The agent's containers of this emulator's home (parallel tests run agents of the
    same name on the same engine)."""
    import docker
    from nexus_emulator.runtime.base import LABEL_HOME

    client = docker.from_env()
    try:
        mine = f"{LABEL_HOME}={emu.home.resolve()}"
        found = client.containers.list(filters={"name": "nexus-files-", "label": mine})
        return {c.id for c in found}
    finally:
        client.close()


def spare(emu: Emu) -> str | None:
    env = emu.client.get("/v1/agents/files").json()["environments"][0]
    found = env.get("session_spare")
    return found["id"] if found and found["state"] == "healthy" else None


def session(emu: Emu, sid: str) -> dict[str, Any]:
    listed = emu.client.get("/v1/agents/files/sessions").json()
    found: dict[str, Any] = next(s for s in listed if s["id"] == sid)
    return found


def stray_session_replica(emu: Emu) -> str:
    """A container labelled as a session replica of this emulator's home (as one left by a
    start cut short would be), which the emulator does not track."""
    import docker
    from nexus_emulator.runtime.base import (
        LABEL_AGENT,
        LABEL_ENV,
        LABEL_HOME,
        LABEL_REPLICA,
        LABEL_REVISION,
    )

    client = docker.from_env()
    try:
        image = client.containers.get(next(iter(containers(emu)))).image.id
        labels = {
            LABEL_AGENT: "files",
            LABEL_ENV: "development",
            LABEL_REVISION: "1",
            LABEL_REPLICA: "100777",
            LABEL_HOME: str(emu.home.resolve()),
        }
        made = client.containers.run(
            image,
            ["sleep", "600"],
            name=f"nexus-files-stray-{os.urandom(3).hex()}",
            labels=labels,
            detach=True,
            user="10001",
        )
        return str(made.id)
    finally:
        client.close()


def deploy(emu: Emu, tmp_path: Path, tag: str) -> None:
    events = emu.deploy(
        "files",
        write_agent(tmp_path / f"files-{tag}", tag=tag, extra=FILES),
        isolation="session",
        project={"entrypoint": "agent:Files", "version": None},
    )
    assert events[-1]["event"] == "result", events


@pytest.fixture
def isolated(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "docker", {"NEXUS_SESSION_IDLE": "600"}) as emu:
        deploy(emu, tmp_path, "v1")
        yield emu


@pytest.mark.docker
def test_the_spare_goes_to_one_session_and_a_fresh_one_replaces_it(
    isolated: Emu, tmp_path: Path
) -> None:
    first = until("a spare is ready", lambda: spare(isolated), 90)
    assert first in containers(isolated)
    tag = os.urandom(4).hex()
    a = call(isolated, f"write:{tag}", "session-a")
    assert session(isolated, "session-a")["replica"]["id"] == first  # it took the spare
    second = until("a fresh spare", lambda: (s := spare(isolated)) != first and s, 90)
    b = call(isolated, "look", "session-b")
    assert session(isolated, "session-b")["replica"]["id"] == second
    assert session(isolated, "session-a")["replica"]["id"] == first  # a keeps its own
    assert a["host"] != b["host"], (a, b)
    assert a["tmp"] == [f"mark-{tag}"], a
    assert a["procs"] == [f"mark-{tag}"], a
    assert b["tmp"] == [], b  # nothing of session-a's files in session-b's
    assert b["procs"] == [], b  # nor of its processes

    third = until("a spare after session-b's", lambda: spare(isolated) not in (None, second), 90)
    assert third
    stray = stray_session_replica(isolated)  # of this home, tracked by nothing
    gc = isolated.client.post("/v1/admin/gc")
    assert gc.status_code == 200, gc.text
    assert gc.json()["replicas"] == [stray], gc.json()  # the spare and both sessions stay
    left = containers(isolated)
    assert stray not in left, left
    assert {first, second, spare(isolated)} <= left, left

    old = spare(isolated)
    deploy(isolated, tmp_path, "v2")  # a redeploy retires the spare of the old version
    until("the old spare is gone", lambda: old not in containers(isolated), 60)
    new = until("a spare of the new version", lambda: spare(isolated) not in (None, old), 90)
    assert new
    gone = isolated.client.delete("/v1/agents/files")
    assert gone.status_code == 200, gone.text
    until("no container of the agent left", lambda: not containers(isolated), 60)


@pytest.mark.docker
def test_a_killed_session_replica_is_replaced_on_the_next_call(isolated: Emu) -> None:
    import docker

    tag = os.urandom(4).hex()
    before = call(isolated, f"write:{tag}", "kept")
    assert before["tmp"] == [f"mark-{tag}"], before
    replica = session(isolated, "kept")["replica"]["id"]
    client = docker.from_env()
    try:
        client.containers.get(replica).kill()
    finally:
        client.close()

    after = call(isolated, "look", "kept")  # answered, by a fresh replica
    assert after["host"] != before["host"], after
    assert after["tmp"] == [], after  # its state is lost
    assert after["procs"] == [], after
    found = session(isolated, "kept")
    assert found["replica"]["id"] != replica, found
    assert found["lost"] == 1, found
    assert found["lost_at"], found
    log = (isolated.home / "test-emulator.log").read_text()
    assert "session kept of files: its replica" in log, log[-3000:]
    assert "was lost" in log, log[-3000:]
    again = call(isolated, "look", "kept")
    assert again["host"] == after["host"], again  # the fresh one serves the session now
