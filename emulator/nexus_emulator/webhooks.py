"""Task webhooks, as the Standard Webhooks specification has them.

Each delivery carries ``webhook-id`` (the same on every retry), ``webhook-timestamp``
(Unix seconds of the attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, one per live secret, space-separated. Secrets are per
agent, shaped ``whsec_<base64 of 32 random bytes>``, kept in
``$NEXUS_HOME/webhooks/<agent>.json`` (0600). After a rotation the previous secret
keeps signing next to the new one for ``OVERLAP`` seconds, so a receiver can switch.

A delivery is retried on a compressed development schedule (``SCHEDULE``, with
±20 % jitter) until a 2xx answer: a ``Retry-After`` answer waits at least that
long; 410 Gone disables the endpoint for the agent (later deliveries to it are
dropped). Each attempt has ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexus_emulator.relay import Relay
    from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.webhooks")
SCHEDULE = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)  # seconds after failure n
MAX_DELIVERIES = len(SCHEDULE) + 1
TIMEOUT = 10.0
OVERLAP = 24 * 3600.0
MAX_RETRY_AFTER = 3600.0


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def next_delay(failures: int, retry_after: float | None) -> float:
    """Seconds before the next attempt after ``failures`` failed ones."""
    base = SCHEDULE[min(failures, len(SCHEDULE)) - 1]
    delay = base * random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def retry_after(value: str | None) -> float | None:
    """The seconds of a ``Retry-After`` header (its date form is read as absent)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Secrets:
    """The signing secrets of each agent's webhooks, and the endpoints a 410 disabled."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, agent: str) -> Path:
        return self.root / f"{agent}.json"

    def _load(self, agent: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._path(agent).read_text())
        except (OSError, ValueError):
            data = {}
        if not data.get("secrets"):
            data = {"secrets": [{"secret": new_secret(), "created_at": time.time()}]}
            self._save(agent, data)
        return data

    def _save(self, agent: str, data: dict[str, Any]) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._path(agent).with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self._path(agent))

    def live(self, agent: str) -> list[str]:
        """The secrets that sign now, newest first."""
        now = time.time()
        return [
            s["secret"]
            for s in self._load(agent)["secrets"]
            if s.get("expires_at") is None or s["expires_at"] > now
        ]

    def show(self, agent: str) -> dict[str, Any]:
        data = self._load(agent)
        now = time.time()
        current, *older = data["secrets"]
        return {
            "agent": agent,
            "secret": current["secret"],
            "created_at": current["created_at"],
            "previous_until": [s["expires_at"] for s in older if s["expires_at"] > now],
            "disabled_endpoints": data.get("disabled", []),
        }

    def rotate(self, agent: str) -> dict[str, Any]:
        """A new secret; the one before keeps signing for ``OVERLAP`` seconds."""
        data = self._load(agent)
        now = time.time()
        older = [
            {**s, "expires_at": s.get("expires_at") or now + OVERLAP}
            for s in data["secrets"]
            if (s.get("expires_at") or now + OVERLAP) > now
        ]
        data["secrets"] = [{"secret": new_secret(), "created_at": now}, *older]
        self._save(agent, data)
        return self.show(agent)

    def disabled(self, agent: str, url: str) -> bool:
        return url in self._load(agent).get("disabled", [])

    def disable(self, agent: str, url: str) -> None:
        data = self._load(agent)
        data["disabled"] = sorted({*data.get("disabled", []), url})
        self._save(agent, data)

    def forget(self, agent: str) -> None:
        self._path(agent).unlink(missing_ok=True)


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
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(at),
            "webhook-signature": " ".join(
                signature(s, msg_id, at, payload) for s in self.secrets.live(agent)
            ),
        }
        wait: float | None = None
        try:
            async with self.relay.session.post(
                url, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
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


def message_id(task_id: str, delivery_id: int) -> str:
    """The ``webhook-id`` of a delivery: the same on each of its attempts."""
    return f"msg_{task_id}_{delivery_id}"
