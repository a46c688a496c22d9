"""``LocalProvider``: every agent operation as an HTTP call to the local emulator."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from nexus_cli.errors import NexusError, ProjectError, Unavailable
from nexus_cli.providers.base import Capability, DeployRequest, LogQuery, ProgressFn, Provider
from nexus_local.client import EmulatorClient
from nexus_local.gateway_calls import GatewayCalls
from nexus_local.identity_calls import IdentityCalls
from nexus_local.lifecycle import Emulator, ensure_running, running_info
from nexus_local.memory_calls import MemoryCalls
from nexus_local.session_calls import SessionCalls

if TYPE_CHECKING:
    from nexus_api.models import (
        AgentMetrics,
        AgentStatus,
        AgentSummary,
        DeleteResult,
        DeployResult,
        History,
        RunResult,
        Secret,
        SecretChange,
        Task,
        Trace,
        TraceSummary,
    )


RUN_TIMEOUT = 900.0  # an agent may think for a while


def actor() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()} via nexus-cli"


class LocalProvider(IdentityCalls, GatewayCalls, MemoryCalls, SessionCalls, Provider):
    """Agents on this machine, hosted by the local emulator (started on demand)."""

    name = "local"
    description = "the local emulator on 127.0.0.1 (Docker containers or local processes)"
    capabilities = frozenset(
        {
            Capability.DEPLOY,
            Capability.RUN,
            Capability.STREAM,
            Capability.ROLLBACK,
            Capability.LOGS,
            Capability.LOGS_FOLLOW,
            Capability.SCALE,
            Capability.AUTOSCALE,
            Capability.SECRETS,
            Capability.METRICS,
            Capability.ASYNC,
            Capability.TRACES,
            Capability.EGRESS,
        }
    )
    options: ClassVar[dict[str, str]] = {
        "port": "emulator port on 127.0.0.1 (NEXUS_EMULATOR_PORT, default 8470)",
        "home": "state directory (NEXUS_HOME)",
    }

    def __init__(self, *, notice: ProgressFn | None = None, **options: Any) -> None:
        super().__init__(notice=notice, **options)
        port = options.get("port")
        home = options.get("home")
        self.emulator = Emulator.resolve(
            int(port) if port is not None else None, Path(home) if home else None
        )

    # ------------------------------------------------------------ operations

    def deploy(self, request: DeployRequest, progress: ProgressFn) -> DeployResult:
        from nexus_api.models import DeployResult

        spec = request.spec.model_copy(update={"actor": actor()})
        archive = None
        if request.source is not None:
            from nexus_local.archive import pack

            progress("packing the project")
            archive = pack(request.source)
        elif spec.image is None:
            raise ProjectError("nothing to deploy: no project directory and no --image")
        with self._client() as client:
            if archive is not None:
                progress(f"uploading the source ({len(archive) / 1024:.0f} KiB)")
                source = client.request(
                    "POST",
                    "/v1/sources",
                    content=archive,
                    headers={"Content-Type": "application/gzip"},
                )
                spec = spec.model_copy(update={"source_id": source["source_id"]})
            result = client.events(
                "POST",
                f"{self._agent(request.name)}/deployments",
                progress,
                json=spec.model_dump(mode="json", exclude_none=True),
            )
        return DeployResult.model_validate(result)

    # run, list and status: the emulator answers with the models' JSON already (it renders
    # them from the same nexus_api models), so the *_data reads hand it over as it is and
    # the commands that print it need no pydantic; the typed reads validate it.

    def run_data(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> dict[str, Any]:
        params = {"env": env} if env else {}
        with self._client() as client:
            return dict(
                client.request(
                    "POST",
                    f"{self._agent(name)}/run",
                    json={"input": input, "context": context},
                    params=params,
                    timeout=RUN_TIMEOUT,
                )
            )

    def run(self, name: str, input: Any, context: dict[str, Any], env: str | None) -> RunResult:
        from nexus_api.models import RunResult

        return RunResult.model_validate(self.run_data(name, input, context, env))

    def stream(
        self, name: str, input: Any, context: dict[str, Any], env: str | None
    ) -> Iterator[dict[str, Any]]:
        params = {"env": env} if env else {}
        with self._client() as client:
            yield from client.sse(
                "POST",
                f"{self._agent(name)}/stream",
                json={"input": input, "context": context},
                params=params,
            )

    def scale(
        self, name: str, env: str, replicas: int | None, autoscale: bool | None
    ) -> AgentStatus:
        from nexus_api.models import AgentStatus

        body: dict[str, Any] = {"env": env, "actor": actor()}
        if replicas is not None:
            body["replicas"] = replicas
        if autoscale is not None:
            body["autoscale"] = autoscale
        with self._client() as client:
            answer = client.request(
                "POST", f"{self._agent(name)}/scale", json=body, timeout=RUN_TIMEOUT
            )
        return AgentStatus.model_validate(answer)

    def secret_set(self, name: str, key: str, value: str, env: str | None) -> SecretChange:
        from nexus_api.models import SecretChange

        body = {"value": value, "env": env, "actor": actor()}
        with self._client() as client:
            answer = client.request(
                "PUT",
                f"{self._agent(name)}/secrets/{quote(key, safe='')}",
                json=body,
                timeout=RUN_TIMEOUT,
            )
        return SecretChange.model_validate(answer)

    def secret_list(self, name: str) -> list[Secret]:
        from nexus_api.models import Secret

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/secrets")
        return [Secret.model_validate(item) for item in answer]

    def secret_delete(self, name: str, key: str, env: str | None) -> SecretChange:
        from nexus_api.models import SecretChange

        params = {"actor": actor(), **({"env": env} if env else {})}
        with self._client() as client:
            answer = client.request(
                "DELETE",
                f"{self._agent(name)}/secrets/{quote(key, safe='')}",
                params=params,
                timeout=RUN_TIMEOUT,
            )
        return SecretChange.model_validate(answer)

    def submit(
        self, name: str, input: Any, context: dict[str, Any], env: str | None, webhook: str | None
    ) -> Task:
        from nexus_api.models import Task

        body: dict[str, Any] = {"input": input, "context": context}
        if webhook:
            body["webhook"] = webhook
        params = {"env": env} if env else {}
        with self._client() as client:
            answer = client.request("POST", f"{self._agent(name)}/tasks", json=body, params=params)
        return Task.model_validate(answer)

    def task(self, task_id: str) -> Task:
        from nexus_api.models import Task

        with self._client() as client:
            return Task.model_validate(client.request("GET", f"/v1/tasks/{quote(task_id)}"))

    def task_cancel(self, task_id: str) -> Task:
        from nexus_api.models import Task

        with self._client() as client:
            return Task.model_validate(client.request("POST", f"/v1/tasks/{quote(task_id)}/cancel"))

    def webhook_secret(self, name: str) -> dict[str, Any]:
        with self._client() as client:
            return dict(client.request("GET", f"{self._agent(name)}/webhook-secret"))

    def webhook_secret_rotate(self, name: str) -> dict[str, Any]:
        with self._client() as client:
            return dict(client.request("POST", f"{self._agent(name)}/webhook-secret/rotate"))

    def task_retry(self, task_id: str) -> Task:
        from nexus_api.models import Task

        with self._client() as client:
            return Task.model_validate(client.request("POST", f"/v1/tasks/{quote(task_id)}/retry"))

    def tasks(self, name: str, status: str | None = None) -> list[Task]:
        from nexus_api.models import Task

        params = {"status": status} if status else {}
        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/tasks", params=params)
        return [Task.model_validate(item) for item in answer]

    def traces(self, name: str, limit: int) -> list[TraceSummary]:
        from nexus_api.models import TraceSummary

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/traces", params={"limit": limit})
        return [TraceSummary.model_validate(item) for item in answer]

    def trace(self, trace_id: str) -> Trace:
        from nexus_api.models import Trace

        with self._client() as client:
            return Trace.model_validate(client.request("GET", f"/v1/traces/{quote(trace_id)}"))

    def metrics(self, name: str) -> AgentMetrics:
        from nexus_api.models import AgentMetrics

        with self._client() as client:
            return AgentMetrics.model_validate(
                client.request("GET", f"{self._agent(name)}/metrics")
            )

    def logs(self, name: str, query: LogQuery) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"tail": query.tail, "level": query.level}
        for key, value in (
            ("env", query.env),
            ("since", query.since),
            ("grep", query.grep),
            ("replica", query.replica),
            ("version", query.version),
            ("request_id", query.request),
        ):
            if value is not None:
                params[key] = value
        if not query.follow:
            with self._client() as client:
                yield from client.ndjson("GET", f"{self._agent(name)}/logs", params=params)
            return
        from nexus_local.logfollow import follow

        params["follow"] = "true"
        started = False

        def open_stream(
            query: dict[str, Any], on_open: Callable[[], None]
        ) -> Iterator[dict[str, Any]]:
            nonlocal started
            if not started:
                started = True
                port = ensure_running(self.emulator, self.notice)
            else:  # a reconnect: wait for the emulator, never start one
                info = running_info(self.emulator)
                if info is None:
                    raise Unavailable("the emulator is not running")
                port = int(info["port"])
            client = EmulatorClient(self.emulator.url(port), self.emulator.token())
            with client:
                yield from client.ndjson(
                    "GET", f"{self._agent(name)}/logs", on_open=on_open, params=query
                )

        yield from follow(open_stream, params, self.notice)

    def list_agents_data(self) -> list[dict[str, Any]]:
        with self._client() as client:
            return list(client.request("GET", "/v1/agents"))

    def list_agents(self) -> list[AgentSummary]:
        from nexus_api.models import AgentSummary

        return [AgentSummary.model_validate(item) for item in self.list_agents_data()]

    def status_data(self, name: str, env: str | None) -> dict[str, Any]:
        params = {"env": env} if env else {}
        with self._client() as client:
            return dict(client.request("GET", self._agent(name), params=params))

    def status(self, name: str, env: str | None) -> AgentStatus:
        from nexus_api.models import AgentStatus

        return AgentStatus.model_validate(self.status_data(name, env))

    def history(self, name: str) -> History:
        from nexus_api.models import History

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/history")
        return History.model_validate(answer)

    def not_running(self) -> NexusError | None:
        if running_info(self.emulator) is not None:
            return None
        return Unavailable(
            f"the local emulator is not running (home {self.emulator.home})",
            hint="nexus ai emulator start  # or any nexus ai agent command starts it",
        )

    def restart(self, name: str, env: str) -> AgentStatus:
        from nexus_api.models import AgentStatus

        body = {"env": env, "actor": actor()}
        with self._client() as client:
            answer = client.request(
                "POST", f"{self._agent(name)}/restart", json=body, timeout=300.0
            )
        return AgentStatus.model_validate(answer)

    def rollback(self, name: str, env: str, version: str | None) -> DeployResult:
        from nexus_api.models import DeployResult

        body: dict[str, Any] = {"env": env, "actor": actor()}
        if version is not None:
            body["version"] = version
        with self._client() as client:
            answer = client.request(
                "POST", f"{self._agent(name)}/rollback", json=body, timeout=300.0
            )
        return DeployResult.model_validate(answer)

    def delete(self, name: str) -> DeleteResult:
        from nexus_api.models import DeleteResult

        with self._client() as client:
            answer = client.request("DELETE", self._agent(name), timeout=120.0)
        return DeleteResult.model_validate(answer)
