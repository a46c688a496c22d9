"""Async runs: submit a task (202, committed first), poll its status, cancel it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from nexus_api.bodies import TaskBody, openapi_body
from nexus_api.models import TaskSubmitted
from nexus_emulator import errors
from nexus_emulator.api.data import choose_env, parse_body
from nexus_emulator.api.deps import allow_agent, emulator_of, known_agent, ready
from nexus_emulator.core import Emulator
from nexus_emulator.tasks import TaskQueue

router = APIRouter(tags=["tasks"])
SUBMIT_DOC = openapi_body(TaskBody)


def queue_of(em: Emulator) -> TaskQueue:
    assert em.tasks is not None
    return em.tasks


@router.post("/agents/{name}/tasks", summary="Submit a run for later", openapi_extra=SUBMIT_DOC)
@router.post("/v1/agents/{name}/tasks", include_in_schema=False)
async def submit(name: str, request: Request, env: str | None = None) -> JSONResponse:
    em = ready(emulator_of(request))
    known_agent(em, name)
    env = choose_env(em, name, env)
    body = await request.body()
    payload = parse_body(body)
    webhook = payload.get("webhook")
    if webhook is not None and not (
        isinstance(webhook, str) and webhook.startswith(("http://", "https://"))
    ):
        raise errors.usage("webhook must be an http:// or https:// URL")
    task_id = queue_of(em).submit(name, env, body, webhook)
    return JSONResponse(TaskSubmitted(task_id=task_id).model_dump(), status_code=202)


def _task(em: Emulator, task_id: str, request: Request) -> dict[str, Any]:
    task = queue_of(em).get(task_id)
    if task is None:
        raise errors.not_found(
            f"no task {task_id!r}", hint="task ids look like task_0123456789abcdef"
        )
    allow_agent(request, task["agent"])
    return task


@router.get("/v1/tasks/{task_id}", summary="A task's status, progress and result")
async def status(task_id: str, request: Request) -> dict[str, Any]:
    return _task(ready(emulator_of(request)), task_id, request)


@router.post("/v1/tasks/{task_id}/cancel", summary="Cancel a pending or running task")
async def cancel(task_id: str, request: Request) -> dict[str, Any]:
    em = ready(emulator_of(request))
    task = _task(em, task_id, request)
    if not queue_of(em).cancel(task_id):
        raise errors.usage(
            f"{task_id} is already {task['status']}", hint="only pending or running tasks cancel"
        )
    return _task(em, task_id, request)


@router.get("/v1/agents/{name}/tasks", summary="The agent's latest tasks, newest first")
async def list_tasks(name: str, request: Request, limit: int = 50) -> list[dict[str, Any]]:
    em = ready(emulator_of(request))
    known_agent(em, name)
    return queue_of(em).list(name, max(1, min(limit, 500)))
