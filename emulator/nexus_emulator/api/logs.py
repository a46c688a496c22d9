"""``GET /v1/agents/{name}/logs``: the replicas' log lines as NDJSON records.

Records are read and filtered (level, since, grep, request) before the last
``tail`` per replica are kept, so an old error is found however many lines
came after it (up to ``SCAN`` lines per replica, and on the process runtime
the last 64 MiB of its log file; ``since`` bounds what Docker reads). ``follow=true`` keeps
streaming, and picks up replicas that start later (a scale-up, a rollout)
from their first line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from nexus_api.logs import LEVELS, Filter
from nexus_emulator import errors
from nexus_emulator.api.deps import deployed_in, emulator_of, known_agent, ready
from nexus_emulator.core import Emulator
from nexus_emulator.logrecords import Reader
from nexus_emulator.pools import LiveReplica

router = APIRouter(prefix="/v1", tags=["observability"])
SCAN = 1_000_000  # lines read per replica at most when a filter narrows the records
NEW_REPLICAS_EVERY = 1.0  # seconds between looks for new replicas while following


class Targets:
    """Which replicas a request reads: its env, replica-id prefix and revision."""

    def __init__(
        self, em: Emulator, name: str, env: str | None, replica: str | None, revision: int | None
    ) -> None:
        self.em, self.name, self.env = em, name, env
        self.replica, self.revision = replica, revision
        self.labels = {v.revision: v.label for v in em.store.versions(name)}

    def now(self) -> list[tuple[LiveReplica, Reader]]:
        found = []
        for pool in self.em.pools.of_agent(self.name):
            if self.env is not None and pool.env != self.env:
                continue
            for r in pool.replicas:
                if r.state == "stopped":
                    continue
                if self.replica and not r.handle.id.startswith(self.replica):
                    continue
                if self.revision is not None and r.handle.revision != self.revision:
                    continue
                label = self.labels.get(r.handle.revision)
                found.append((r, Reader(r.handle.id, pool.env, label)))
        return found


def _line(rec: dict[str, Any]) -> bytes:
    return orjson.dumps(rec) + b"\n"


def _key(rec: dict[str, Any]) -> tuple[Any, ...]:
    return (rec["replica"], rec.get("ts"), rec.get("logger"), rec.get("request_id"), rec["msg"])


async def records(
    em: Emulator, targets: Targets, tail: int, flt: Filter, follow: bool
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    live = dataclasses.replace(flt, since=None)

    async def pump(replica: LiveReplica, reader: Reader, since: float | None) -> None:
        handle = replica.handle.id
        async for line in em.runtime.follow(handle, from_start=since is None, since=since):
            rec = reader.record(line)
            if rec is not None and live.keep(rec):
                queue.put_nowait(rec)

    pumps: dict[str, asyncio.Task[None]] = {}
    opened = time.time()
    try:
        if follow:  # open every log before reading the backlog: no line falls in between
            for replica, reader in targets.now():
                pumps[replica.handle.id] = asyncio.create_task(pump(replica, reader, opened))
            await asyncio.sleep(0)
        backlog: list[dict[str, Any]] = []
        for replica, reader in targets.now():
            scan = SCAN if flt.narrows else tail
            lines = await em.runtime.logs(replica.handle.id, tail=scan, since=flt.since)
            kept = [rec for line in lines if (rec := reader.record(line)) and flt.keep(rec)]
            backlog.extend(kept[-tail:] if tail else [])
        backlog.sort(key=lambda r: r["time"] or 0.0)  # stable: untimed lines stay in order
        for rec in backlog:
            yield _line(rec)
        if not follow:
            return
        shown = {_key(rec) for rec in backlog}  # lines both read and followed go out once
        newest: dict[str, float] = {}  # per replica: what is older was read, or not asked for
        for rec in backlog:
            if rec["time"] is not None:
                newest[rec["replica"]] = max(rec["time"], newest.get(rec["replica"], 0.0))
        while True:
            try:
                rec = await asyncio.wait_for(queue.get(), NEW_REPLICAS_EVERY)
            except TimeoutError:
                targets.labels = {v.revision: v.label for v in em.store.versions(targets.name)}
                for replica, reader in targets.now():
                    if replica.handle.id not in pumps:
                        pumps[replica.handle.id] = asyncio.create_task(pump(replica, reader, None))
                continue
            key = _key(rec)
            if key in shown:
                shown.discard(key)
                continue
            if rec["time"] is not None and rec["time"] < newest.get(rec["replica"], opened):
                continue  # replayed by a backend that starts a little early, not asked for
            yield _line(rec)
    finally:
        for task in pumps.values():
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
    tail: int = Query(100, ge=0, le=10_000, description="records per replica, after filtering"),
    level: str = Query("debug", description="lowest level shown"),
    since: float | None = Query(None, description="unix time of the oldest record shown"),
    grep: str | None = Query(None, description="only records containing this text (any case)"),
    replica: str | None = Query(None, description="only replicas whose id starts with this"),
    version: str | None = Query(None, description="only replicas of this version (1.2.3, r3)"),
    request_id: str | None = Query(None, description="only records of this request (or prefix)"),
    follow: bool = False,
) -> StreamingResponse:
    em = ready(emulator_of(request))
    known_agent(em, name)
    deployed_in(em, name, env)
    if level.lower() not in LEVELS:
        raise errors.usage(f"unknown level {level!r}", hint="use " + ", ".join(LEVELS))
    revision = em.deployer.find_version(name, version).revision if version else None
    flt = Filter(LEVELS[level.lower()], since, grep or None, request_id or None)
    return StreamingResponse(
        records(em, Targets(em, name, env, replica, revision), tail, flt, follow),
        media_type="application/x-ndjson",
    )
