"""Async tasks: 202 then status with progress, signed webhooks with retries, cancel,
and a task that was running when the emulator died runs again."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nexus.ai import Client
from tests.emulator.conftest import Emu, start_emulator, write_agent
from tests.emulator.webhook_verify import verify

WORKER = """

class Worker(EchoAgent):
    async def process(self, input):
        import asyncio
        if input == "fail":
            raise ValueError("cannot do that")
        yield {"progress": 50}
        await asyncio.sleep(float(input))
        yield "done after " + str(input)
"""


class Hook:
    """A webhook receiver on loopback that answers 500 to its first ``fail_first`` calls."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(hook.calls) <= hook.fail_first else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook(fail_first=1)
    yield h
    h.server.shutdown()


def wait_task(emu: Emu, task_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = emu.client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] == status or time.monotonic() > deadline:
            assert task["status"] == status, task
            return dict(task)
        time.sleep(0.05)


def deploy_worker(emu: Emu, tmp_path: Path) -> None:
    project = write_agent(tmp_path / "w", extra=WORKER)
    events = emu.deploy("worker", project, project={"entrypoint": "agent:Worker"})
    assert events[-1]["event"] == "result", events


def test_submit_progress_result_and_signed_webhook(emu: Emu, tmp_path: Path, hook: Hook) -> None:
    deploy_worker(emu, tmp_path)
    r = emu.client.post("/agents/worker/tasks", json={"input": "1.0", "webhook": hook.url})
    assert r.status_code == 202, r.text
    task_id = r.json()["task_id"]
    assert r.json() == {"task_id": task_id, "status": "pending"}
    assert task_id.startswith("task_")
    running = wait_task(emu, task_id, "running")
    deadline = time.monotonic() + 10
    while running["progress"] != 50 and time.monotonic() < deadline:
        running = emu.client.get(f"/v1/tasks/{task_id}").json()
    assert running["progress"] == 50
    done = wait_task(emu, task_id, "succeeded")
    assert done["result"] == "done after 1.0"
    assert done["progress"] == 100
    assert done["attempt"] == 1

    deadline = time.monotonic() + 15  # the first delivery gets a 500, the retry a 204
    while len(hook.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hook.calls) == 2
    headers, body = hook.calls[-1]
    assert json.loads(body)["task_id"] == task_id
    assert json.loads(body)["status"] == "succeeded"
    secret = emu.client.get("/v1/agents/worker/webhook-secret").json()["secret"]
    assert secret.startswith("whsec_")
    verify(secret, headers, body)  # Standard Webhooks, checked by an independent verifier
    assert hook.calls[0][0]["webhook-id"] == headers["webhook-id"]  # the same on a retry
    deliveries = emu.client.get(f"/v1/tasks/{task_id}").json()["deliveries"]
    assert deliveries[0]["attempts"] == 2
    assert deliveries[0]["last_error"] == "HTTP 500"
    assert deliveries[0]["delivered_at"]

    failed = emu.client.post("/agents/worker/tasks", json={"input": "fail"}).json()
    bad = wait_task(emu, failed["task_id"], "failed")
    assert "cannot do that" in bad["error"]
    assert bad["result"] is None
    listed = emu.client.get("/v1/agents/worker/tasks").json()
    assert [t["task_id"] for t in listed][:2] == [failed["task_id"], task_id]
    assert emu.client.get("/v1/tasks/task_nope").status_code == 404

    # the SDK client, as the seed shows it
    client = Client(base_url=emu.url, token=(emu.home / "token").read_text().strip())
    response = client.agents.submit("worker", input="0.2")
    assert response["status"] == "pending"
    wait_task(emu, response["task_id"], "succeeded")
    status = client.agents.status(response["task_id"])
    assert status["status"] == "succeeded"
    assert status["progress"] == 100
    assert (
        emu.client.post("/agents/worker/tasks", json={"input": 1, "webhook": "ftp://x"}).status_code
        == 400
    )


def test_cancel_a_pending_task(emu: Emu, tmp_path: Path) -> None:
    deploy_worker(emu, tmp_path)
    first = emu.client.post("/agents/worker/tasks", json={"input": "2"}).json()["task_id"]
    second = emu.client.post("/agents/worker/tasks", json={"input": "0"}).json()["task_id"]
    wait_task(emu, first, "running")
    assert emu.client.get(f"/v1/tasks/{second}").json()["status"] == "pending"  # one replica
    metrics = emu.client.get("/v1/agents/worker/metrics").json()["environments"]["development"]
    assert metrics["queue_size"] == 1
    cancelled = emu.client.post(f"/v1/tasks/{second}/cancel").json()
    assert cancelled["status"] == "cancelled"
    wait_task(emu, first, "succeeded")
    time.sleep(0.5)
    assert emu.client.get(f"/v1/tasks/{second}").json()["status"] == "cancelled"
    again = emu.client.post(f"/v1/tasks/{second}/cancel")
    assert again.status_code == 400, again.text
    assert "already cancelled" in again.json()["error"]["message"]

    # deleting the agent cancels what it still had queued
    third = emu.client.post("/agents/worker/tasks", json={"input": "5"}).json()["task_id"]
    emu.client.delete("/v1/agents/worker")
    assert emu.client.get(f"/v1/tasks/{third}").json()["status"] == "cancelled"


def test_a_running_task_survives_kill_9(emu: Emu, tmp_path: Path) -> None:
    deploy_worker(emu, tmp_path)
    task_id = emu.client.post("/agents/worker/tasks", json={"input": "1.5"}).json()["task_id"]
    wait_task(emu, task_id, "running")
    emu.proc.send_signal(signal.SIGKILL)
    emu.proc.wait(timeout=10)
    again = start_emulator(emu.home, emu.port, emu.runtime)
    emu.proc, emu.client = again.proc, again.client
    done = wait_task(emu, task_id, "succeeded", timeout=60)
    assert done["attempt"] == 2
    assert done["result"] == "done after 1.5"
