"""``EchoProvider``: deploy records a version in a JSON file; run answers with the input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from nexus_cli.errors import NotFound
from nexus_cli.providers.base import (
    AgentStatus,
    AgentSummary,
    Capability,
    DeleteResult,
    DeployRequest,
    DeployResult,
    EnvironmentStatus,
    History,
    ProgressFn,
    Provider,
    RunResult,
    Version,
)


class EchoProvider(Provider):
    name = "echo"
    description = "agents kept in a JSON file; run echoes the input"
    capabilities = frozenset({Capability.DEPLOY, Capability.RUN})
    options: ClassVar[dict[str, str]] = {"state": "the JSON file agents are kept in (required)"}

    def _path(self) -> Path:
        path = self.option("state", required=True)
        assert path is not None
        return Path(path)

    def _load(self) -> dict[str, Any]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data: dict[str, Any]) -> None:
        self._path().write_text(json.dumps(data))

    def _get(self, name: str) -> dict[str, Any]:
        found = self._load().get(name)
        if found is None:
            raise NotFound(f"agent {name!r} is not deployed on echo")
        return dict(found)

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        progress("writing the state file")
        data = self._load()
        agent = data.setdefault(request.name, {"versions": [], "envs": {}})
        revision = len(agent["versions"]) + 1
        version = Version(
            revision=revision,
            label=request.spec.label or f"r{revision}",
            created_at=time.time(),
            created_by=os.environ.get("USER"),
        )
        agent["versions"].append(version.model_dump(mode="json"))
        agent["envs"][request.env] = revision
        self._save(data)
        return DeployResult(name=request.name, env=request.env, version=version, replicas=[])

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        self._get(name)
        return RunResult(output={"echo": input, "context": context})

    def list_agents(self) -> list[AgentSummary]:
        return [
            AgentSummary(
                name=name,
                environments={e: f"r{r}" for e, r in agent["envs"].items()},
                versions=len(agent["versions"]),
            )
            for name, agent in sorted(self._load().items())
        ]

    def status(self, name: str, env: str | None) -> AgentStatus:
        agent = self._get(name)
        envs = [
            EnvironmentStatus(env=e, version=f"r{r}", revision=r, replicas_desired=0)
            for e, r in agent["envs"].items()
            if env in (None, e)
        ]
        return AgentStatus(name=name, provider=self.name, environments=envs)

    def history(self, name: str) -> History:
        agent = self._get(name)
        versions = [Version.model_validate(v) for v in agent["versions"]]
        return History(name=name, versions=versions)

    def delete(self, name: str) -> DeleteResult:
        data = self._load()
        if data.pop(name, None) is None:
            raise NotFound(f"agent {name!r} is not deployed on echo")
        self._save(data)
        return DeleteResult(name=name)
