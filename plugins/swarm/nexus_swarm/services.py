"""The swarm objects of an agent: its services, network, versions; applying a version."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import Any

from nexus.ai.spec import Cpu, Memory
from nexus_api.deploy import DeploySpec, Size, Sizing, env_defaults, resolve
from nexus_cli.errors import OperationFailed
from nexus_cli.providers.base import (
    AgentSummary,
    EnvironmentStatus,
    ProgressFn,
    Replica,
    Resources,
    Version,
)
from nexus_swarm import frontdoor, hooks, records, secrets
from nexus_swarm.engine import (
    LABEL_AGENT,
    LABEL_AT,
    LABEL_DECLARED,
    LABEL_DIGEST,
    LABEL_ENV,
    LABEL_IMAGE,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_VERSION,
    labelled,
    network_name,
    remote,
    service_name,
)
from nexus_swarm.rollout import converge, replica, spec_hash, tasks, update_started
from nexus_swarm.spec import AgentSpec, agent_service

ISOLATION = (
    "swarm: each replica is a task running as an unprivileged user with a read-only root "
    "filesystem, all capabilities dropped and pids/CPU/memory limits, on the agent's own "
    "overlay network, reached only through its front"
)


def resources(limits: dict[str, Any]) -> Resources:
    nano, memory = limits.get("NanoCPUs"), limits.get("MemoryBytes")
    return Resources(
        cpu=f"{nano / 1e9:g}" if nano else None,
        memory=f"{memory / 2**20:g}Mi" if memory else None,
        nano_cpus=nano,
        memory_bytes=memory,
    )


class Services:
    def __init__(self, client: Any, timeout: float, publish: str = "host") -> None:
        self.client = client
        self.timeout = timeout
        self.publish = publish  # how fronts are published: host | ingress

    @staticmethod
    def labels(service: Any) -> dict[str, str]:
        return dict(service.attrs["Spec"].get("Labels") or {})

    def agent_service(self, agent: str, env: str) -> Any | None:
        from docker.errors import NotFound

        try:
            return self.client.services.get(service_name(agent, env))
        except NotFound:
            return None

    def envs(self, agent: str) -> set[str]:
        with remote("listing services"):
            found = self.client.services.list(filters=labelled(agent=agent, role="agent"))
        return {self.labels(s)[LABEL_ENV] for s in found}

    def version_of(self, service: Any, found: list[Version]) -> Version:
        revision = self.labels(service).get(LABEL_REVISION, "0")
        version = records.find(found, revision)
        if version is None:
            raise OperationFailed(f"the version record r{revision} of {service.name} is missing")
        return version

    def new_version(
        self,
        agent: str,
        found: list[Version],
        revision: int,
        label: str | None,
        image: tuple[str, str, str],  # image id, pinned reference, source (deploy | image)
        by: str,
    ) -> Version:
        image_id, pinned, source = image
        taken = {v.label for v in found}
        while True:
            wanted = label or f"r{revision}"
            version = Version(
                revision=revision,
                label=f"{wanted}+r{revision}" if wanted in taken else wanted,
                digest=image_id,
                image=pinned,
                created_at=time.time(),
                created_by=by,
                source=source,
            )
            with remote("recording the version"):
                if records.record_version(self.client, agent, version):
                    return version
            revision += 1  # another deploy took this revision meanwhile

    def network(self, agent: str) -> str:
        from docker.errors import APIError

        name = network_name(agent)
        if not self.client.networks.list(names=[name]):
            try:
                self.client.networks.create(
                    name, driver="overlay", scope="swarm", labels={LABEL_AGENT: agent}
                )
            except APIError as exc:
                if exc.status_code != 409:
                    raise
        return name

    # ------------------------------------------------------------ changing

    def roll(
        self,
        agent: str,
        env: str,
        version: Version,
        progress: ProgressFn,
        asked: DeploySpec | None = None,
        without: Iterable[secrets.Stored] = (),
    ) -> list[Replica]:
        """Make ``env`` serve ``version``: create or update its service, wait for it.

        The size follows the deploy rule of ``nexus_api.deploy.resolve`` (``asked``: the
        deploy's flags and nexus.toml; None keeps the service's size, as a rollback does).
        """
        current = self.agent_service(agent, env)
        size = resolve(asked or DeploySpec(env=env), *self._serving(current, env))
        declared = (asked.declared if asked else None) or Sizing()
        recorded = declared.model_dump_json(exclude_none=True)
        if asked is None and current is not None:  # not a deploy: the record stays
            recorded = self.labels(current).get(LABEL_DECLARED, recorded)
        dropped = {s.id for s in without}
        kept = [s for s in secrets.stored(self.client, agent) if s.id not in dropped]
        with remote("preparing the service"):
            network = self.network(agent)
        spec_in = AgentSpec(
            agent=agent,
            env=env,
            image=version.image or "",
            replicas=size.replicas,
            network=network,
            nano_cpus=size.cpu.nano_cpus,
            memory_bytes=size.memory.bytes,
            secrets=secrets.refs(kept, env),
            labels={
                LABEL_REVISION: str(version.revision),
                LABEL_VERSION: version.label,
                LABEL_DIGEST: version.digest or "",
                LABEL_IMAGE: version.image or "",
                LABEL_AT: repr(time.time()),
                LABEL_DECLARED: recorded,
            },
        )
        kwargs, digest = agent_service(spec_in, service_name(agent, env))
        previous = None
        with remote(f"rolling out {service_name(agent, env)}"):
            if current is None:
                progress(f"creating {service_name(agent, env)}")
                service_id = self.client.api.create_service(**kwargs)["ID"]
            else:
                progress(f"updating {service_name(agent, env)} (rolling, start-first)")
                previous = update_started(self.client, current.id)
                self.client.api.update_service(current.id, version=current.version, **kwargs)
                service_id = current.id
        result = converge(
            self.client, service_id, digest, spec_in.replicas, progress, self.timeout, previous
        )
        with remote("starting the front"):
            frontdoor.ensure(self.client, agent, env, spec_in.image, network, self.publish)
        return result

    def _serving(self, current: Any, env: str) -> tuple[Size | None, Sizing | None]:
        """The size a service runs at, and the nexus.toml sizes it was deployed with."""
        if current is None:
            return None, None
        spec = current.attrs["Spec"]
        limits = spec["TaskTemplate"].get("Resources", {}).get("Limits", {})
        defaults = env_defaults(env)
        size = Size(
            spec["Mode"]["Replicated"]["Replicas"],
            Cpu.of_nano(limits["NanoCPUs"]) if limits.get("NanoCPUs") else defaults.cpu,
            Memory.of_bytes(limits["MemoryBytes"])
            if limits.get("MemoryBytes")
            else defaults.memory,
        )
        raw = self.labels(current).get(LABEL_DECLARED)
        return size, None if raw is None else Sizing.model_validate_json(raw)

    def rescale(self, service: Any, replicas: int, progress: ProgressFn) -> None:
        template = service.attrs["Spec"]["TaskTemplate"]
        digest = spec_hash({"Spec": template}) or ""
        previous = update_started(self.client, service.id)
        with remote(f"scaling {service.name}"):
            self.client.api.update_service(
                service.id,
                version=service.version,
                mode={"Replicated": {"Replicas": replicas}},
                fetch_current_spec=True,
            )
        converge(self.client, service.id, digest, replicas, progress, self.timeout, previous)

    def refresh_secrets(
        self,
        agent: str,
        env: str | None,
        progress: ProgressFn,
        without: Iterable[secrets.Stored] = (),
    ) -> list[str]:
        """Roll the environments a secret change reaches; return their names."""
        dropped = list(without)
        found = records.versions(self.client, agent)
        done = []
        for name in sorted([env] if env else self.envs(agent)):
            current = self.agent_service(agent, name)
            if current is None:
                continue
            self.roll(agent, name, self.version_of(current, found), progress, without=dropped)
            done.append(name)
        return done

    def remove_agent(self, agent: str, progress: ProgressFn) -> bool:
        """Remove every swarm object of ``agent``; False when it has none."""
        from docker.errors import APIError

        client = self.client
        with remote(f"removing {agent}"):
            found = client.services.list(filters=labelled(agent=agent))
            configs = client.configs.list(filters=labelled(agent=agent))
            stored = secrets.stored(client, agent)
            if not (found or configs or stored):
                return False
            for service in found:
                progress(f"removing {service.name}")
                service.remove()
            ids = {s.id for s in found}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(
                # low-level: a plain listing, no inspect of a container that is going away
                client.api.containers(
                    all=True, filters={"label": f"com.docker.swarm.service.id={i}"}
                )
                for i in ids
            ):
                time.sleep(0.3)
            for network in client.networks.list(names=[network_name(agent)]):
                for _ in range(30):  # the overlay's endpoints go away a moment after the tasks
                    try:
                        network.remove()
                        break
                    except APIError:
                        time.sleep(0.3)
            secrets.remove(client, stored)
            hooks.prune(client, agent, keep=None)
            for config in configs:
                config.remove()
            for volume in client.volumes.list(filters=labelled(agent=agent, role="state")):
                with contextlib.suppress(APIError):  # on another node: that node's to clear
                    volume.remove(force=True)
        return True

    # ------------------------------------------------------------ reading

    def replicas(self, agent: str, env: str) -> list[Replica]:
        current = self.agent_service(agent, env)
        if current is None:
            return []
        live = tasks(self.client, current.id)
        return [replica(t) for t in sorted(live, key=lambda t: t.get("Slot", 0))]

    def env_status(self, agent: str, env: str, endpoint: str | None) -> EnvironmentStatus:
        service = self.agent_service(agent, env)
        assert service is not None
        spec = service.attrs["Spec"]
        labels = self.labels(service)
        limits = spec["TaskTemplate"].get("Resources", {}).get("Limits", {})
        return EnvironmentStatus(
            env=env,
            version=labels.get(LABEL_VERSION),
            revision=int(labels.get(LABEL_REVISION, "0")) or None,
            replicas_desired=int(spec["Mode"]["Replicated"]["Replicas"]),
            replicas=self.replicas(agent, env),
            endpoint=endpoint,
            resources=resources(limits),
            runtime="swarm",
            isolation=ISOLATION,
            updated_at=float(labels.get(LABEL_AT, "0")) or None,
        )

    def summaries(self) -> list[AgentSummary]:
        with remote("listing agents"):
            found = self.client.services.list(filters={"label": [f"{LABEL_ROLE}=agent"]})
            versions = self.client.configs.list(filters={"label": [f"{LABEL_ROLE}=version"]})
        counts: dict[str, int] = {}
        for config in versions:
            agent = (config.attrs["Spec"].get("Labels") or {}).get(LABEL_AGENT, "")
            counts[agent] = counts.get(agent, 0) + 1
        agents: dict[str, AgentSummary] = {}
        for service in found:
            labels = self.labels(service)
            name = labels[LABEL_AGENT]
            summary = agents.setdefault(
                name, AgentSummary(name=name, environments={}, versions=counts.get(name, 0))
            )
            summary.environments[labels[LABEL_ENV]] = labels.get(LABEL_VERSION)
            at = float(labels.get(LABEL_AT, "0")) or None
            if at and (summary.updated_at or 0) < at:
                summary.updated_at = at
        return sorted(agents.values(), key=lambda a: a.name)
