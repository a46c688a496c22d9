"""Standard Webhooks signing, shared by the local emulator and the swarm front (stdlib only).

Each delivery carries ``webhook-id`` (the same on every retry), ``webhook-timestamp``
(Unix seconds of the attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, one per live secret, space-separated. Secrets are per
agent, shaped ``whsec_<base64 of 32 random bytes>``, kept in ``<folder>/<agent>.json``
(0600). After a rotation the previous secret keeps signing next to the new one for
``OVERLAP`` seconds, so a receiver can switch. A failed delivery is retried on
``SCHEDULE`` (±20 % jitter), at least as late as a ``Retry-After`` answer says.

Deliveries wait in an :class:`Outbox`, a SQLite table ``outbox`` that both the
emulator's database and the swarm front's hold, written in the same transaction
as the task's end so none is lost (by the emulator's task queue, by the front's
store); :func:`deliver_due` posts what is due.

The swarm front runs this file alone (stored beside front.py as a swarm config),
so it imports nothing but the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

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


def headers(live: list[str], msg_id: str, at: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt, signed with every live secret."""
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": " ".join(signature(s, msg_id, at, body) for s in live),
    }


def message_id(task_id: str, delivery_id: int) -> str:
    """The ``webhook-id`` of a delivery: the same on each of its attempts."""
    return f"msg_{task_id}_{delivery_id}"


DELIVERY = ("id", "url", "attempts", "delivered_at", "failed_at", "last_error", "next_at")


class Outbox:
    """The deliveries of task webhooks in a SQLite ``outbox`` table: each is retried on
    ``SCHEDULE`` until a 2xx answer, at most ``MAX_DELIVERIES`` times; 410 Gone ends it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def of_task(self, task_id: str) -> list[dict[str, Any]]:
        """The deliveries of a task's webhook and how their attempts went."""
        rows = self.conn.execute(
            f"SELECT {', '.join(DELIVERY)} FROM outbox WHERE task_id=? ORDER BY id", (task_id,)
        ).fetchall()
        found = [dict(zip(DELIVERY, row, strict=True)) for row in rows]
        for d in found:
            d["webhook_id"] = message_id(task_id, d.pop("id"))
            if d["delivered_at"] or d["failed_at"]:
                d["next_at"] = None
        return found

    def answered(
        self,
        delivery_id: int,
        attempts: int,
        status: int | None,
        wait: str | None,
        error: str,
        gone: str = "HTTP 410: the endpoint is gone",
    ) -> bool:
        """Records one more attempt after ``attempts``: its HTTP ``status`` (None: no
        answer, ``error`` says why) and ``Retry-After`` (``wait``). A 410 Gone ends the
        delivery with the error ``gone`` and answers True."""
        attempts += 1
        if status is not None and 200 <= status < 300:
            with self.conn:
                self.conn.execute(
                    "UPDATE outbox SET delivered_at=?, attempts=? WHERE id=?",
                    (time.time(), attempts, delivery_id),
                )
            return False
        if status == 410:
            self.failed(delivery_id, attempts, gone, None)
            return True
        last = attempts >= MAX_DELIVERIES
        self.failed(
            delivery_id, attempts, error, None if last else next_delay(attempts, retry_after(wait))
        )
        return False

    def failed(self, delivery_id: int, attempts: int, error: str, delay: float | None) -> None:
        """An attempt that failed: the next one in ``delay`` seconds, or none (failed)."""
        now = time.time()
        with self.conn:
            self.conn.execute(
                "UPDATE outbox SET attempts=?, last_error=?, next_at=?, failed_at=? WHERE id=?",
                (
                    attempts,
                    error,
                    now + (delay or 0.0),
                    now if delay is None else None,
                    delivery_id,
                ),
            )


async def deliver_due(
    due: Callable[[], Sequence[tuple[Any, ...]]],
    deliver: Callable[..., Awaitable[None]],
    log: logging.Logger,
) -> None:
    """Forever: every quarter second, ``deliver(*row)`` for each row ``due()`` returns (its
    first field the delivery's id); one delivery that raises does not stop the others."""
    import asyncio

    while True:
        await asyncio.sleep(0.25)
        for row in due():
            try:
                await deliver(*row)
            except Exception:  # logged with its traceback; the others still go
                log.exception("webhook delivery %d failed", row[0])
