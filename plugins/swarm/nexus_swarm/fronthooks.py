"""Task webhooks from the swarm front, signed as Standard Webhooks (runs in the swarm).

The signing, the retry schedule and the delivery ids are the local emulator's
(nexus/standard_webhooks.py, stored beside this file as a swarm config). The
agent's live signing secrets come from a swarm secret mounted into the front
(``NEXUS_WEBHOOK_SECRETS``: one ``whsec_`` secret a line, newest first); the
provider writes it from the secrets it keeps for the agent. A delivery is
retried until a 2xx answer; a 410 Gone answer ends it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexus.standard_webhooks import (
        MAX_DELIVERIES,
        TIMEOUT,
        headers,
        message_id,
        next_delay,
        retry_after,
    )
    from nexus_swarm.frontstore import Store
else:
    try:  # in the front: the copy stored beside this file
        from standard_webhooks import (
            MAX_DELIVERIES,
            TIMEOUT,
            headers,
            message_id,
            next_delay,
            retry_after,
        )
    except ImportError:  # imported from the nexus_swarm package (tests)
        from nexus.standard_webhooks import (
            MAX_DELIVERIES,
            TIMEOUT,
            headers,
            message_id,
            next_delay,
            retry_after,
        )

log = logging.getLogger("nexus-front")
SECRETS_FILE = os.environ.get("NEXUS_WEBHOOK_SECRETS", "/run/secrets/nexus-webhook")


def live_secrets(path: str = SECRETS_FILE) -> list[str]:
    try:
        with open(path) as fh:
            return [line.strip() for line in fh if line.strip().startswith("whsec_")]
    except OSError:
        return []


def post(url: str, body: bytes, signed: dict[str, str]) -> tuple[int | None, str | None, str]:
    """(HTTP status or None, its Retry-After, what went wrong) of one attempt."""
    request = urllib.request.Request(url, data=body, headers=signed, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return int(answer.status), None, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After"), f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, None, str(exc) or type(exc).__name__


class Hooks:
    def __init__(self, store: Store, secrets_file: str = SECRETS_FILE) -> None:
        self.store = store
        self.secrets_file = secrets_file

    def of_task(self, task_id: str) -> list[dict[str, Any]]:
        found = self.store.deliveries(task_id)
        for d in found:
            d["webhook_id"] = message_id(task_id, d.pop("id"))
            if d["delivered_at"] or d["failed_at"]:
                d["next_at"] = None
        return found

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            for delivery in self.store.due():
                try:
                    await self._deliver(*delivery)
                except Exception:  # one bad delivery must not stop the others
                    log.exception("webhook delivery %d failed", delivery[0])

    async def _deliver(self, delivery_id: int, task_id: str, url: str, body: bytes, n: int) -> None:
        msg_id = message_id(task_id, delivery_id)
        signed = headers(live_secrets(self.secrets_file), msg_id, int(time.time()), body)
        status, wait, error = await asyncio.to_thread(post, url, body, signed)
        if status is not None and 200 <= status < 300:
            self.store.delivered(delivery_id, n + 1)
            return
        if status == 410:
            self.store.failed(delivery_id, n + 1, "HTTP 410: the endpoint is gone", None)
            return
        attempts = n + 1
        delay = None if attempts >= MAX_DELIVERIES else next_delay(attempts, retry_after(wait))
        self.store.failed(delivery_id, attempts, error, delay)
        log.warning("webhook delivery %d to %s failed (%s)", delivery_id, url, error)
