"""The emulator's state rendered as the API's answers (``nexus_api.models``); used by routes.

Each function is given what it reads (the store, the pools, where the
emulator serves), never the deployer.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from nexus_emulator.identity.tokens import service_account
from nexus_emulator.outcomes import Rollout
from nexus_emulator.pools import LiveReplica, Pools
from nexus_emulator.store.db import DeploymentRow, Store, VersionRow


@dataclass(frozen=True)
class Site:
    """Where the emulator serves and how it runs replicas, as its answers say it."""

    base_url: str  # http://host:port
    runtime: str
    isolation: str
    egress: str = ""  # whether the runtime enforces network = "platform"

    def endpoint(self, agent: str) -> str:
        return f"{self.base_url}/agents/{agent}/run"


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
        in_flight=r.in_flight,
        busy=r.busy,
        usage=r.usage,
    )


def _live_map(store: Store, agent: str) -> dict[int, list[str]]:
    live: dict[int, list[str]] = {}
    for d in store.deployments(agent):
        live.setdefault(d.revision, []).append(d.env)
    return live


def deploy_result(rollout: Rollout, store: Store, site: Site) -> DeployResult:
    v = rollout.version
    return DeployResult(
        name=rollout.agent,
        env=rollout.env,
        version=version(v, _live_map(store, rollout.agent).get(v.revision, [])),
        replicas=[replica(r, v.label) for r in rollout.replicas],
        endpoint=site.endpoint(rollout.agent) + f"?env={rollout.env}",  # calls reach this env
        duration_s=round(rollout.duration, 3),
        unchanged=rollout.unchanged,
    )


def environment(d: DeploymentRow, store: Store, pools: Pools, site: Site) -> EnvironmentStatus:
    v = store.version(d.agent, d.revision)
    pool = pools.get(d.agent, d.env)
    spare = pools.spares.get((d.agent, d.env))
    label = v.label if v else None
    return EnvironmentStatus(
        env=d.env,
        version=label,
        revision=d.revision,
        replicas_desired=d.replicas,
        replicas=[replica(r, label) for r in pool.replicas] if pool else [],
        endpoint=site.endpoint(d.agent) + f"?env={d.env}",
        resources=Resources(
            cpu=d.cpu, memory=d.memory, nano_cpus=d.nano_cpus, memory_bytes=d.memory_bytes
        ),
        autoscale=d.autoscale,
        runtime=site.runtime,
        isolation=site.isolation,
        updated_at=d.updated_at,
        service_account=service_account(d.agent, d.env),
        network=d.network,
        egress=site.egress or None,
        crash_loop=pools.crashes.view(d.agent, d.env, d.revision),
        max_concurrency=d.max_concurrency,
        queued=pools.waiting.get((d.agent, d.env), 0),
        max_attempts=d.max_attempts,
        session_spare=replica(spare.live, label) if spare else None,
    )


def status(agent: str, env: str | None, store: Store, pools: Pools, site: Site) -> AgentStatus:
    rows = [d for d in store.deployments(agent) if env is None or d.env == env]
    return AgentStatus(
        name=agent,
        provider="local",
        environments=[environment(d, store, pools, site) for d in rows],
    )


def summaries(store: Store) -> list[AgentSummary]:
    out = []
    for name in store.agent_names():
        labels = {v.revision: v.label for v in store.versions(name)}
        out.append(
            AgentSummary(
                name=name,
                environments={d.env: labels.get(d.revision) for d in store.deployments(name)},
                versions=len(labels),
                updated_at=store.agent_updated_at(name),
            )
        )
    return out


def history(store: Store, agent: str) -> History:
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
    )
