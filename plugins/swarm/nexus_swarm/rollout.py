"""Waiting for a service to converge: every replica of the new spec running and healthy.

With a health check, a swarm task stays ``starting`` until its first healthy
/ping, then turns ``running``. An update that fails is rolled back by the
swarm itself (``FailureAction: rollback``); this module reports it.
"""

from __future__ import annotations

import time
from typing import Any

from nexus_cli.errors import OperationFailed
from nexus_cli.providers.base import ProgressFn, Replica
from nexus_swarm.engine import remote
from nexus_swarm.spec import LABEL_SPEC

POLL_S = 0.4
FAILED = {"failed", "rejected", "orphaned"}
ROLLED_BACK = {"rollback_started", "rollback_paused", "rollback_completed", "paused"}
MAX_FAILED_STARTS = 3  # a first deploy has no previous spec to roll back to: give up


def tasks(client: Any, service_id: str, running_only: bool = True) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {"service": service_id}
    if running_only:
        filters["desired-state"] = "running"
    with remote("listing tasks"):
        found: list[dict[str, Any]] = client.api.tasks(filters=filters)
    return found


def spec_hash(task: dict[str, Any]) -> str | None:
    labels = task.get("Spec", {}).get("ContainerSpec", {}).get("Labels") or {}
    value = labels.get(LABEL_SPEC)
    return str(value) if value else None


def replica(task: dict[str, Any], endpoint: str | None = None) -> Replica:
    state = task.get("Status", {}).get("State", "unknown")
    shown = {"running": "healthy", "starting": "starting", "shutdown": "stopped"}.get(
        state, "unhealthy" if state in FAILED else "starting"
    )
    labels = task.get("Spec", {}).get("ContainerSpec", {}).get("Labels") or {}
    return Replica(
        id=f"{task.get('Slot', '?')}.{task['ID'][:12]}",
        state=shown,
        endpoint=endpoint,
        version=labels.get("dev.nexus.version"),
    )


def _logs_tail(client: Any, service_id: str) -> list[str]:
    try:
        raw = client.api.service_logs(service_id, stdout=True, stderr=True, tail=15)
        text = b"".join(raw).decode("utf-8", "replace")
    except Exception:  # the tail only decorates the error
        return []
    return [line for line in text.splitlines() if line.strip()][-15:]


def _task_errors(found: list[dict[str, Any]], digest: str) -> list[str]:
    out = []
    for task in found:
        status = task.get("Status", {})
        if spec_hash(task) == digest and status.get("State") in FAILED:
            out.append(f"task {task['ID'][:12]}: {status.get('Err') or status.get('Message')}")
    return out[-5:]


def update_started(client: Any, service_id: str) -> str | None:
    """When the service's last update started: an UpdateStatus that old is not ours."""
    with remote("reading the service"):
        service = client.api.inspect_service(service_id)
    started = (service.get("UpdateStatus") or {}).get("StartedAt")
    return str(started) if started else None


def converge(
    client: Any,
    service_id: str,
    digest: str,
    replicas: int,
    progress: ProgressFn,
    timeout: float,
    previous: str | None = None,
) -> list[Replica]:
    """Return the replicas once ``replicas`` tasks of spec ``digest`` (and no other) run.

    ``previous`` is :func:`update_started` before the change was sent.
    """
    deadline = time.monotonic() + timeout
    shown = ""
    while True:
        with remote("watching the rollout"):
            service = client.api.inspect_service(service_id)
        update = service.get("UpdateStatus") or {}
        if previous is not None and update.get("StartedAt") == previous:
            update = {}  # left from an earlier update
        everything = tasks(client, service_id, running_only=False)
        if update.get("State") in ROLLED_BACK:
            raise OperationFailed(
                f"the update failed and the swarm rolled it back: {update.get('Message', '')}",
                details=_task_errors(everything, digest) + _logs_tail(client, service_id),
                hint="nexus ai agent logs NAME --env ENV  # why the new replicas failed",
            )
        live = [t for t in everything if t.get("DesiredState") == "running"]
        new = [t for t in live if spec_hash(t) == digest]
        ready = [t for t in new if t.get("Status", {}).get("State") == "running"]
        failures = _task_errors(everything, digest)
        if not update and len(failures) >= MAX_FAILED_STARTS and not ready:
            raise OperationFailed(
                f"no replica of the new version became healthy ({len(failures)} failed starts)",
                details=failures + _logs_tail(client, service_id),
                hint="nexus ai agent logs NAME --env ENV  # the replicas' own output",
            )
        line = f"replicas healthy {len(ready)}/{replicas}"
        if line != shown:
            progress(line)
            shown = line
        settled = update.get("State") in (None, "completed")
        if len(ready) == replicas and len(live) == replicas and settled:
            return [replica(t) for t in sorted(ready, key=lambda t: t.get("Slot", 0))]
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"the rollout did not finish within {timeout:.0f}s ({line})",
                details=failures + _logs_tail(client, service_id),
                hint="docker service ps --no-trunc SERVICE  # the swarm's view of the tasks",
            )
        time.sleep(POLL_S)
