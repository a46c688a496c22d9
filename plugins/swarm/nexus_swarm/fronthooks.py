"""Task webhooks from the swarm front, signed as Standard Webhooks (runs in the swarm).

The signing, the retry schedule, the delivery ids and the outbox's bookkeeping
are the local emulator's (nexus/standard_webhooks.py, stored beside this file as
a swarm config). The
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
    from nexus import standard_webhooks as webhooks
    from nexus_swarm.frontstore import Store
else:
    try:  # in the front: the copy stored beside this file
        import standard_webhooks as webhooks
    except ImportError:  # imported from the nexus_swarm package (tests)
        from nexus import standard_webhooks as webhooks

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
        with urllib.request.urlopen(request, timeout=webhooks.TIMEOUT) as answer:
            return int(answer.status), None, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After"), f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, None, str(exc) or type(exc).__name__


class Hooks:
    def __init__(self, store: Store, secrets_file: str = SECRETS_FILE) -> None:
        self.store = store
        self.outbox = webhooks.Outbox(store.conn)
        self.secrets_file = secrets_file

    def of_task(self, task_id: str) -> list[dict[str, Any]]:
        return self.outbox.of_task(task_id)

    async def run(self) -> None:
        await webhooks.deliver_due(self.store.due, self._deliver, log)

    async def _deliver(self, delivery_id: int, task_id: str, url: str, body: bytes, n: int) -> None:
        msg_id = webhooks.message_id(task_id, delivery_id)
        signed = webhooks.headers(live_secrets(self.secrets_file), msg_id, int(time.time()), body)
        status, wait, error = await asyncio.to_thread(post, url, body, signed)
        gone = self.outbox.answered(delivery_id, n, status, wait, error)
        if not gone and (status is None or not 200 <= status < 300):
            log.warning("webhook delivery %d to %s failed (%s)", delivery_id, url, error)
