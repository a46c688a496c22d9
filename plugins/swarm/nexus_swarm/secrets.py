"""Agent secrets as swarm secrets: one per key and scope, mounted as files, never in a spec.

A replica gets each of its secrets as ``/run/nexus/secrets/<KEY>`` (mode
0400, its own uid); the SDK turns the files of ``NEXUS_SECRETS_DIR`` into
environment variables before the agent is imported. Swarm secrets cannot be
changed, so setting a key creates a new secret, points the services at it
(a rolling update) and removes the old one. A key set for one environment
overrides the same key set for every environment (scope ``*``).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets as random
import time
from dataclasses import dataclass
from typing import Any

from nexus_cli.providers.base import Secret
from nexus_swarm.engine import LABEL_AGENT, LABEL_AT, LABEL_ROLE, listed, remote
from nexus_swarm.spec import SecretRef

LABEL_KEY = "dev.nexus.key"
LABEL_SCOPE = "dev.nexus.scope"
LABEL_VALUE_DIGEST = "dev.nexus.value-digest"
ALL = "*"
KEY_STORE = "swarm secrets (encrypted in the managers' Raft log)"


@dataclass(frozen=True)
class Stored:
    id: str
    name: str
    key: str
    scope: str
    digest: str
    updated_at: float

    def public(self) -> Secret:
        return Secret(
            name=self.key, scope=self.scope, digest=self.digest, updated_at=self.updated_at
        )


def stored(client: Any, agent: str) -> list[Stored]:
    out = [
        Stored(
            id=item.id,
            name=item.name,
            key=labels[LABEL_KEY],
            scope=labels[LABEL_SCOPE],
            digest=labels.get(LABEL_VALUE_DIGEST, ""),
            updated_at=float(labels.get(LABEL_AT, "0")),
        )
        for item, labels in listed(client.secrets, agent, "secret", "listing secrets")
    ]
    return sorted(out, key=lambda s: (s.key, s.scope, -s.updated_at))


def refs(found: list[Stored], env: str) -> tuple[SecretRef, ...]:
    """The secrets an environment's replicas get: its own keys over the ``*`` ones."""
    chosen: dict[str, Stored] = {}
    for item in found:  # newest first within a (key, scope)
        if item.scope not in (env, ALL):
            continue
        current = chosen.get(item.key)
        if current is None or (current.scope == ALL and item.scope == env):
            chosen[item.key] = item
    return tuple(SecretRef(key=s.key, secret_id=s.id, secret_name=s.name) for s in chosen.values())


def create(client: Any, agent: str, key: str, value: str, scope: str) -> Stored:
    digest = "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
    now = time.time()
    labels = {
        LABEL_AGENT: agent,
        LABEL_ROLE: "secret",
        LABEL_KEY: key,
        LABEL_SCOPE: scope,
        LABEL_VALUE_DIGEST: digest,
        LABEL_AT: repr(now),
    }
    name = f"nexus-{agent[:40]}-s{random.token_hex(5)}"
    with remote(f"creating the secret {key}"):
        made = client.secrets.create(name=name, data=value.encode(), labels=labels)
    return Stored(id=made.id, name=name, key=key, scope=scope, digest=digest, updated_at=now)


def remove(client: Any, items: list[Stored]) -> None:
    from docker.errors import NotFound

    for item in items:
        with contextlib.suppress(NotFound):
            client.api.remove_secret(item.id)
