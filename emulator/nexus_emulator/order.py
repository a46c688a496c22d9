"""A deploy order: the request checked against the state, every size decided once.

The route hands over a :class:`~nexus_api.deploy.DeploySpec` (already typed:
limits parsed, replicas within the environment's bounds); :func:`order` adds
what only the emulator knows (the deployment serving now, the uploaded
sources) and fills the gaps with :func:`nexus_api.deploy.resolve`. Everything
downstream (rollout, replicas, runtime) takes the :class:`DeployOrder`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from nexus.ai import spec
from nexus.ai.spec import Cpu, Memory
from nexus_api.deploy import DeploySpec, ProjectSpec, Size, Sizing, resolve
from nexus_emulator import errors
from nexus_emulator.store.db import DeploymentRow, Store


@dataclass(frozen=True)
class DeployOrder:
    """What a rollout does: which agent and environment, at which size, from what."""

    agent: str
    env: str
    size: Size
    declared: Sizing | None  # nexus.toml's values, recorded to tell a changed baseline
    source_id: str | None = None
    image: str | None = None
    project: ProjectSpec = field(default_factory=ProjectSpec)
    label: str | None = None
    actor: str | None = None

    def declared_json(self) -> dict[str, Any] | None:
        return None if self.declared is None else self.declared.model_dump(mode="json")

    @classmethod
    def keep(cls, current: DeploymentRow, actor: str | None) -> DeployOrder:
        """An order that keeps a deployment as it is (rollback, restart)."""
        return cls(current.agent, current.env, serving(current), declared(current), actor=actor)


def serving(d: DeploymentRow) -> Size:
    """The size a deployment runs with (the environment's defaults where a row has none)."""
    asked = DeploySpec.model_construct(
        env=d.env,
        replicas=d.replicas,
        cpu=Cpu(d.cpu, d.nano_cpus) if d.cpu and d.nano_cpus else None,
        memory=Memory(d.memory, d.memory_bytes) if d.memory and d.memory_bytes else None,
        network=d.network,
        isolation=d.isolation,
        declared=None,
        max_concurrency=d.max_concurrency,
        max_attempts=d.max_attempts,
    )
    return resolve(asked, None, None)


def declared(d: DeploymentRow) -> Sizing | None:
    return None if d.declared is None else Sizing.model_validate(d.declared)


def order(store: Store, agent: str, body: DeploySpec) -> DeployOrder:
    """Check a deploy request against the state before anything starts; raises ApiError."""
    errors.checked(spec.check_name, agent)
    if bool(body.source_id) == bool(body.image):
        raise errors.usage("a deploy needs exactly one of source_id or image")
    project = body.project or ProjectSpec()
    if project.mount is not None and not os.path.isabs(project.mount):
        raise errors.usage(f"project.mount {project.mount!r} is not an absolute path")
    if project.mount is not None and not os.path.isdir(project.mount):
        raise errors.not_found(f"project.mount {project.mount!r} is not a directory on this host")
    if body.source_id:
        if store.source_path(body.source_id) is None:
            raise errors.not_found(
                f"no uploaded source {body.source_id}", hint="upload it with POST /v1/sources"
            )
        entry = project.entrypoint
        if not isinstance(entry, str) or not spec.ENTRYPOINT_RE.match(entry):
            raise errors.usage("project.entrypoint must be module:Class")
    current = store.deployment(agent, body.env)
    size = resolve(
        body,
        None if current is None else serving(current),
        None if current is None else declared(current),
    )
    return DeployOrder(
        agent,
        body.env,
        size,
        body.declared or Sizing(),
        body.source_id,
        body.image,
        project,
        body.label or None,
        body.actor,
    )
