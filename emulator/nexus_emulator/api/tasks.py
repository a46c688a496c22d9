"""Async runs: poll a task's status, cancel or retry it, list them, the webhook secret
(submission is in api/data.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from nexus.standard_webhooks import Secrets
from nexus_emulator import errors
from nexus_emulator.api.deps import allow_agent, emulator_of, known_agent, ready
from nexus_emulator.core import Emulator
from nexus_emulator.tasks import TaskQueue

router = APIRouter(tags=["tasks"])


def queue_of(em: Emulator) -> TaskQueue:
    assert em.tasks is not None
    return em.tasks


def _task(em: Emulator, task_id: str, request: Request) -> dict[str, Any]:
    task = queue_of(em).get(task_id)
    if task is None:
        raise errors.not_found(
            f"no task {task_id!r}", hint="task ids look like task_0123456789abcdef"
        )
    allow_agent(request, task["agent"])
    principal = request.scope.get("state", {}).get("principal")
    if principal is not None and not principal.is_admin:
        submitter = queue_of(em).submitter(task_id)
        if submitter is not None and submitter != principal.subject:
            raise errors.ApiError(
                403,
                errors.ErrorCode.FORBIDDEN,
                f"{task_id} was submitted by someone else",
                hint="a task is read and cancelled by whoever submitted it (or an admin)",
            )
    if task["webhook"]:
        task["deliveries"] = queue_of(em).webhooks.of_task(task_id)
    return task


def _secrets(request: Request, name: str) -> Secrets:
    em = ready(emulator_of(request))
    known_agent(em, name)
    return queue_of(em).webhooks.secrets


@router.get("/v1/agents/{name}/webhook-secret", summary="The secret that signs the webhooks")
async def webhook_secret(name: str, request: Request) -> dict[str, Any]:
    return _secrets(request, name).show(name)


@router.post(
    "/v1/agents/{name}/webhook-secret/rotate",
    summary="A new webhook secret; the previous one keeps signing for 24 h",
)
async def rotate_webhook_secret(name: str, request: Request) -> dict[str, Any]:
    return _secrets(request, name).rotate(name)


@router.get("/v1/tasks/{task_id}", summary="A task's status, progress and result")
async def status(task_id: str, request: Request) -> dict[str, Any]:
    return _task(ready(emulator_of(request)), task_id, request)


def _change(request: Request, task_id: str, verb: str, hint: str) -> dict[str, Any]:
    """The task after ``verb`` (``cancel`` or ``retry``); 400 with ``hint`` when its state
    does not allow it."""
    em = ready(emulator_of(request))
    task = _task(em, task_id, request)
    queue = queue_of(em)
    if not (queue.cancel if verb == "cancel" else queue.retry)(task_id):
        raise errors.usage(f"{task_id} is already {task['status']}", hint=hint)
    return _task(em, task_id, request)


@router.post("/v1/tasks/{task_id}/cancel", summary="Cancel a pending or running task")
async def cancel(task_id: str, request: Request) -> dict[str, Any]:
    return _change(request, task_id, "cancel", "only pending or running tasks cancel")


@router.post("/v1/tasks/{task_id}/retry", summary="Queue a dead, failed or cancelled task again")
async def retry(task_id: str, request: Request) -> dict[str, Any]:
    return _change(request, task_id, "retry", "only dead, failed or cancelled tasks are retried")


STATUSES = ("pending", "running", "succeeded", "failed", "cancelled", "dead")


@router.get("/v1/agents/{name}/tasks", summary="The agent's latest tasks, newest first")
async def list_tasks(
    name: str, request: Request, limit: int = 50, status: str | None = None
) -> list[dict[str, Any]]:
    em = ready(emulator_of(request))
    known_agent(em, name)
    if status is not None and status not in STATUSES:
        raise errors.usage(f"unknown task status {status!r}", hint="one of " + ", ".join(STATUSES))
    return queue_of(em).list(name, max(1, min(limit, 500)), status)
