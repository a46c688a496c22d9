"""Versions and history events, kept in the swarm as configs (immutable, replicated by Raft).

A version is the config ``nexus-<agent>-v<revision>``: two deployers racing
for the same revision cannot both create it. An event (deploy, rollback,
scale) is one more small config. Everything a listing needs is in labels.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from nexus_cli.providers.base import HistoryEvent, Version
from nexus_swarm.engine import (
    LABEL_AGENT,
    LABEL_AT,
    LABEL_BY,
    LABEL_DIGEST,
    LABEL_ENV,
    LABEL_IMAGE,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_VERSION,
    listed,
    remote,
)

LABEL_ACTION = "dev.nexus.action"
LABEL_SOURCE = "dev.nexus.source"


def versions(client: Any, agent: str) -> list[Version]:
    found = listed(client.configs, agent, "version", "listing versions")
    out = [
        Version(
            revision=int(labels[LABEL_REVISION]),
            label=labels[LABEL_VERSION],
            digest=labels.get(LABEL_DIGEST),
            image=labels.get(LABEL_IMAGE),
            created_at=float(labels.get(LABEL_AT, "0")),
            created_by=labels.get(LABEL_BY),
            source=labels.get(LABEL_SOURCE),
        )
        for _, labels in found
    ]
    return sorted(out, key=lambda v: v.revision)


def record_version(client: Any, agent: str, version: Version) -> bool:
    """Store ``version``; False when its revision was taken meanwhile (retry with the next)."""
    from docker.errors import APIError

    labels = {
        LABEL_AGENT: agent,
        LABEL_ROLE: "version",
        LABEL_REVISION: str(version.revision),
        LABEL_VERSION: version.label,
        LABEL_DIGEST: version.digest or "",
        LABEL_IMAGE: version.image or "",
        LABEL_AT: repr(version.created_at),
        LABEL_BY: version.created_by or "",
        LABEL_SOURCE: version.source or "",
    }
    data = json.dumps(version.model_dump(mode="json"), sort_keys=True).encode()
    try:
        client.configs.create(name=f"nexus-{agent}-v{version.revision}", data=data, labels=labels)
    except APIError as exc:
        if exc.status_code == 409:
            return False
        raise
    return True


def events(client: Any, agent: str) -> list[HistoryEvent]:
    found = listed(client.configs, agent, "event", "listing history events")
    out = [
        HistoryEvent(
            at=float(labels[LABEL_AT]),
            env=labels[LABEL_ENV],
            action=labels[LABEL_ACTION],
            revision=int(labels[LABEL_REVISION]),
            label=labels[LABEL_VERSION],
            by=labels.get(LABEL_BY) or None,
        )
        for _, labels in found
    ]
    return sorted(out, key=lambda e: e.at)


def record_event(client: Any, agent: str, event: HistoryEvent) -> None:
    labels = {
        LABEL_AGENT: agent,
        LABEL_ROLE: "event",
        LABEL_ENV: event.env,
        LABEL_ACTION: event.action,
        LABEL_REVISION: str(event.revision),
        LABEL_VERSION: event.label,
        LABEL_AT: repr(event.at),
        LABEL_BY: event.by or "",
    }
    name = f"nexus-{agent}-e{int(event.at * 1000)}-{secrets.token_hex(3)}"
    data = json.dumps(event.model_dump(mode="json"), sort_keys=True).encode()
    with remote("recording a history event"):
        client.configs.create(name=name, data=data, labels=labels)


def new_event(env: str, action: str, version: Version, by: str) -> HistoryEvent:
    return HistoryEvent(
        at=time.time(),
        env=env,
        action=action,
        revision=version.revision,
        label=version.label,
        by=by,
    )


def find(found: list[Version], ref: str) -> Version | None:
    """A version by label, ``r3`` or ``3``."""
    for v in found:
        if ref in (v.label, f"r{v.revision}", str(v.revision)):
            return v
    return None
