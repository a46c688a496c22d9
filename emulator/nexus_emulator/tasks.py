"""Async tasks: a durable queue in SQLite, run on the agent's replicas, with webhooks.

A submitted task is committed before the 202 answer. The worker runs pending
tasks oldest first, at most as many at once per environment as it has healthy
replicas. An agent reports progress by yielding ``{"progress": N}`` frames; a
plain answer moves it from 0 to 100 when done. A task that was running when
the emulator stopped (even by kill -9) runs again with ``attempt`` + 1. A task
is called through the same chain as a run (chain.py): the same runtime-contract
headers (its request id is the task id), trace, metrics and failover.

Webhooks go through an outbox written in the same transaction as the task's
end, so none is lost; webhooks.py delivers them as Standard Webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import secrets
import time
from pathlib import Path
from typing import Any

import orjson

from nexus.settings import HomePaths
from nexus.standard_webhooks import Secrets
from nexus_emulator import errors
from nexus_emulator.chain import Chain
from nexus_emulator.pools import Pools
from nexus_emulator.relay import Relay
from nexus_emulator.store import Store
from nexus_emulator.webhooks import Deliveries

log = logging.getLogger("nexus_emulator.tasks")
DEFAULT_TIMEOUT = 3600.0  # seconds a task may run (its body's "timeout" changes it)
MAX_TIMEOUT = 8 * 3600.0
STOPPED = "the replica stopped answering"  # chain.task's failure when no answer came
COLUMNS = (
    "id, agent, env, webhook, status, progress, attempt, result, error, created_at, "
    "started_at, finished_at, metadata"
)


def idempotency_conflict(key: str, task_id: str) -> errors.ApiError:
    return errors.ApiError(
        422,
        errors.ErrorCode.USAGE,
        f"Idempotency-Key {key!r} was used for {task_id} with another body",
        hint="use a new key for a different request, or send the same body again",
    )


def view(row: Any) -> dict[str, Any]:
    task = dict(zip(COLUMNS.split(", "), row, strict=True))
    task["task_id"] = task.pop("id")
    task["result"] = orjson.loads(task["result"]) if task["result"] is not None else None
    task["metadata"] = orjson.loads(task["metadata"]) if task["metadata"] is not None else None
    return task


class TaskQueue:
    def __init__(self, store: Store, pools: Pools, chain: Chain, relay: Relay, home: Path) -> None:
        self.store = store
        self.pools = pools
        self.chain = chain
        self.webhooks = Deliveries(store, relay, Secrets(HomePaths(home).webhooks))
        self.wake = asyncio.Event()
        self.running: dict[str, asyncio.Task[None]] = {}
        # runs of a task cut short (no answer, timeout) before it is dead, unless its
        # deployment says otherwise (deploy --max-attempts, nexus.toml max_attempts)
        self.max_attempts = 3  # NEXUS_TASK_ATTEMPTS (core.py)

    # ------------------------------------------------------------ API side

    def submit(
        self,
        agent: str,
        env: str,
        body: bytes,
        webhook: str | None,
        caller: str | None = None,
        key: str | None = None,
    ) -> tuple[str, bool]:
        """A new pending task and True; ``caller`` is the checked caller (``X-Nexus-Caller``).

        With an idempotency ``key``, the agent's task submitted with that key before and
        False when the body (and environment) is the same, a usage error (422) when not.
        """
        digest = hashlib.sha256(env.encode() + b"\n" + body).hexdigest() if key else None
        task_id = "task_" + secrets.token_hex(8)
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            if key is not None:
                row = self.store.conn.execute(
                    "SELECT id, body_digest FROM tasks WHERE agent=? AND idempotency_key=?",
                    (agent, key),
                ).fetchone()
                if row is not None:
                    if row[1] != digest:
                        raise idempotency_conflict(key, row[0])
                    return str(row[0]), False
            self.store.conn.execute(
                "INSERT INTO tasks(id, agent, env, body, webhook, status, created_at, caller, "
                "idempotency_key, body_digest) VALUES (?,?,?,?,?, 'pending', ?, ?, ?, ?)",
                (task_id, agent, env, body, webhook, time.time(), caller, key, digest),
            )
        self.wake.set()
        return task_id, True

    def get(self, task_id: str) -> dict[str, Any] | None:
        row = self.store.conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE id=?", (task_id,)
        ).fetchone()
        return view(row) if row else None

    def submitter(self, task_id: str) -> str | None:
        """The subject of whoever submitted the task (None when not recorded)."""
        row = self.store.conn.execute("SELECT caller FROM tasks WHERE id=?", (task_id,)).fetchone()
        try:
            subject = orjson.loads(row[0])["subject"] if row and row[0] else None
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None
        return str(subject) if subject is not None else None

    def list(self, agent: str, limit: int = 50, status: str | None = None) -> list[dict[str, Any]]:
        rows = self.store.conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE agent=? AND (? IS NULL OR status=?) "
            "ORDER BY created_at DESC LIMIT ?",
            (agent, status, status, limit),
        ).fetchall()
        return [view(r) for r in rows]

    def retry(self, task_id: str) -> bool:
        """A dead, failed or cancelled task back to the queue, its attempts counted afresh."""
        changed = self._update(
            "UPDATE tasks SET status='pending', attempt=0, progress=0, result=NULL, "
            "metadata=NULL, error=NULL, started_at=NULL, finished_at=NULL "
            "WHERE id=? AND status IN ('dead', 'failed', 'cancelled')",
            (task_id,),
        )
        self.wake.set()
        return changed > 0

    def _update(self, sql: str, args: tuple[Any, ...]) -> int:
        """Rows changed by one write in its own transaction."""
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            return self.store.conn.execute(sql, args).rowcount

    def pending(self) -> dict[tuple[str, str], int]:
        rows = self.store.conn.execute(
            "SELECT agent, env, COUNT(*) FROM tasks WHERE status='pending' GROUP BY agent, env"
        ).fetchall()
        return {(a, e): n for a, e, n in rows}

    def cancel(self, task_id: str) -> bool:
        changed = self._update(
            "UPDATE tasks SET status='cancelled', finished_at=? "
            "WHERE id=? AND status IN ('pending', 'running')",
            (time.time(), task_id),
        )
        running = self.running.pop(task_id, None)
        if running is not None:
            running.cancel()
        return changed > 0

    def cancel_agent(self, agent: str) -> None:
        """Cancel every pending or running task of an agent (it is being deleted); its
        webhook secret goes too."""
        ids = [
            r[0]
            for r in self.store.conn.execute(
                "SELECT id FROM tasks WHERE agent=? AND status IN ('pending', 'running')",
                (agent,),
            )
        ]
        for task_id in ids:
            self.cancel(task_id)
        self.webhooks.secrets.forget(agent)

    # ------------------------------------------------------------ worker

    async def run(self) -> None:
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            dead = self.store.conn.execute(
                "UPDATE tasks SET status='dead', finished_at=?, error='cut short ' || attempt || "
                "' times' WHERE status='running' AND attempt>=COALESCE((SELECT d.max_attempts "
                "FROM deployments d WHERE d.agent=tasks.agent AND d.env=tasks.env), ?)",
                (time.time(), self.max_attempts),
            ).rowcount
            again = self.store.conn.execute(
                "UPDATE tasks SET status='pending' WHERE status='running'"
            ).rowcount
        if dead:
            log.warning("%d task(s) were running at the last stop, out of attempts: dead", dead)
        if again:
            log.warning("%d task(s) were running at the last stop: running them again", again)
        await asyncio.gather(self._work(), self.webhooks.run())

    async def _work(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=0.5)
            self.wake.clear()
            try:
                self._start_due()
            except Exception:  # the queue must outlive one bad row
                log.exception("starting tasks failed")

    def _start_due(self) -> None:
        busy: dict[tuple[str, str], int] = {}
        for task in self.running.values():
            key = task.get_name().split("|", 2)[1:]
            busy[(key[0], key[1])] = busy.get((key[0], key[1]), 0) + 1
        rows = self.store.conn.execute(
            "SELECT id, agent, env, body, caller, attempt FROM tasks WHERE status='pending' "
            "ORDER BY created_at"
        ).fetchall()
        for task_id, agent, env, body, caller, attempt in rows:
            pool = self.pools.get(agent, env)
            if busy.get((agent, env), 0) >= (pool.capacity() if pool else 0):
                continue
            with self.store.conn:
                self.store.conn.execute("BEGIN IMMEDIATE")
                self.store.conn.execute(
                    "UPDATE tasks SET status='running', attempt=attempt+1, started_at=?, "
                    "progress=0 WHERE id=? AND status='pending'",
                    (time.time(), task_id),
                )
            busy[(agent, env)] = busy.get((agent, env), 0) + 1
            job = asyncio.create_task(
                self._execute(task_id, agent, env, body, caller, attempt + 1),
                name=f"{task_id}|{agent}|{env}",
            )
            self.running[task_id] = job
            job.add_done_callback(functools.partial(self._done, task_id))

    def _done(self, task_id: str, _job: object = None) -> None:
        self.running.pop(task_id, None)
        self.wake.set()

    async def _execute(
        self, task_id: str, agent: str, env: str, body: bytes, caller: str | None, attempt: int
    ) -> None:
        picked = self.chain.pick(agent, env)
        if picked is None:  # gone since it was started: back to the queue
            self._finish(task_id, "pending", None, None, final=False)
            return
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = {}
        context = payload.get("context") if isinstance(payload, dict) else None
        call = self.chain.start(
            "task",
            agent,
            env,
            picked,
            body,
            context if isinstance(context, dict) else {},
            task_id,
            extra={
                "X-Nexus-Task-Id": task_id,
                "X-Nexus-Task-Attempt": str(attempt),
                **({"X-Nexus-Caller": caller} if caller else {}),
            },
        )
        timeout = payload.get("timeout") if isinstance(payload, dict) else None
        timeout = float(timeout) if isinstance(timeout, int | float) else DEFAULT_TIMEOUT
        try:
            result, error = await asyncio.wait_for(
                self.chain.task(call, functools.partial(self._progress, task_id)), timeout
            )
        except TimeoutError:
            result, error = None, f"{STOPPED} in time: timed out after {timeout:g} s"
        finally:
            self.chain.abandon(call)
        if result is not None:
            meta = self.chain.metadata(call, result)
            self._finish(task_id, "succeeded", result.output, None, metadata=meta)
        elif error is None or STOPPED not in error:  # the agent answered with an error
            self._finish(task_id, "failed", None, error)
        elif attempt >= self.attempts_of(agent, env):
            self._finish(task_id, "dead", None, f"{error} (dead after {attempt} attempts)")
        else:  # cut short: runs again
            log.warning("task %s attempt %d: %s; running it again", task_id, attempt, error)
            self._finish(task_id, "pending", None, error, final=False)

    def attempts_of(self, agent: str, env: str) -> int:
        """The runs a task of this deployment gets before it is dead."""
        d = self.store.deployment(agent, env)
        return d.max_attempts if d is not None and d.max_attempts else self.max_attempts

    def _progress(self, task_id: str, percent: int) -> None:
        with self.store.conn:
            self.store.conn.execute(
                "UPDATE tasks SET progress=? WHERE id=? AND status='running'", (percent, task_id)
            )

    def _finish(
        self,
        task_id: str,
        status: str,
        result: Any,
        error: str | None,
        final: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        now = time.time()
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            cur = self.store.conn.execute(
                "UPDATE tasks SET status=?, result=?, error=?, finished_at=?, metadata=?, "
                "progress=CASE WHEN ?='succeeded' THEN 100 ELSE progress END "
                "WHERE id=? AND status='running'",
                (
                    status,
                    None if result is None else orjson.dumps(result),
                    error,
                    now if final else None,
                    None if metadata is None else orjson.dumps(metadata),
                    status,
                    task_id,
                ),
            )
            if not final or cur.rowcount == 0:
                return  # cancelled meanwhile: no result, no webhook
            row = self.store.conn.execute(
                f"SELECT {COLUMNS} FROM tasks WHERE id=?", (task_id,)
            ).fetchone()
            task = view(row)
            if task["webhook"]:
                payload = orjson.dumps({k: v for k, v in task.items() if k != "webhook"})
                self.store.conn.execute(
                    "INSERT INTO outbox(task_id, url, payload, next_at) VALUES (?,?,?,?)",
                    (task_id, task["webhook"], payload, now),
                )
