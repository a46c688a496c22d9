"""The swarm front's tasks across a restart, and its webhook retries, on loopback.

A front is two ``Tasks`` objects on the same state folder, one after the other;
the replica is a loopback server that never answers (the task stays running) or
answers one JSON result, and the webhook receiver fails its first delivery.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from nexus_swarm.fronttasks import Tasks

from nexus.standard_webhooks import new_secret
from tests.emulator.webhook_verify import verify

ANSWER = b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"output": "done"}'


async def _replica(answer: bool) -> tuple[asyncio.Server, int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer:
            writer.write(ANSWER)
            await writer.drain()
            writer.close()
        else:
            await asyncio.sleep(3600)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def _until(tasks: Tasks, task_id: str, field: str, value: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline and tasks.get(task_id)[field] != value:
        await asyncio.sleep(0.05)
    return tasks.get(task_id)


async def _loopback() -> list[str]:
    return ["127.0.0.1"]


def test_a_restarted_front_runs_its_running_task_again(tmp_path: Path) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        server, port = await _replica(answer=False)
        first = Tasks(_loopback, port, str(tmp_path))
        worker = asyncio.create_task(first.work())
        _, task = await first.serve("POST", "/tasks", b'{"input": "x"}')
        running = await _until(first, task["task_id"], "status", "running")
        worker.cancel()  # the front stops with the task in flight
        first.store.conn.close()
        second = Tasks(_loopback, port, str(tmp_path))
        found = dict(second.get(task["task_id"]))
        worker = asyncio.create_task(second.work())
        again = await _until(second, task["task_id"], "attempt", 2)
        worker.cancel()
        server.close()
        return running, found, again

    running, found, again = asyncio.run(scenario())
    assert (running["status"], running["attempt"]) == ("running", 1)
    assert (found["status"], found["attempt"]) == ("pending", 1)
    assert found["error"] == "attempt 1: the front restarted"
    assert (again["status"], again["attempt"]) == ("running", 2)


def test_a_failed_webhook_delivery_is_retried_and_signed(tmp_path: Path) -> None:
    secret = new_secret()
    (tmp_path / "secrets").write_text(secret + "\n")
    posts: list[tuple[dict[str, str], bytes]] = []

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        lines = head.split("\r\n")[1:]
        headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
        body = await reader.readexactly(int(headers["content-length"]))
        posts.append((headers, body))
        status = b"500 Internal Server Error" if len(posts) == 1 else b"204 No Content"
        writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def scenario() -> dict[str, Any]:
        server, port = await _replica(answer=True)
        hook = await asyncio.start_server(receive, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{hook.sockets[0].getsockname()[1]}/hook"
        tasks = Tasks(_loopback, port, str(tmp_path), secrets_file=str(tmp_path / "secrets"))
        running = asyncio.gather(tasks.work(), tasks.hooks.run())
        body = json.dumps({"input": "x", "webhook": url}).encode()
        _, task = await tasks.serve("POST", "/tasks", body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline:
            shown = tasks.get(task["task_id"])
            if shown["deliveries"] and shown["deliveries"][0]["delivered_at"]:
                break
            await asyncio.sleep(0.05)
        running.cancel()
        server.close()
        hook.close()
        return shown

    shown = asyncio.run(scenario())
    assert shown["status"] == "succeeded"
    (delivery,) = shown["deliveries"]
    assert delivery["attempts"] == 2
    assert delivery["last_error"] == "HTTP 500"
    assert [h["webhook-id"] for h, _ in posts] == [delivery["webhook_id"]] * 2
    for headers, body in posts:
        verify(secret, headers, body)
    assert json.loads(posts[1][1])["result"] == "done"
