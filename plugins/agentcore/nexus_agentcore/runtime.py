"""AgentCore Runtime objects of an agent: one runtime per agent, one endpoint per environment.

A deploy makes a new runtime version (CreateAgentRuntime, then
UpdateAgentRuntime) and points the environment's endpoint at it; a rollback
points the endpoint at an earlier version. The version label and image
digest travel in each version's description, so ListAgentRuntimeVersions
is the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nexus_agentcore.aws import CONTROL, Aws, calling
from nexus_cli.errors import NexusError, OperationFailed
from nexus_cli.providers.base import ProgressFn

READY = "READY"
FAILED = {"CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED"}
POLL_S = 0.5


def runtime_name(agent: str) -> str:
    """AgentCore names allow letters, digits and underscores; agent names use dashes."""
    return agent.replace("-", "_")


def agent_name(runtime: str) -> str:
    return runtime.replace("_", "-")


def describe(label: str, digest: str) -> str:
    return f"nexus label={label} digest={digest}"


def parse(description: str | None) -> tuple[str | None, str | None]:
    """(label, digest) from a description written by :func:`describe`."""
    fields = dict(part.split("=", 1) for part in (description or "").split() if "=" in part)
    return fields.get("label"), fields.get("digest")


class Runtimes:
    def __init__(self, aws: Aws, timeout: float) -> None:
        self.aws = aws
        self.timeout = timeout

    @property
    def control(self) -> Any:
        return self.aws.client(CONTROL)

    def all(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        with calling(self.aws, "listing agent runtimes"):
            while True:
                page = self.control.list_agent_runtimes(**({"nextToken": token} if token else {}))
                found.extend(page.get("agentRuntimes", []))
                token = page.get("nextToken")
                if not token:
                    return found

    def find(self, agent: str) -> dict[str, Any] | None:
        name = runtime_name(agent)
        return next((r for r in self.all() if r.get("agentRuntimeName") == name), None)

    def get(self, runtime_id: str) -> dict[str, Any]:
        with calling(self.aws, "reading the agent runtime"):
            answer: dict[str, Any] = self.control.get_agent_runtime(agentRuntimeId=runtime_id)
        return answer

    def put(self, agent: str, runtime_id: str | None, settings: dict[str, Any]) -> str:
        """Create the runtime or add a version to it; return its id."""
        with calling(self.aws, "creating the agent runtime version"):
            if runtime_id is None:
                made = self.control.create_agent_runtime(
                    agentRuntimeName=runtime_name(agent), **settings
                )
                return str(made["agentRuntimeId"])
            self.control.update_agent_runtime(agentRuntimeId=runtime_id, **settings)
            return runtime_id

    def wait(
        self, read: Callable[[], dict[str, Any]], what: str, progress: ProgressFn
    ) -> dict[str, Any]:
        """Poll ``read`` until its status is READY; fail on a *_FAILED status or the timeout."""
        deadline = time.monotonic() + self.timeout
        shown = None
        while True:
            answer = read()
            status = answer.get("status")
            if status != shown:
                progress(f"{what}: {status}")
                shown = status
            if status == READY:
                return answer
            if status in FAILED:
                raise OperationFailed(
                    f"{what} is {status}: {answer.get('failureReason') or 'no reason given'}",
                    hint="check the role ARN, the image (linux/arm64) and the runtime's logs",
                )
            if time.monotonic() > deadline:
                raise OperationFailed(
                    f"{what} is still {status} after {self.timeout:.0f}s",
                    hint="it may still finish: nexus ai agent status NAME --provider agentcore",
                )
            time.sleep(POLL_S)

    def endpoint(self, runtime_id: str, env: str) -> dict[str, Any] | None:
        try:
            with calling(self.aws, f"reading the {env} endpoint"):
                answer: dict[str, Any] = self.control.get_agent_runtime_endpoint(
                    agentRuntimeId=runtime_id, endpointName=env
                )
        except NexusError as exc:
            if exc.code == "not_found":
                return None
            raise
        return answer

    def point(
        self, runtime_id: str, env: str, version: str, progress: ProgressFn
    ) -> dict[str, Any]:
        """Make the ``env`` endpoint serve ``version`` (create it if needed) and wait for it."""
        current = self.endpoint(runtime_id, env)
        with calling(self.aws, f"pointing the {env} endpoint at version {version}"):
            if current is None:
                self.control.create_agent_runtime_endpoint(
                    agentRuntimeId=runtime_id, name=env, agentRuntimeVersion=version
                )
            else:
                self.control.update_agent_runtime_endpoint(
                    agentRuntimeId=runtime_id, endpointName=env, agentRuntimeVersion=version
                )

        def read() -> dict[str, Any]:
            found = self.endpoint(runtime_id, env)
            return found or {"status": "MISSING"}

        return self.wait(read, f"endpoint {env}", progress)

    def endpoints(self, runtime_id: str) -> list[dict[str, Any]]:
        with calling(self.aws, "listing the endpoints"):
            listed = self.control.list_agent_runtime_endpoints(agentRuntimeId=runtime_id)
        out = []
        for item in listed.get("runtimeEndpoints", []):
            detail = self.endpoint(runtime_id, str(item["name"]))
            if detail is not None:
                out.append(detail)
        return out

    def versions(self, runtime_id: str) -> list[dict[str, Any]]:
        with calling(self.aws, "listing the runtime versions"):
            found: list[dict[str, Any]] = self.control.list_agent_runtime_versions(
                agentRuntimeId=runtime_id
            ).get("agentRuntimes", [])
        return sorted(found, key=lambda v: int(v["agentRuntimeVersion"]))

    def delete(self, runtime_id: str) -> None:
        for item in self.endpoints(runtime_id):
            if item["name"] == "DEFAULT":  # AgentCore's own endpoint goes with the runtime
                continue
            with calling(self.aws, f"deleting the {item['name']} endpoint"):
                self.control.delete_agent_runtime_endpoint(
                    agentRuntimeId=runtime_id, endpointName=item["name"]
                )
        with calling(self.aws, "deleting the agent runtime"):
            self.control.delete_agent_runtime(agentRuntimeId=runtime_id)
