"""Task submissions with an Idempotency-Key, and the task id and attempt in the agent's
Context (tasks are at least once: a task cut short by kill -9 runs again as attempt 2)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import Emu, running_emulator, start_emulator, write_agent

KEYED = """

class Keyed(EchoAgent):
    async def process(self, input):
        import asyncio
        await asyncio.sleep(float(input))
        return {"task_id": self.context.task_id, "attempt": self.context.attempt}
"""


@pytest.fixture
def emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        events = e.deploy(
            "keyed",
            write_agent(tmp_path / "keyed", extra=KEYED),
            project={"entrypoint": "agent:Keyed", "version": None},
        )
        assert events[-1]["event"] == "result", events
        yield e


def submit(emu: Emu, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return emu.client.post("/agents/keyed/tasks", json=body, headers=headers)


def wait_done(emu: Emu, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task: dict[str, Any] = emu.client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] not in ("pending", "running"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not end: {task}")


def test_idempotency_key(emu: Emu) -> None:
    first = submit(emu, {"input": "0"}, "order-1")
    assert first.status_code == 202, first.text
    task_id = first.json()["task_id"]
    again = submit(emu, {"input": "0"}, "order-1")
    assert again.status_code == 202, again.text
    assert again.json()["task_id"] == task_id
    assert again.headers["idempotent-replayed"] == "true"

    other = submit(emu, {"input": "1"}, "order-1")
    assert other.status_code == 422, other.text
    error = other.json()["error"]
    assert error["code"] == "usage"
    assert task_id in error["message"]
    assert submit(emu, {"input": "0"}, "order-2").json()["task_id"] != task_id
    assert submit(emu, {"input": "0"}, None).json()["task_id"] != task_id

    with ThreadPoolExecutor(16) as pool:  # one key sent at once from many callers: one task
        answers = list(pool.map(lambda _: submit(emu, {"input": "0"}, "burst"), range(32)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["task_id"] for a in answers}) == 1
    tasks = emu.client.get("/v1/agents/keyed/tasks", params={"limit": 500}).json()
    assert len(tasks) == 4

    done = wait_done(emu, task_id)
    assert done["result"] == {"task_id": task_id, "attempt": 1}


def test_a_task_cut_short_runs_again_with_the_next_attempt(emu: Emu) -> None:
    task_id = submit(emu, {"input": "3"}, None).json()["task_id"]
    deadline = time.monotonic() + 20
    while emu.client.get(f"/v1/tasks/{task_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    emu.proc.send_signal(signal.SIGKILL)
    emu.proc.wait(timeout=10)
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client
    done = wait_done(emu, task_id)
    assert done["status"] == "succeeded", done
    assert done["result"] == {"task_id": task_id, "attempt": 2}
    assert done["attempt"] == 2


def test_a_task_out_of_attempts_is_dead_then_retried(emu: Emu) -> None:
    bad = submit(emu, {"input": "1", "timeout": 0}, None)
    assert bad.status_code == 400, bad.text
    assert "timeout must be a number of seconds from 1 to 28800" in bad.text

    task_id = submit(emu, {"input": "5", "timeout": 1}, None).json()["task_id"]
    dead = wait_done(emu, task_id)
    assert dead["status"] == "dead", dead
    assert dead["attempt"] == 3
    assert "timed out after 1 s" in dead["error"]
    assert "dead after 3 attempts" in dead["error"]
    listed = emu.client.get("/v1/agents/keyed/tasks", params={"status": "dead"}).json()
    assert [t["task_id"] for t in listed] == [task_id]
    assert emu.client.get("/v1/agents/keyed/tasks", params={"status": "zombie"}).status_code == 400

    again = emu.client.post(f"/v1/tasks/{task_id}/retry")
    assert again.status_code == 200, again.text
    assert again.json()["status"] in ("pending", "running")
    refused = emu.client.post(f"/v1/tasks/{task_id}/retry")
    assert refused.status_code == 400, refused.text
    assert "only dead, failed or cancelled tasks are retried" in refused.json()["error"]["hint"]
    assert wait_done(emu, task_id)["status"] == "dead"


def test_a_per_agent_retry_limit(emu: Emu, tmp_path: Path) -> None:
    """deploy max_attempts=1: a task cut short once is dead; status says the limit."""
    events = emu.deploy(
        "keyed",
        write_agent(tmp_path / "keyed", extra=KEYED),
        max_attempts=1,
        project={"entrypoint": "agent:Keyed", "version": None},
    )
    assert events[-1]["event"] == "result", events
    env = emu.client.get("/v1/agents/keyed").json()["environments"][0]
    assert env["max_attempts"] == 1
    task_id = submit(emu, {"input": "5", "timeout": 1}, None).json()["task_id"]
    dead = wait_done(emu, task_id)
    assert dead["status"] == "dead", dead
    assert dead["attempt"] == 1
    assert "dead after 1 attempts" in dead["error"]
    bad = emu.client.post(
        "/v1/agents/keyed/deployments", json={"image": "x", "max_attempts": 0}, timeout=30
    )
    assert bad.status_code == 400, bad.text
    assert "body.max_attempts: Input should be greater than or equal to 1" in bad.text
