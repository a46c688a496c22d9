"""Async tasks on swarm: the client side of each environment front's ``/tasks`` API.

The front holds the environment's tasks (fronttasks.py) and runs them on the
replicas; a task id names its agent and environment (``AGENT.ENV.task_HEX``),
so status, cancel and retry go straight to the right front.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nexus_cli.errors import UsageError
from nexus_cli.providers.base import Task
from nexus_swarm import calls

TIMEOUT = 30.0


def owner(task_id: str) -> tuple[str, str]:
    """(agent, environment) of a swarm task id."""
    agent, _, rest = task_id.partition(".")
    env, _, tail = rest.partition(".")
    if not (agent and env and tail.startswith("task_")):
        raise UsageError(
            f"{task_id!r} is not a swarm task id",
            hint="swarm task ids look like AGENT.ENV.task_0123456789abcdef "
            "(nexus ai agent task list NAME --provider swarm)",
        )
    return agent, env


def call(
    endpoint: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Any:
    import httpx

    url = f"{endpoint}{path}"
    try:
        answer = httpx.request(method, url, json=body, params=params, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise calls.unreachable(url, exc) from None
    if answer.status_code >= 400:
        raise calls.error(answer.status_code, answer.content, url)
    return answer.json()


def submit(endpoint: str, input: Any, context: dict[str, Any], webhook: str | None) -> Task:
    body = {"input": input, "context": context, "webhook": webhook}
    return Task.model_validate(call(endpoint, "POST", "/tasks", body))


def get(endpoint: str, task_id: str) -> Task:
    return Task.model_validate(call(endpoint, "GET", f"/tasks/{quote(task_id)}"))


def change(endpoint: str, task_id: str, verb: str) -> Task:
    return Task.model_validate(call(endpoint, "POST", f"/tasks/{quote(task_id)}/{verb}"))


def listed(endpoint: str, status: str | None) -> list[Task]:
    found = call(endpoint, "GET", "/tasks", params={"status": status} if status else None)
    return [Task.model_validate(item) for item in found]
