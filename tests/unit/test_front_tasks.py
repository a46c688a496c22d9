"""The swarm front's task queue (fronttasks.py) against replicas on loopback that misbehave.

The happy paths (an answer, progress, cancel, retry) run on a real swarm in
tests/providers/test_swarm.py; here a replica that closes every connection
before answering shows the attempts and the dead state, and an unknown id
or a bad body their errors.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nexus_swarm.fronttasks import MAX_ATTEMPTS, Tasks


async def _closing_replica() -> tuple[asyncio.Server, int]:
    async def hang_up(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def _until_final(tasks: Tasks, task_id: str) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        task = tasks.get(task_id)
        if task["status"] in ("succeeded", "failed", "dead"):
            return task
        await asyncio.sleep(0.05)
    return tasks.get(task_id)


def test_a_replica_that_hangs_up_leaves_the_task_dead_after_its_attempts() -> None:
    async def scenario() -> dict[str, object]:
        server, port = await _closing_replica()

        async def replicas() -> list[str]:
            return ["127.0.0.1"]

        tasks = Tasks(replicas, port)
        worker = asyncio.create_task(tasks.work())
        try:
            status, task = await tasks.serve("POST", "/tasks", b'{"input": "x"}')
            assert status == 202
            return await _until_final(tasks, str(task["task_id"]))
        finally:
            worker.cancel()
            server.close()

    task = asyncio.run(scenario())
    assert (task["status"], task["attempt"]) == ("dead", MAX_ATTEMPTS), task
    assert f"cut short {MAX_ATTEMPTS} times" in str(task["error"])


def test_errors_of_the_task_api() -> None:
    async def scenario() -> list[tuple[int, Any]]:
        async def replicas() -> list[str]:
            return []

        tasks = Tasks(replicas, 9)
        return [
            await tasks.serve("GET", "/tasks/agent.env.task_00", b""),
            await tasks.serve("POST", "/tasks", b"not json"),
            await tasks.serve("POST", "/tasks", b'{"no": "input"}'),
            await tasks.serve("GET", "/tasks?status=sleeping", b""),
            await tasks.serve("DELETE", "/tasks", b""),
        ]

    answers = asyncio.run(scenario())
    assert [status for status, _ in answers] == [404, 422, 422, 422, 404]
    codes = [body["error"]["code"] for _, body in answers]
    assert codes == ["not_found", "usage", "usage", "usage", "not_found"]
