"""Standard Webhooks signing, shared by the local emulator and the swarm front (stdlib only).

Each delivery carries ``webhook-id`` (the same on every retry), ``webhook-timestamp``
(Unix seconds of the attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``, one per live secret, space-separated. Secrets are per
agent, shaped ``whsec_<base64 of 32 random bytes>``, kept in ``<folder>/<agent>.json``
(0600). After a rotation the previous secret keeps signing next to the new one for
``OVERLAP`` seconds, so a receiver can switch. A failed delivery is retried on
``SCHEDULE`` (±20 % jitter), at least as late as a ``Retry-After`` answer says.

The swarm front runs this file alone (stored beside front.py as a swarm config),
so it imports nothing but the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import secrets
import time
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
