"""Task webhooks as Standard Webhooks: rotation signs with both secrets, Retry-After is
honoured, 410 disables the endpoint, webhook URLs are checked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.conftest import Emu, running_emulator, write_agent
from tests.emulator.webhook_verify import Invalid, verify


class Receiver:
    """Answers each delivery with the next (status, headers) of ``script``, then 204."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.calls: list[tuple[float, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.calls.append((time.monotonic(), headers, body))
                status, extra = script.pop(0) if script else (204, {})
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.calls) >= count, self.calls


@pytest.fixture
def emu(tmp_path: Path, free_port: int) -> Iterator[Emu]:
    with running_emulator(tmp_path, free_port, "process") as e:
        events = e.deploy("echo", write_agent(tmp_path / "echo"))
        assert events[-1]["event"] == "result", events
        yield e


def submit(emu: Emu, url: str) -> str:
    r = emu.client.post("/agents/echo/tasks", json={"input": "x", "webhook": url})
    assert r.status_code == 202, r.text
    return str(r.json()["task_id"])


def given_up(emu: Emu, task_id: str) -> dict[str, Any]:
    """The task once its webhook delivery is given up."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task: dict[str, Any] = emu.client.get(f"/v1/tasks/{task_id}").json()
        if task.get("deliveries") and task["deliveries"][0]["failed_at"]:
            return task
        time.sleep(0.1)
    raise AssertionError(f"the delivery of {task_id} went on: {task}")


def test_rotation_retry_after_and_gone(emu: Emu) -> None:
    old = emu.client.get("/v1/agents/echo/webhook-secret").json()["secret"]
    rotated = emu.client.post("/v1/agents/echo/webhook-secret/rotate").json()
    new = rotated["secret"]
    assert new != old
    assert new.startswith("whsec_")
    assert len(rotated["previous_until"]) == 1

    hook = Receiver([(429, {"Retry-After": "2"})])
    task_id = submit(emu, hook.url)
    hook.wait(2)
    (first, h1, _), (second, h2, body2) = hook.calls[:2]
    assert second - first >= 1.9  # the schedule says 0.5 s; Retry-After said 2
    assert h1["webhook-id"] == h2["webhook-id"]
    assert h1["webhook-id"].startswith(f"msg_{task_id}_")
    assert len(h2["webhook-signature"].split(" ")) == 2  # both secrets sign while rotating
    verify(new, h2, body2)
    verify(old, h2, body2)
    with pytest.raises(Invalid):
        verify("whsec_" + "A" * 44, h2, body2)

    gone = Receiver([(410, {})])
    first_id = submit(emu, gone.url)
    gone.wait(1)
    task = given_up(emu, first_id)
    assert task["deliveries"][0]["last_error"] == "HTTP 410: the endpoint is disabled"
    shown = emu.client.get("/v1/agents/echo/webhook-secret").json()
    assert shown["disabled_endpoints"] == [gone.url]
    later = submit(emu, gone.url)
    task = given_up(emu, later)
    assert "disabled" in task["deliveries"][0]["last_error"]
    assert len(gone.calls) == 1  # nothing more was sent to it


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "http://",
        "https://user:pw@example.com/",
        "example.com/hook",
        "http://example.com:99999/",
        "https://" + "a" * 2050 + ".com/",
    ],
)
def test_webhook_urls_are_checked(emu: Emu, url: str) -> None:
    r = emu.client.post("/agents/echo/tasks", json={"input": "x", "webhook": url})
    assert r.status_code == 400, r.text
    assert "webhook must" in r.json()["error"]["message"]
