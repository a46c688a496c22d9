"""Async tasks held by an agent environment's front (runs in the swarm, stdlib only).

``front.py`` hands every request for ``/tasks…`` here; everything else is
relayed to the replicas untouched. The API is the emulator's, per environment:

- ``POST /tasks`` ``{"input": ..., "context": {...}}`` → 202 and the task;
- ``GET /tasks[?status=S]`` the latest tasks, newest first;
- ``GET /tasks/ID``, ``POST /tasks/ID/cancel``, ``POST /tasks/ID/retry``.

A worker runs pending tasks oldest first, at most one per replica address at
once, by ``POST /invocations`` on a replica with the runtime contract's task
headers, asking for an event stream so that ``{"progress": N}`` frames move
the task's progress. A task whose replica stopped answering runs again
(``attempt`` + 1) on another one, up to ``MAX_ATTEMPTS``, then is ``dead``.
Tasks are kept in SQLite on the front's volume (frontstore.py): a restarted
front finds them, and a task that was running when it stopped runs again
(``attempt`` + 1). A task submitted with a ``webhook`` posts its end there,
signed as Standard Webhooks (fronthooks.py).
Ids carry the agent and environment (``AGENT.ENV.task_HEX``) so a client
knows which front to ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexus_swarm.fronthooks import Hooks
    from nexus_swarm.frontstore import Store
else:
    try:  # in the front: the modules stored beside this file
        from fronthooks import Hooks
        from frontstore import Store
    except ImportError:  # imported from the nexus_swarm package (tests)
        from nexus_swarm.fronthooks import Hooks
        from nexus_swarm.frontstore import Store

AGENT = os.environ.get("NEXUS_AGENT", "agent")
ENV = os.environ.get("NEXUS_ENV", "env")
MAX_ATTEMPTS = 3
KEEP = 1000  # finished tasks kept for status queries, oldest dropped first
STATUSES = ("pending", "running", "succeeded", "failed", "cancelled", "dead")
FINAL = ("succeeded", "failed", "cancelled", "dead")

Replicas = Callable[[], Awaitable[list[str]]]


class Failure(Exception):
    def __init__(self, status: int, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint


class Stopped(Exception):
    """The replica stopped answering before the task's answer was complete."""


class Tasks:
    def __init__(
        self, replicas: Replicas, port: int, state: str | None = None, **hooks: Any
    ) -> None:
        self.replicas = replicas
        self.port = port
        self.store = Store(state)
        self.hooks = Hooks(self.store, **hooks)
        self.tasks: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.bodies: dict[str, bytes] = {}
        for task, body in self.store.load():
            if task["status"] == "running":  # cut short by the front's restart
                cut = f"attempt {task['attempt']}: the front restarted"
                task.update(status="pending", error=cut)
                self.store.save(task)
            self.tasks[task["task_id"]] = task
            self.bodies[task["task_id"]] = body
        self.running: dict[str, asyncio.Task[None]] = {}
        self.wake = asyncio.Event()
        self.turn = 0

    # ------------------------------------------------------------ the API

    async def serve(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        url = urllib.parse.urlsplit(target)
        parts = [p for p in url.path.split("/") if p]
        try:
            if parts == ["tasks"] and method == "POST":
                return 202, self.submit(body)
            if parts == ["tasks"] and method == "GET":
                wanted = urllib.parse.parse_qs(url.query).get("status", [None])[0]
                return 200, self.listed(wanted)
            if len(parts) == 2 and method == "GET":
                return 200, self.get(parts[1])
            if len(parts) == 3 and method == "POST" and parts[2] in ("cancel", "retry"):
                return 200, (self.cancel if parts[2] == "cancel" else self.retry)(parts[1])
            raise Failure(404, "not_found", f"no {method} {url.path} on the front")
        except Failure as exc:
            return exc.status, {
                "error": {"code": exc.code, "message": exc.message, "hint": exc.hint}
            }

    def submit(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise Failure(422, "usage", "the task's body is not JSON") from None
        if not isinstance(payload, dict) or "input" not in payload:
            raise Failure(422, "usage", 'a task is {"input": ..., "context": {...}}')
        webhook = payload.get("webhook")
        if webhook is not None and not (
            isinstance(webhook, str) and webhook.startswith(("http://", "https://"))
        ):
            raise Failure(422, "usage", "a task's webhook is an http:// or https:// URL")
        task_id = f"{AGENT}.{ENV}.task_{secrets.token_hex(8)}"
        task = {
            "task_id": task_id,
            "status": "pending",
            "agent": AGENT,
            "env": ENV,
            "progress": 0,
            "attempt": 0,
            "result": None,
            "error": None,
            "webhook": webhook,
            "created_at": time.time(),
            "started_at": None,
            "finished_at": None,
        }
        self.tasks[task_id] = task
        self.bodies[task_id] = json.dumps(
            {"input": payload["input"], "context": payload.get("context") or {}}
        ).encode()
        self.store.add(task, self.bodies[task_id])
        self._forget_old()
        self.wake.set()
        return task

    def get(self, task_id: str) -> dict[str, Any]:
        task = self._task(task_id)
        if task.get("webhook"):
            return {**task, "deliveries": self.hooks.of_task(task_id)}
        return task

    def _task(self, task_id: str) -> dict[str, Any]:
        task = self.tasks.get(task_id)
        if task is None:
            raise Failure(
                404,
                "not_found",
                f"no task {task_id} on the front of {AGENT} ({ENV})",
                hint="the front keeps the latest tasks: older finished ones are dropped",
            )
        return task

    def listed(self, status: str | None) -> list[dict[str, Any]]:
        if status is not None and status not in STATUSES:
            raise Failure(422, "usage", f"unknown task status {status!r}")
        found = [t for t in reversed(self.tasks.values()) if status in (None, t["status"])]
        return found[:50]

    def cancel(self, task_id: str) -> dict[str, Any]:
        task = self._task(task_id)
        if task["status"] not in ("pending", "running"):
            raise Failure(422, "usage", f"{task_id} is already {task['status']}")
        self._end(task, "cancelled")
        running = self.running.pop(task_id, None)
        if running is not None:
            running.cancel()
        return task

    def retry(self, task_id: str) -> dict[str, Any]:
        task = self._task(task_id)
        if task["status"] not in ("dead", "failed", "cancelled"):
            raise Failure(422, "usage", f"{task_id} is {task['status']}: nothing to retry")
        task.update(status="pending", attempt=0, progress=0, result=None, error=None)
        task.update(started_at=None, finished_at=None)
        self.store.save(task)
        self.wake.set()
        return task

    def _forget_old(self) -> None:
        finished = [i for i, t in self.tasks.items() if t["status"] in FINAL]
        gone = finished[: max(0, len(self.tasks) - KEEP)]
        for task_id in gone:
            del self.tasks[task_id]
            self.bodies.pop(task_id, None)
        if gone:
            self.store.drop(gone)

    def _end(self, task: dict[str, Any], status: str, **fields: Any) -> None:
        """The task's end, written with its webhook delivery (if it has one) at once."""
        task.update(status=status, finished_at=time.time(), **fields)
        payload = {k: v for k, v in task.items() if k != "webhook"}
        self.store.save(task, json.dumps(payload).encode())

    # ------------------------------------------------------------ the worker

    async def work(self) -> None:
        while True:
            self.wake.clear()
            addresses = await self.replicas()
            pending = [t for t in self.tasks.values() if t["status"] == "pending"]
            room = max(1, len(addresses)) - len(self.running)
            for task in pending[: max(0, room)]:
                task.update(status="running", started_at=time.time(), attempt=task["attempt"] + 1)
                self.store.save(task)
                runner = asyncio.create_task(self._run(task, addresses))
                self.running[task["task_id"]] = runner
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 1.0)

    async def _run(self, task: dict[str, Any], addresses: list[str]) -> None:
        task_id = task["task_id"]
        try:
            if not addresses:
                raise Stopped("no replica of the agent answers")
            self.turn += 1
            address = addresses[self.turn % len(addresses)]
            answer = await self._invoke(task, address)
            if isinstance(answer.get("error"), dict):
                err = answer["error"]
                message = f"{err.get('type', 'error')}: {err.get('message', '')}".strip(": ")
                self._end(task, "failed", error=message)
            else:
                self._end(task, "succeeded", progress=100, result=answer.get("output"))
        except (Stopped, OSError, ValueError) as exc:
            if task["status"] != "running":
                return
            if task["attempt"] >= MAX_ATTEMPTS:
                self._end(task, "dead", error=f"cut short {MAX_ATTEMPTS} times: {exc}")
            else:
                task.update(status="pending", error=f"attempt {task['attempt']}: {exc}")
                self.store.save(task)
        finally:
            self.running.pop(task_id, None)
            self.wake.set()

    async def _invoke(self, task: dict[str, Any], address: str) -> dict[str, Any]:
        body = self.bodies[task["task_id"]]
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, self.port), 5)
        try:
            head = (
                "POST /invocations HTTP/1.0\r\n"  # the answer ends with the connection
                f"Host: {address}\r\nContent-Type: application/json\r\n"
                "Accept: text/event-stream\r\n"
                f"X-Nexus-Task-Id: {task['task_id']}\r\n"
                f"X-Nexus-Task-Attempt: {task['attempt']}\r\n"
                f"X-Amzn-Bedrock-AgentCore-Runtime-Request-Id: {task['task_id']}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            try:
                status_line = await reader.readuntil(b"\r\n")
                headers = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            except asyncio.IncompleteReadError:
                raise Stopped("the replica closed the connection without answering") from None
            status = int(status_line.split()[1])
            if "text/event-stream" in headers:
                return await self._frames(task, reader)
            raw = await reader.read()
            answer = json.loads(raw) if raw.strip() else {}
            if status >= 400 and not isinstance(answer.get("error"), dict):
                answer = {"error": {"message": f"HTTP {status}"}}
            return answer if isinstance(answer, dict) else {"output": answer}
        finally:
            writer.close()

    async def _frames(self, task: dict[str, Any], reader: asyncio.StreamReader) -> dict[str, Any]:
        chunks: list[Any] = []
        while line := await reader.readline():
            if not line.startswith(b"data:"):
                continue
            try:
                data = json.loads(line[5:])
            except ValueError:
                data = {"text": line[5:].decode("utf-8", "replace").strip()}
            if isinstance(data, dict) and data.get("done") is True:
                return _fold(chunks)
            if isinstance(data, dict) and isinstance(data.get("error"), dict):
                return {"error": data["error"]}
            if isinstance(data, dict) and set(data) == {"progress"}:
                if isinstance(data["progress"], int | float):
                    task["progress"] = max(0, min(100, int(data["progress"])))
                    self.store.save(task)
                continue
            chunks.append(data)
        raise Stopped("the replica's stream ended before it was done")


def _fold(chunks: list[Any]) -> dict[str, Any]:
    """A streamed answer as one: text chunks joined, other chunks as a list."""
    texts = [c.get("text") if isinstance(c, dict) else None for c in chunks]
    if all(isinstance(t, str) for t in texts):
        return {"output": "".join(t for t in texts if isinstance(t, str))}
    return {"output": chunks}
