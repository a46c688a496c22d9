"""``KubernetesProvider``: agents as Deployments; manifests printed (--dry-run) or applied."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from nexus_cli.errors import NotFound, UsageError
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    Capability,
    DeleteResult,
    DeployRequest,
    DeployResult,
    History,
    ProgressFn,
    Provider,
    Replica,
    RunResult,
    Secret,
    SecretChange,
    Version,
)
from nexus_kubernetes import manifests, views
from nexus_kubernetes.manifests import ANNOTATION_REVISION, LABEL_ENV, Target
from nexus_kubernetes.views import version_of

if TYPE_CHECKING:
    from nexus_api.deploy import DeploySpec, Sizing

ROLLOUT_TIMEOUT = 600.0


def target_of(data: dict[str, str]) -> Target:
    fields = json.loads(data["target"])
    fields["secret_keys"] = tuple(fields.get("secret_keys") or ())
    return Target(**fields)


def declared_of(data: dict[str, str]) -> Sizing | None:
    """The nexus.toml sizes a recorded deploy declared (None in records older than that)."""
    from nexus_api.deploy import Sizing

    raw = data.get("declared")
    return None if raw is None else Sizing.model_validate_json(raw)


def sized(
    asked: DeploySpec, serving: Target | None, before: Sizing | None
) -> tuple[int, str | None, str | None]:
    """Replicas, CPU and memory of a deploy by the rule every provider follows
    (``nexus_api.deploy.resolve``): the flag, else nexus.toml's value on the first deploy
    or when it changed, else what the environment runs now (so a ``scale`` outlives a
    redeploy), else the environment's default. ``serving`` is the running target with
    the Deployment's replica count, ``before`` what its deploy declared. A limit nobody
    set stays unset (no ``resources`` in the manifest)."""
    from nexus.ai.spec import Cpu, Memory
    from nexus_api.deploy import Size, env_defaults, resolve

    defaults, current = env_defaults(asked.env), None
    if serving is not None:
        current = Size(
            serving.replicas,
            Cpu.parse(serving.cpu) if serving.cpu else defaults.cpu,
            Memory.parse(serving.memory) if serving.memory else defaults.memory,
        )
    size = resolve(asked, current, before)
    declared = asked.declared
    set_cpu = asked.cpu or (declared and declared.cpu) or (serving and serving.cpu)
    set_memory = asked.memory or (declared and declared.memory) or (serving and serving.memory)
    return (
        size.replicas,
        size.cpu.text if set_cpu else None,
        size.memory.text if set_memory else None,
    )


class KubernetesProvider(Provider):
    """Deployments with a Service, Secrets and an HPA, applied with server-side apply."""

    name = "kubernetes"
    description = "Kubernetes: a Deployment, Service, Secret and HPA per environment"
    capabilities = frozenset(
        {Capability.DEPLOY, Capability.SCALE, Capability.AUTOSCALE}
        | {Capability.ROLLBACK, Capability.SECRETS}
    )
    options: ClassVar[dict[str, str]] = {
        "registry": "image registry the cluster pulls from, e.g. registry.example.com",
        "namespace": "namespace of the agents (default: default)",
        "context": "kubeconfig context (default: the current one)",
        "secret_store": "an external-secrets SecretStore: secrets become ExternalSecret references",
    }

    def __init__(self, *, notice: ProgressFn | None = None, **options: Any) -> None:
        super().__init__(notice=notice, **options)
        self._cluster: Any = None

    @property
    def namespace(self) -> str:
        return self.option("namespace") or "default"

    def cluster(self) -> Any:
        if self._cluster is None:
            from nexus_kubernetes.cluster import Cluster

            self._cluster = Cluster(self.option("context"), self.namespace)
        return self._cluster

    def maketarget_of(
        self,
        request: DeployRequest,
        image: str,
        revision: int,
        label: str,
        digest: str = "",
        serving: Target | None = None,
        before: Sizing | None = None,
    ) -> Target:
        """The target of a deploy; ``serving``, ``before``: what the environment runs now and
        what its deploy declared (see ``sized``)."""
        replicas, cpu, memory = sized(request.spec, serving, before)
        return Target(
            agent=request.name,
            env=request.env,
            namespace=self.namespace,
            image=image,
            replicas=replicas,
            revision=revision,
            label=label,
            digest=digest,
            cpu=cpu,
            memory=memory,
            secret_store=self.option("secret_store"),
            autoscale=serving is not None and serving.autoscale,
        )

    def render(self, request: DeployRequest) -> list[dict[str, Any]]:
        """The manifests a deploy would apply, without building or a cluster (``--dry-run``)."""
        asked = request.spec
        label = asked.label or (asked.project.version if asked.project else None) or "latest"
        if asked.image is not None:
            image = asked.image
        else:
            registry = self.option("registry", required=True)
            image = f"{registry}/nexus/{request.name}:{label}"
        docs = manifests.render(self.maketarget_of(request, image, 0, label))
        return [manifests.redacted(doc) for doc in docs]

    # ------------------------------------------------------------ changing

    def _apply(self, target: Target, progress: ProgressFn) -> list[Replica]:
        cluster = self.cluster()
        name = manifests.name(target)
        values = cluster.secret_values(f"{name}-secrets")
        if values and not target.secret_keys:
            target = dataclasses.replace(target, secret_keys=tuple(sorted(values)))
        cluster.apply(manifests.render(target, values))
        dep = cluster.wait_rollout(name, progress, ROLLOUT_TIMEOUT)
        ready = (dep.get("status") or {}).get("available_replicas") or 0
        return [
            Replica(id=f"{name}-{i}", state="healthy", version=target.label) for i in range(ready)
        ]

    def _record(self, target: Target, created_by: str, declared: Sizing | None) -> Version:
        data = {
            "revision": str(target.revision),
            "label": target.label,
            "digest": target.digest,
            "image": target.image,
            "env": target.env,
            "created_at": repr(time.time()),
            "created_by": created_by,
            "target": json.dumps(dataclasses.asdict(target)),
        }
        if declared is not None:  # nexus.toml's sizes, to tell a changed baseline next time
            data["declared"] = declared.model_dump_json(exclude_none=True)
        docs = [d for d in manifests.render(target) if d["kind"] != "Secret"]
        self.cluster().record(target.agent, target.revision, data, docs)
        return version_of(data)

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        from nexus_imagekit import images

        started = time.monotonic()
        registry = self.option("registry", required=True)
        cluster = self.cluster()  # no cluster: fail before building anything
        records = cluster.records(request.name)
        revision = max((int(r["revision"]) for r in records), default=0) + 1
        engine = images.local_engine()
        home = images.build_home(self.name)
        image_id, _ref, project_version = images.build(engine, home, revision, request, progress)
        pinned = images.push(engine, f"{registry}/nexus/{request.name}", image_id, progress)
        label = request.spec.label or project_version or f"r{revision}"
        if label in {r["label"] for r in records}:
            label = f"{label}+r{revision}"
        serving, before = self._serving(request.name, request.env, records)
        target = self.maketarget_of(request, pinned, revision, label, image_id, serving, before)
        replicas = self._apply(target, progress)
        from nexus_local.provider import actor

        version = self._record(target, actor(), request.spec.declared)
        return DeployResult(
            name=request.name,
            env=request.env,
            version=version.model_copy(update={"live_in": [request.env]}),
            replicas=replicas,
            endpoint=f"http://{manifests.name(target)}.{self.namespace}.svc",
            duration_s=round(time.monotonic() - started, 2),
        )

    def _serving(
        self, name: str, env: str, records: list[dict[str, str]]
    ) -> tuple[Target | None, Sizing | None]:
        """What ``env`` runs now, with the Deployment's replica count (a ``scale`` changes the
        Deployment, not the record), and the sizes its deploy declared; (None, None) when
        nothing runs there."""
        deps = [
            d
            for d in self.cluster().deployments(name)
            if d["metadata"]["labels"].get(LABEL_ENV) == env
        ]
        if not deps:
            return None, None
        revision = deps[0]["metadata"]["annotations"].get(ANNOTATION_REVISION)
        record = next((r for r in records if r["revision"] == revision), None)
        if record is None:
            return None, None
        target = target_of(record)
        count = (deps[0].get("spec") or {}).get("replicas")
        if count is not None:
            target = dataclasses.replace(target, replicas=int(count))
        return target, declared_of(record)

    def _current(self, name: str, env: str) -> tuple[Target, list[dict[str, str]]]:
        records = self.cluster().records(name)
        deps = [
            d
            for d in self.cluster().deployments(name)
            if d["metadata"]["labels"].get(LABEL_ENV) == env
        ]
        if not deps:
            raise NotFound(
                f"{name} is not deployed to {env} on kubernetes", hint="nexus ai agent list"
            )
        revision = deps[0]["metadata"]["annotations"].get(ANNOTATION_REVISION)
        current = next((r for r in records if r["revision"] == revision), None)
        if current is None:
            raise NotFound(f"the record of revision {revision} of {name} is missing")
        return target_of(current), records

    def scale(
        self, name: str, env: str, replicas: int | None, autoscale: bool | None
    ) -> AgentStatus:
        target, _ = self._current(name, env)
        if replicas is not None:
            target = dataclasses.replace(target, replicas=replicas)
        if autoscale is not None:
            target = dataclasses.replace(target, autoscale=autoscale)
        self._apply(target, self.notice)
        return self.status(name, env)

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        started = time.monotonic()
        current, records = self._current(name, env)
        if version is not None:
            chosen = next(
                (r for r in records if version in (r["label"], f"r{r['revision']}", r["revision"])),
                None,
            )
        else:
            earlier = [
                r for r in records if r.get("env") == env and int(r["revision"]) < current.revision
            ]
            chosen = earlier[-1] if earlier else None
        if chosen is None:
            raise UsageError(
                f"{name} has no such earlier version in {env}",
                hint=f"nexus ai agent history {name}",
            )
        target = dataclasses.replace(
            target_of(chosen), env=env, replicas=current.replicas, autoscale=current.autoscale
        )
        replicas = self._apply(target, self.notice)
        return DeployResult(
            name=name,
            env=env,
            version=version_of(chosen, [env]),
            replicas=replicas,
            duration_s=round(time.monotonic() - started, 2),
        )

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        raise self.unsupported("run (reach the agent's Service through your ingress)")

    # ------------------------------------------------------------ secrets

    def secret_set(self, name: str, key: str, value: str, env: str | None) -> SecretChange:
        import hashlib

        envs = (
            [env]
            if env
            else sorted(
                {d["metadata"]["labels"][LABEL_ENV] for d in self.cluster().deployments(name)}
            )
        )
        if not envs:
            raise UsageError(f"deploy {name} first: kubernetes secrets belong to an environment")
        for each in envs:
            target, _ = self._current(name, each)
            secret_name = f"{manifests.name(target)}-secrets"
            values = {**self.cluster().secret_values(secret_name), key: value}
            self.cluster().apply([manifests.secret(target, values)])
            self._apply(dataclasses.replace(target, secret_keys=tuple(sorted(values))), self.notice)
        digest = "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
        return SecretChange(
            name=key,
            scope=env or "*",
            digest=digest,
            restarted=envs,
            key_store="Kubernetes Secrets",
        )

    def secret_list(self, name: str) -> list[Secret]:
        import hashlib

        out = []
        for dep in self.cluster().deployments(name):
            env = dep["metadata"]["labels"][LABEL_ENV]
            values = self.cluster().secret_values(f"{dep['metadata']['name']}-secrets")
            out += [
                Secret(
                    name=k,
                    scope=env,
                    digest="sha256:" + hashlib.sha256(v.encode()).hexdigest()[:12],
                )
                for k, v in sorted(values.items())
            ]
        return out

    # ------------------------------------------------------------ reading

    def list_agents(self) -> list[AgentSummary]:
        return views.summaries(self.cluster())

    def status(self, name: str, env: str | None) -> AgentStatus:
        return views.status(self.cluster(), name, env)

    def history(self, name: str) -> History:
        return views.history(self.cluster(), name)

    def delete(self, name: str) -> DeleteResult:
        if not self.cluster().delete_agent(name):
            raise NotFound(
                f"agent {name!r} does not exist on kubernetes", hint="nexus ai agent list"
            )
        return DeleteResult(name=name)
