"""What ``list``, ``status`` and ``history`` show of the agents' Deployments and records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.errors import NotFound
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    EnvironmentStatus,
    History,
    Replica,
    Version,
)
from nexus_kubernetes import manifests
from nexus_kubernetes.manifests import ANNOTATION_REVISION, ANNOTATION_VERSION, LABEL_ENV

if TYPE_CHECKING:
    from nexus_kubernetes.cluster import Cluster

ISOLATION = (
    "kubernetes: non-root pods, read-only root, all capabilities dropped, RuntimeDefault "
    "seccomp, CPU/memory limits"
)


def version_of(data: dict[str, str], live_in: list[str] | None = None) -> Version:
    return Version(
        revision=int(data["revision"]),
        label=data["label"],
        digest=data.get("digest") or None,
        image=data.get("image"),
        created_at=float(data.get("created_at", "0")),
        source="deploy",
        live_in=live_in or [],
    )


def summaries(cluster: Cluster) -> list[AgentSummary]:
    agents: dict[str, AgentSummary] = {}
    for dep in cluster.deployments():
        meta = dep["metadata"]
        agent = meta["labels"][manifests.LABEL_AGENT]
        summary = agents.setdefault(agent, AgentSummary(name=agent, environments={}, versions=0))
        summary.environments[meta["labels"][LABEL_ENV]] = meta["annotations"].get(
            ANNOTATION_VERSION
        )
    for summary in agents.values():
        summary.versions = len(cluster.records(summary.name))
    return sorted(agents.values(), key=lambda a: a.name)


def status(cluster: Cluster, name: str, env: str | None) -> AgentStatus:
    envs = []
    for dep in cluster.deployments(name):
        meta, spec, st = dep["metadata"], dep["spec"], dep.get("status") or {}
        if env and meta["labels"][LABEL_ENV] != env:
            continue
        ready = st.get("available_replicas") or 0
        envs.append(
            EnvironmentStatus(
                env=meta["labels"][LABEL_ENV],
                version=meta["annotations"].get(ANNOTATION_VERSION),
                revision=int(meta["annotations"].get(ANNOTATION_REVISION, "0")) or None,
                replicas_desired=spec.get("replicas") or 0,
                replicas=[Replica(id=f"{meta['name']}-{i}", state="healthy") for i in range(ready)],
                endpoint=f"http://{meta['name']}.{cluster.namespace}.svc",
                runtime="kubernetes",
                isolation="kubernetes: non-root pods, read-only root, all capabilities dropped, "
                "RuntimeDefault seccomp, CPU/memory limits",
            )
        )
    if not envs:
        raise NotFound(f"agent {name!r} is not deployed on kubernetes", hint="nexus ai agent list")
    return AgentStatus(name=name, provider="kubernetes", environments=envs)


def history(cluster: Cluster, name: str) -> History:
    records = cluster.records(name)
    if not records:
        raise NotFound(f"agent {name!r} has no revisions on kubernetes")
    live: dict[str, list[str]] = {}
    for dep in cluster.deployments(name):
        meta = dep["metadata"]
        live.setdefault(meta["annotations"].get(ANNOTATION_REVISION, ""), []).append(
            meta["labels"][LABEL_ENV]
        )
    return History(
        name=name, versions=[version_of(r, sorted(live.get(r["revision"], []))) for r in records]
    )
