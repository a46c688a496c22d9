"""Rows and live replicas rendered as the provider contract's result models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexus_api.models import (
    AgentStatus,
    AgentSummary,
    DeployResult,
    EnvironmentStatus,
    History,
    HistoryEvent,
    Replica,
    Resources,
    Version,
)
from nexus_emulator.pools import LiveReplica
from nexus_emulator.store.db import DeploymentRow, Store, VersionRow

if TYPE_CHECKING:
    from nexus_emulator.deployer import Deployer


def version(v: VersionRow, live_in: list[str]) -> Version:
    return Version(
        revision=v.revision,
        label=v.label,
        digest=v.digest,
        image=v.artifact,
        created_at=v.created_at,
        created_by=v.created_by,
        source=v.source,
        live_in=live_in,
    )


def replica(r: LiveReplica, label: str | None) -> Replica:
    return Replica(
        id=r.handle.id,
        state=r.state,
        endpoint=r.handle.endpoint,
        version=label,
        started_at=r.started_at,
        healthy_after_s=None if r.healthy_after is None else round(r.healthy_after, 3),
    )


def _live_map(store: Store, agent: str) -> dict[int, list[str]]:
    live: dict[int, list[str]] = {}
    for d in store.deployments(agent):
        live.setdefault(d.revision, []).append(d.env)
    return live


def deploy_result(
    deployer: Deployer, agent: str, env: str, v: VersionRow, duration: float, unchanged: bool
) -> dict[str, Any]:
    pool = deployer.pools.get(agent, env)
    replicas = [replica(r, v.label) for r in pool.replicas] if pool else []
    return DeployResult(
        name=agent,
        env=env,
        version=version(v, _live_map(deployer.store, agent).get(v.revision, [])),
        replicas=replicas,
        endpoint=endpoint(deployer, agent),
        duration_s=round(duration, 3),
        unchanged=unchanged,
    ).model_dump(mode="json")


def endpoint(deployer: Deployer, agent: str) -> str:
    c = deployer.config
    return f"http://{c.host}:{c.port}/agents/{agent}/run"


def environment(deployer: Deployer, d: DeploymentRow) -> EnvironmentStatus:
    v = deployer.store.version(d.agent, d.revision)
    pool = deployer.pools.get(d.agent, d.env)
    label = v.label if v else None
    return EnvironmentStatus(
        env=d.env,
        version=label,
        revision=d.revision,
        replicas_desired=d.replicas,
        replicas=[replica(r, label) for r in pool.replicas] if pool else [],
        endpoint=endpoint(deployer, d.agent) + f"?env={d.env}",
        resources=Resources(
            cpu=d.cpu, memory=d.memory, nano_cpus=d.nano_cpus, memory_bytes=d.memory_bytes
        ),
        autoscale=d.autoscale,
        runtime=deployer.runtime.name,
        isolation=deployer.runtime.isolation,
        updated_at=d.updated_at,
    )


def status(deployer: Deployer, agent: str, env: str | None) -> dict[str, Any]:
    rows = [d for d in deployer.store.deployments(agent) if env is None or d.env == env]
    return AgentStatus(
        name=agent, provider="local", environments=[environment(deployer, d) for d in rows]
    ).model_dump(mode="json")


def summaries(store: Store) -> list[dict[str, Any]]:
    out = []
    for name in store.agent_names():
        labels = {v.revision: v.label for v in store.versions(name)}
        out.append(
            AgentSummary(
                name=name,
                environments={d.env: labels.get(d.revision) for d in store.deployments(name)},
                versions=len(labels),
                updated_at=store.agent_updated_at(name),
            ).model_dump(mode="json")
        )
    return out


def history(store: Store, agent: str) -> dict[str, Any]:
    live = _live_map(store, agent)
    return History(
        name=agent,
        versions=[version(v, live.get(v.revision, [])) for v in store.versions(agent)],
        events=[
            HistoryEvent(
                at=e.at, env=e.env, action=e.action, revision=e.revision, label=e.label, by=e.by
            )
            for e in store.events(agent)
        ],
    ).model_dump(mode="json")
