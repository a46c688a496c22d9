"""Task webhooks of the emulator: an outbox in SQLite posted as Standard Webhooks.

Signing, secrets and the retry schedule are nexus.standard_webhooks (shared with
the swarm front). A delivery is retried until a 2xx answer; 410 Gone disables the
endpoint for the agent (later deliveries to it are dropped). Each attempt has
``TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from nexus.standard_webhooks import (
    MAX_DELIVERIES,
    TIMEOUT,
    Secrets,
    headers,
    message_id,
    next_delay,
    retry_after,
)

if TYPE_CHECKING:
    from nexus_emulator.relay import Relay
    from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.webhooks")


class Deliveries:
    """Posts the outbox's due deliveries (written by the task queue with each task's end)."""

    def __init__(self, store: Store, relay: Relay, secrets: Secrets) -> None:
        self.store = store
        self.relay = relay  # its HTTP session posts the deliveries
        self.secrets = secrets

    def of_task(self, task_id: str) -> list[dict[str, Any]]:
        """The deliveries of a task's webhook and how their attempts went."""
        rows = self.store.conn.execute(
            "SELECT id, url, attempts, delivered_at, failed_at, last_error, next_at "
            "FROM outbox WHERE task_id=? ORDER BY id",
            (task_id,),
        ).fetchall()
        keys = ("id", "url", "attempts", "delivered_at", "failed_at", "last_error", "next_at")
        found = [dict(zip(keys, row, strict=True)) for row in rows]
        for d in found:
            d["webhook_id"] = message_id(task_id, d.pop("id"))
            if d["delivered_at"] or d["failed_at"]:
                d["next_at"] = None
        return found

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            due = self.store.conn.execute(
                "SELECT o.id, o.task_id, t.agent, o.url, o.payload, o.attempts FROM outbox o "
                "JOIN tasks t ON t.id = o.task_id WHERE o.delivered_at IS NULL "
                "AND o.failed_at IS NULL AND o.next_at <= ? ORDER BY o.id LIMIT 20",
                (time.time(),),
            ).fetchall()
            for delivery_id, task_id, agent, url, payload, attempts in due:
                try:
                    await self._post(delivery_id, task_id, agent, url, payload, attempts)
                except Exception:  # one bad delivery must not stop the others
                    log.exception("webhook delivery %d failed", delivery_id)

    async def _post(
        self, delivery_id: int, task_id: str, agent: str, url: str, payload: bytes, n: int
    ) -> None:
        import aiohttp

        if self.secrets.disabled(agent, url):
            self._update(delivery_id, n, "the endpoint answered 410 Gone before: disabled", None)
            return
        msg_id, at = message_id(task_id, delivery_id), int(time.time())
        signed = headers(self.secrets.live(agent), msg_id, at, payload)
        wait: float | None = None
        try:
            async with self.relay.session.post(
                url, data=payload, headers=signed, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
            ) as resp:
                if 200 <= resp.status < 300:
                    with self.store.conn:
                        self.store.conn.execute(
                            "UPDATE outbox SET delivered_at=?, attempts=? WHERE id=?",
                            (time.time(), n + 1, delivery_id),
                        )
                    return
                if resp.status == 410:
                    self.secrets.disable(agent, url)
                    log.warning("webhook endpoint %s of %s answered 410: disabled", url, agent)
                    self._update(delivery_id, n + 1, "HTTP 410: the endpoint is disabled", None)
                    return
                error, wait = f"HTTP {resp.status}", retry_after(resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = str(exc) or type(exc).__name__
        attempts = n + 1
        delay = None if attempts >= MAX_DELIVERIES else next_delay(attempts, wait)
        self._update(delivery_id, attempts, error, delay)
        log.warning("webhook delivery %d to %s failed (%s)", delivery_id, url, error)

    def _update(self, delivery_id: int, attempts: int, error: str, delay: float | None) -> None:
        """An attempt that failed: the next one in ``delay`` seconds, or none (failed)."""
        now = time.time()
        with self.store.conn:
            self.store.conn.execute(
                "UPDATE outbox SET attempts=?, last_error=?, next_at=?, failed_at=? WHERE id=?",
                (
                    attempts,
                    error,
                    now + (delay or 0.0),
                    now if delay is None else None,
                    delivery_id,
                ),
            )
