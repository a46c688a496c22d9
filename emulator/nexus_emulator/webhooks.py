"""Task webhooks of the emulator: an outbox in SQLite posted as Standard Webhooks.

Signing, secrets and the retry schedule are nexus.standard_webhooks (shared with
the swarm front). A delivery is retried until a 2xx answer; 410 Gone disables the
endpoint for the agent (later deliveries to it are dropped). Each attempt has
``TIMEOUT`` seconds.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from nexus.standard_webhooks import (
    TIMEOUT,
    Outbox,
    Secrets,
    deliver_due,
    headers,
    message_id,
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
        return Outbox(self.store.conn).of_task(task_id)

    def _due(self) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.store.conn.execute(
            "SELECT o.id, o.task_id, t.agent, o.url, o.payload, o.attempts FROM outbox o "
            "JOIN tasks t ON t.id = o.task_id WHERE o.delivered_at IS NULL "
            "AND o.failed_at IS NULL AND o.next_at <= ? ORDER BY o.id LIMIT 20",
            (time.time(),),
        ).fetchall()
        return rows

    async def run(self) -> None:
        await deliver_due(self._due, self._post, log)

    async def _post(
        self, delivery_id: int, task_id: str, agent: str, url: str, payload: bytes, n: int
    ) -> None:
        import aiohttp

        outbox = Outbox(self.store.conn)
        if self.secrets.disabled(agent, url):
            error = "the endpoint answered 410 Gone before: disabled"
            outbox.failed(delivery_id, n, error, None)
            return
        msg_id, at = message_id(task_id, delivery_id), int(time.time())
        signed = headers(self.secrets.live(agent), msg_id, at, payload)
        status: int | None = None
        wait: str | None = None
        error = ""
        try:
            async with self.relay.session.post(
                url, data=payload, headers=signed, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
            ) as resp:
                status, wait, error = (
                    resp.status,
                    resp.headers.get("Retry-After"),
                    f"HTTP {resp.status}",
                )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = str(exc) or type(exc).__name__
        gone = "HTTP 410: the endpoint is disabled"
        if outbox.answered(delivery_id, n, status, wait, error, gone):
            self.secrets.disable(agent, url)
            log.warning("webhook endpoint %s of %s answered 410: disabled", url, agent)
        elif status is None or not 200 <= status < 300:
            log.warning("webhook delivery %d to %s failed (%s)", delivery_id, url, error)
