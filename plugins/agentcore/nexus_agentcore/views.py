"""What ``list``, ``status`` and ``history`` show of AgentCore runtimes and endpoints."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from nexus_agentcore.runtime import Runtimes, agent_name, parse
from nexus_cli.errors import NotFound
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    EnvironmentStatus,
    History,
    Version,
)

ENVIRONMENTS = ("development", "staging", "production")
ISOLATION = "agentcore: every session in its own microVM; AgentCore scales sessions by itself"


def _time(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else time.time()


def version_of(item: dict[str, Any], live_in: list[str] | None = None) -> Version:
    label, digest = parse(item.get("description"))
    number = int(item["agentRuntimeVersion"])
    return Version(
        revision=number,
        label=label or f"v{number}",
        digest=digest,
        created_at=_time(item.get("lastUpdatedAt") or item.get("createdAt")),
        source="deploy",
        live_in=live_in or [],
    )


def summaries(rt: Runtimes) -> list[AgentSummary]:
    out = []
    for runtime in rt.all():
        runtime_id = str(runtime["agentRuntimeId"])
        labels = {
            int(v["agentRuntimeVersion"]): version_of(v).label for v in rt.versions(runtime_id)
        }
        envs = {
            e["name"]: labels.get(int(e.get("targetVersion") or 0))
            for e in rt.endpoints(runtime_id)
            if e["name"] in ENVIRONMENTS
        }
        out.append(
            AgentSummary(
                name=agent_name(runtime["agentRuntimeName"]),
                environments=envs,
                versions=len(labels),
                updated_at=_time(runtime.get("lastUpdatedAt")),
            )
        )
    return sorted(out, key=lambda a: a.name)


def status(rt: Runtimes, name: str, runtime_id: str, env: str | None) -> AgentStatus:
    labels = {int(v["agentRuntimeVersion"]): version_of(v).label for v in rt.versions(runtime_id)}
    environments = []
    for endpoint in rt.endpoints(runtime_id):
        if endpoint["name"] not in ENVIRONMENTS or (env and endpoint["name"] != env):
            continue
        revision = int(endpoint.get("targetVersion") or 0) or None
        environments.append(
            EnvironmentStatus(
                env=endpoint["name"],
                version=labels.get(revision or 0),
                revision=revision,
                replicas_desired=0,
                endpoint=endpoint.get("agentRuntimeEndpointArn"),
                runtime="agentcore",
                isolation=ISOLATION,
                updated_at=_time(endpoint.get("lastUpdatedAt")),
            )
        )
    if env and not environments:
        raise NotFound(f"{name} has no {env} endpoint on AgentCore", hint="nexus ai agent list")
    return AgentStatus(name=name, provider="agentcore", environments=environments)


def history(rt: Runtimes, name: str, runtime_id: str) -> History:
    live: dict[str, list[str]] = {}
    for endpoint in rt.endpoints(runtime_id):
        if endpoint["name"] in ENVIRONMENTS:
            live.setdefault(str(endpoint.get("targetVersion")), []).append(endpoint["name"])
    versions = [
        version_of(v, sorted(live.get(str(v["agentRuntimeVersion"]), [])))
        for v in rt.versions(runtime_id)
    ]
    return History(name=name, versions=versions, events=[])
