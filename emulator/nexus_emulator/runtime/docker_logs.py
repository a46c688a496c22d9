"""A Docker replica's output: the last lines, or followed as it comes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


def text_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines()


def _since(since: float | None) -> dict[str, int]:
    """The engine keeps whole seconds: from one second early, so no line of that second
    is lost (and a stream that opens after a thread hop misses none)."""
    return {"since": max(1, int(since) - 1)} if since else {}


def last_lines(client: Any, handle_id: str, tail: int, since: float | None) -> list[str]:
    from docker.errors import NotFound

    try:
        container = client.containers.get(handle_id)
        return text_lines(container.logs(tail=tail, stdout=True, stderr=True, **_since(since)))
    except NotFound:
        return []


async def follow_lines(
    call: Callable[..., Awaitable[Any]],
    client: Callable[[], Any],
    handle_id: str,
    from_start: bool,
    since: float | None,
) -> AsyncIterator[str]:
    """The replica's lines as they come; ``call`` runs a blocking SDK call in a thread,
    ``client`` gives the SDK's client (asked at the first step, not before)."""
    from docker.errors import NotFound

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    try:
        container = await call(client().containers.get, handle_id)
        stream = await call(
            container.logs,
            stream=True,
            follow=True,
            tail="all" if from_start or since else 0,
            stdout=True,
            stderr=True,
            **(_since(since) if not from_start else {}),
        )
    except NotFound:
        return

    def pump() -> None:  # the engine's log stream blocks: read it in a thread
        try:
            for chunk in stream:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        except Exception:  # closed under us, or the engine went away
            pass
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    reader = loop.run_in_executor(None, pump)
    pending = b""
    try:
        while (chunk := await queue.get()) is not None:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8", errors="replace")
    finally:
        stream.close()
        await asyncio.wait([reader], timeout=2)
