"""``GET /v1/agents/{name}/logs``: the replicas' log lines as NDJSON records.

Replicas write JSON lines (``{"ts", "level", "msg", ...}``, see the SDK); any
other line (``print`` output, a traceback) becomes a record with the time and
level of the line before it from the same replica, so ``level=error`` keeps
a traceback with its error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of, known_agent, ready
from nexus_emulator.core import Emulator
from nexus_emulator.pools import LiveReplica

router = APIRouter(prefix="/v1", tags=["observability"])
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


class Reader:
    """Turns one replica's raw lines into records, remembering the last time and level."""

    def __init__(self, replica: LiveReplica, env: str) -> None:
        self.replica = replica.handle.id[:12]
        self.env = env
        self.ts: float | None = None
        self.level = "info"

    def record(self, line: str) -> dict[str, Any] | None:
        if not line.strip():
            return None
        data: Any = None
        if line.startswith("{"):
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError:
                data = None
        if isinstance(data, dict) and "msg" in data:
            self.level = str(data.get("level", "info")).lower()
            self.ts = _epoch(data.get("ts")) or self.ts
            rec = {**data, "level": self.level}
        else:
            rec = {"level": self.level, "msg": line}
        rec["time"] = self.ts
        rec["replica"] = self.replica
        rec["env"] = self.env
        return rec


def _epoch(ts: Any) -> float | None:
    if not isinstance(ts, str):
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def keep(rec: dict[str, Any], level: int, since: float | None) -> bool:
    if LEVELS.get(rec["level"], 20) < level:
        return False
    return since is None or rec["time"] is None or rec["time"] >= since


def replicas_of(em: Emulator, name: str, env: str | None) -> list[tuple[str, LiveReplica]]:
    return [
        (pool.env, r)
        for pool in em.pools.of_agent(name)
        if env is None or pool.env == env
        for r in pool.replicas
        if r.state != "stopped"
    ]


async def records(
    em: Emulator,
    name: str,
    env: str | None,
    tail: int,
    level: int,
    since: float | None,
    follow: bool,
) -> AsyncIterator[bytes]:
    targets = replicas_of(em, name, env)
    readers = [Reader(r, e) for e, r in targets]
    backlog: list[dict[str, Any]] = []
    for reader, (_, replica) in zip(readers, targets, strict=True):
        for line in await em.runtime.logs(replica.handle.id, tail=tail):
            rec = reader.record(line)
            if rec is not None and keep(rec, level, since):
                backlog.append(rec)
    backlog.sort(key=lambda r: r["time"] or 0.0)  # stable: untimed lines stay in order
    for rec in backlog:
        yield orjson.dumps(rec) + b"\n"
    if not follow:
        return
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def pump(reader: Reader, replica: LiveReplica) -> None:
        async for line in em.runtime.follow(replica.handle.id):
            rec = reader.record(line)
            if rec is not None and keep(rec, level, None):
                queue.put_nowait(rec)

    tasks = [asyncio.create_task(pump(rd, r)) for rd, (_, r) in zip(readers, targets, strict=True)]
    try:
        while True:
            yield orjson.dumps(await queue.get()) + b"\n"
    finally:
        for task in tasks:
            task.cancel()


@router.get(
    "/agents/{name}/logs",
    summary="Log records of the agent's replicas (NDJSON); follow=true keeps streaming",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def logs(
    name: str,
    request: Request,
    env: str | None = None,
    tail: int = Query(100, ge=0, le=10_000, description="lines per replica"),
    level: str = Query("debug", description="lowest level shown"),
    since: float | None = Query(None, description="unix time of the oldest record shown"),
    follow: bool = False,
) -> StreamingResponse:
    em = ready(emulator_of(request))
    known_agent(em, name)
    if level.lower() not in LEVELS:
        raise errors.usage(f"unknown level {level!r}", hint="use " + ", ".join(LEVELS))
    return StreamingResponse(
        records(em, name, env, tail, LEVELS[level.lower()], since, follow),
        media_type="application/x-ndjson",
    )
