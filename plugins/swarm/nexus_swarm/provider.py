"""``SwarmProvider``: every agent operation on a Docker Swarm, through a manager's engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, ClassVar

from nexus_imagekit import images

from nexus_cli.errors import NotFound, UsageError
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    Capability,
    DeleteResult,
    DeployRequest,
    DeployResult,
    History,
    LogQuery,
    ProgressFn,
    Provider,
    RunResult,
    Secret,
    SecretChange,
    Task,
    Version,
)
from nexus_swarm import calls, frontdoor, hooks, records, secrets
from nexus_swarm import tasks as queued
from nexus_swarm.engine import LABEL_DIGEST, LABEL_ENV, LABEL_REVISION, connect, labelled, remote
from nexus_swarm.services import Services
from nexus_swarm.spec import PUBLISH_MODES


def actor() -> str:
    from nexus_local.provider import actor as local_actor

    return local_actor().replace("via nexus-cli", "via nexus-cli (swarm)")


class SwarmProvider(Provider):
    """Agents as Docker Swarm services: rolling updates, health checks, swarm secrets."""

    name = "swarm"
    description = "Docker Swarm: one service per agent environment, images through a registry"
    capabilities = frozenset(
        {
            Capability.DEPLOY,
            Capability.RUN,
            Capability.STREAM,
            Capability.SCALE,
            Capability.SECRETS,
            Capability.LOGS,
            Capability.LOGS_FOLLOW,
            Capability.ROLLBACK,
            Capability.ASYNC,
        }
    )
    options: ClassVar[dict[str, str]] = {
        "registry": "image registry every node pulls from, e.g. 127.0.0.1:5000",
        "docker_host": "Docker endpoint of a swarm manager (default: DOCKER_HOST or the socket)",
        "host": "address clients use to reach the agents' fronts (default: the node's address)",
        "timeout": "seconds a rollout may take (default 300)",
        "publish": "how each environment's front is published: host (default: a port on "
        "the node it runs on) or ingress (the routing mesh: every node answers; needs IPVS)",
    }

    def __init__(self, *, notice: ProgressFn | None = None, **options: Any) -> None:
        super().__init__(notice=notice, **options)
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            timeout = float(self.option("timeout") or 300)
            publish = self.option("publish") or "host"
            if publish not in PUBLISH_MODES:
                raise UsageError(
                    f"the swarm provider's publish option is {publish!r}",
                    hint="NEXUS_SWARM_PUBLISH=host (a port on the front's node) or ingress "
                    "(the routing mesh)",
                )
            self._services = Services(connect(self.option("docker_host")), timeout, publish)
        return self._services

    def _endpoint(self, agent: str, env: str, wait: bool = False) -> str | None:
        host = self.option("host")
        return frontdoor.endpoint(self.services.client, agent, env, host, wait)

    def _chosen_env(self, name: str, env: str | None) -> str:
        deployed = sorted(self.services.envs(name))
        if env is not None:
            if env not in deployed:
                raise NotFound(
                    f"{name} is not deployed to {env} on swarm",
                    hint=f"nexus ai agent deploy {name} --env {env} --provider swarm",
                )
            return env
        if not deployed:
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        return "production" if "production" in deployed else deployed[0]

    # ------------------------------------------------------------ deploy

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        started = time.monotonic()
        registry = self.option("registry", required=True)
        assert registry is not None
        svc = self.services
        found = records.versions(svc.client, request.name)
        revision = max((v.revision for v in found), default=0) + 1
        with remote("building the image"):
            home = images.build_home(self.name)
            image_id, _ref, project_version = images.build(
                svc.client, home, revision, request, progress
            )
        current = svc.agent_service(request.name, request.env)
        if current is not None and svc.labels(current).get(LABEL_DIGEST) == image_id:
            serving = svc.version_of(current, found)
            return self._result(request.name, request.env, serving, started, unchanged=True)
        version = next((v for v in found if v.digest == image_id), None)
        if version is None:
            with remote("pushing the image"):
                repository = f"{registry}/nexus/{request.name}"
                pinned = images.push(svc.client, repository, image_id, progress)
            label = request.spec.label or project_version
            source = "image" if request.spec.image else "deploy"
            version = svc.new_version(
                request.name, found, revision, label, (image_id, pinned, source), actor()
            )
        svc.roll(request.name, request.env, version, progress, asked=request.spec)
        records.record_event(
            svc.client, request.name, records.new_event(request.env, "deploy", version, actor())
        )
        return self._result(request.name, request.env, version, started)

    def _result(
        self, name: str, env: str, version: Version, started: float, unchanged: bool = False
    ) -> DeployResult:
        return DeployResult(
            name=name,
            env=env,
            version=version,
            replicas=self.services.replicas(name, env),
            endpoint=self._endpoint(name, env, wait=True),
            duration_s=round(time.monotonic() - started, 2),
            unchanged=unchanged,
        )

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        started = time.monotonic()
        svc = self.services
        current = svc.agent_service(name, env)
        if current is None:
            raise NotFound(f"{name} is not deployed to {env} on swarm", hint="nexus ai agent list")
        found = records.versions(svc.client, name)
        serving = int(svc.labels(current).get(LABEL_REVISION, "0"))
        if version is not None:
            target = records.find(found, version)
            if target is None:
                known = ", ".join(v.label for v in found)
                raise NotFound(f"{name} has no version {version!r}", hint=f"versions: {known}")
        else:
            earlier = [
                e.revision
                for e in records.events(svc.client, name)
                if e.env == env and e.revision != serving
            ]
            target = records.find(found, str(earlier[-1])) if earlier else None
            if target is None:
                raise UsageError(
                    f"{name} has no earlier version in {env} to roll back to",
                    hint=f"nexus ai agent history {name}",
                )
        svc.roll(name, env, target, self.notice)
        records.record_event(svc.client, name, records.new_event(env, "rollback", target, actor()))
        return self._result(name, env, target, started)

    def scale(
        self, name: str, env: str, replicas: int | None, autoscale: bool | None
    ) -> AgentStatus:
        if autoscale:
            raise self.unsupported("autoscaling")
        if replicas is None:
            raise UsageError("say how many replicas", hint=f"nexus ai agent scale {name} -r 3")
        svc = self.services
        current = svc.agent_service(name, env)
        if current is None:
            raise NotFound(f"{name} is not deployed to {env} on swarm", hint="nexus ai agent list")
        svc.rescale(current, replicas, self.notice)
        version = svc.version_of(current, records.versions(svc.client, name))
        records.record_event(svc.client, name, records.new_event(env, "scale", version, actor()))
        return self.status(name, env)

    # ------------------------------------------------------------ calls

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        endpoint = self._endpoint(name, self._chosen_env(name, env))
        if endpoint is None:
            raise NotFound(f"{name} has no running front on swarm", hint="nexus ai agent status")
        return calls.invoke(endpoint, input, context)

    def stream(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> Iterator[dict[str, Any]]:
        endpoint = self._endpoint(name, self._chosen_env(name, env))
        if endpoint is None:
            raise NotFound(f"{name} has no running front on swarm", hint="nexus ai agent status")
        yield from calls.stream(endpoint, input, context)

    def _front(self, name: str, env: str) -> str:
        endpoint = self._endpoint(name, env)
        if endpoint is None:
            raise NotFound(f"{name} has no running front on swarm", hint="nexus ai agent status")
        return endpoint

    def submit(
        self, name: str, input: Any, context: dict[str, Any], env: str | None, webhook: str | None
    ) -> Task:
        endpoint = self._front(name, self._chosen_env(name, env))
        return queued.submit(endpoint, input, context, webhook)

    def webhook_secret(self, name: str) -> dict[str, Any]:
        if not self.services.envs(name):
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        return hooks.kept().show(name)

    def webhook_secret_rotate(self, name: str) -> dict[str, Any]:
        """A new signing secret (the previous one keeps signing for 24 h), given to the fronts."""
        envs = sorted(self.services.envs(name))
        if not envs:
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        shown = hooks.kept().rotate(name)
        for env in envs:
            frontdoor.refresh(self.services.client, name, env, self.services.publish)
        return shown

    def task(self, task_id: str) -> Task:
        return queued.get(self._front(*queued.owner(task_id)), task_id)

    def task_cancel(self, task_id: str) -> Task:
        return queued.change(self._front(*queued.owner(task_id)), task_id, "cancel")

    def task_retry(self, task_id: str) -> Task:
        return queued.change(self._front(*queued.owner(task_id)), task_id, "retry")

    def tasks(self, name: str, status: str | None = None) -> list[Task]:
        envs = sorted(self.services.envs(name))
        if not envs:
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        found = [t for env in envs for t in queued.listed(self._front(name, env), status)]
        return sorted(found, key=lambda t: t.created_at or 0, reverse=True)[:50]

    def logs(self, name: str, query: LogQuery) -> Iterator[dict[str, Any]]:
        svc = self.services
        envs = [query.env] if query.env else sorted(svc.envs(name))
        if not envs:
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        sources = []
        for env in envs:
            current = svc.agent_service(name, env)
            if current is None:
                raise NotFound(f"{name} is not deployed to {env} on swarm")
            sources.append(calls.service_records(svc.client, current.id, env, query))
        if query.follow:
            yield from calls.merged(sources)
        else:
            yield from sorted(
                (rec for source in sources for rec in source), key=lambda r: r.get("time", 0)
            )

    # ------------------------------------------------------------ secrets

    def secret_set(self, name: str, key: str, value: str, env: str | None) -> SecretChange:
        svc = self.services
        scope = env or secrets.ALL
        old = [s for s in secrets.stored(svc.client, name) if s.key == key and s.scope == scope]
        made = secrets.create(svc.client, name, key, value, scope)
        restarted = svc.refresh_secrets(name, env, self.notice)
        secrets.remove(svc.client, old)
        return SecretChange(
            name=key,
            scope=scope,
            digest=made.digest,
            restarted=restarted,
            key_store=secrets.KEY_STORE,
        )

    def secret_list(self, name: str) -> list[Secret]:
        return [s.public() for s in secrets.stored(self.services.client, name)]

    def secret_delete(self, name: str, key: str, env: str | None) -> SecretChange:
        svc = self.services
        scope = env or secrets.ALL
        old = [s for s in secrets.stored(svc.client, name) if s.key == key and s.scope == scope]
        if not old:
            raise NotFound(
                f"{name} has no secret {key} for {scope}", hint="nexus ai agent secret list"
            )
        restarted = svc.refresh_secrets(name, env, self.notice, without=old)
        secrets.remove(svc.client, old)
        return SecretChange(name=key, scope=scope, deleted=True, restarted=restarted)

    # ------------------------------------------------------------ reading

    def list_agents(self) -> list[AgentSummary]:
        return self.services.summaries()

    def status(self, name: str, env: str | None) -> AgentStatus:
        svc = self.services
        envs = [env] if env else sorted(svc.envs(name))
        if not envs or (env and svc.agent_service(name, env) is None):
            raise NotFound(f"agent {name!r} is not deployed on swarm", hint="nexus ai agent list")
        return AgentStatus(
            name=name,
            provider=self.name,
            environments=[svc.env_status(name, e, self._endpoint(name, e)) for e in envs],
        )

    def history(self, name: str) -> History:
        svc = self.services
        found = records.versions(svc.client, name)
        if not found:
            raise NotFound(f"agent {name!r} has no versions on swarm", hint="nexus ai agent list")
        live: dict[int, list[str]] = {}
        for service in svc.client.services.list(filters=labelled(agent=name, role="agent")):
            labels = svc.labels(service)
            live.setdefault(int(labels.get(LABEL_REVISION, "0")), []).append(labels[LABEL_ENV])
        for v in found:
            v.live_in = sorted(live.get(v.revision, []))
        return History(name=name, versions=found, events=records.events(svc.client, name))

    def delete(self, name: str) -> DeleteResult:
        if not self.services.remove_agent(name, self.notice):
            raise NotFound(f"agent {name!r} does not exist on swarm", hint="nexus ai agent list")
        images.remove_local(self.services.client, images.build_home(self.name), name)
        hooks.kept().forget(name)
        return DeleteResult(name=name)
