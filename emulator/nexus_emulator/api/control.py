"""Control plane: sources, deployments, versions, rollback, delete, reset."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from nexus_api.bodies import RestartBody, RollbackBody, ScaleBody
from nexus_api.deploy import DeploySpec
from nexus_api.models import (
    AgentStatus,
    AgentSummary,
    DeleteResult,
    DeployResult,
    History,
    SourceUploaded,
)
from nexus_emulator import errors, views
from nexus_emulator.api.deps import deployed_in, emulator_of, known_agent, ready, site
from nexus_emulator.envs import default_env, deployment_in
from nexus_emulator.gateway.catalog import UnknownFallback
from nexus_emulator.order import order as deploy_order
from nexus_emulator.runtime import secrets_root
from nexus_emulator.sources import check_archive

router = APIRouter(prefix="/v1", tags=["control"])
log = logging.getLogger("nexus_emulator.api")
MAX_SOURCE_BYTES = 200 * 2**20


@router.post(
    "/sources",
    summary="Upload a project as tar.gz (checked: 400 with the reason when it is not one); "
    "idempotent by content",
    response_model=SourceUploaded,
    openapi_extra={
        "requestBody": {
            "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}
        }
    },
)
async def upload_source(request: Request) -> dict[str, Any]:
    em = ready(emulator_of(request))
    sources = em.config.paths.sources
    sources.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=sources, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_SOURCE_BYTES:
                    raise errors.usage(
                        f"the project is larger than {MAX_SOURCE_BYTES // 2**20} MiB",
                        hint="leave data files out of the agent project",
                    )
                digest.update(chunk)
                fh.write(chunk)
        await asyncio.to_thread(check_archive, Path(tmp))
        source_id = "sha256:" + digest.hexdigest()
        final = sources / (digest.hexdigest() + ".tar.gz")
        os.replace(tmp, final)
    except BaseException:
        os.unlink(tmp)
        raise
    em.store.add_source(source_id, str(final), size)
    return {"source_id": source_id, "size": size}


@router.post(
    "/agents/{name}/deployments",
    summary="Deploy a new version; streams NDJSON progress events, then a result or an error",
    responses={200: {"content": {"application/x-ndjson": {}}, "model": DeployResult}},
)
async def deploy(name: str, body: DeploySpec, request: Request) -> StreamingResponse:
    em = ready(emulator_of(request))
    order = deploy_order(em.store, name, body)  # 400 before anything starts
    em.warm()  # the first deploy: health checks and model calls come after it
    declared = body.gateway
    if declared is not None:
        assert em.gateway.catalog is not None
        hint = "fix nexus.toml's [gateway] (docs/gateway.md)"
        try:
            em.gateway.catalog.check_declared(declared.models)
        except UnknownFallback as exc:  # as POST /v1/gateway/models answers it
            raise errors.not_found(str(exc), hint=hint) from None
        except ValueError as exc:
            raise errors.usage(str(exc), hint=hint) from None
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def work() -> None:
        try:
            rollout = await em.deployer.deploy(
                order, lambda m: queue.put_nowait({"event": "progress", "message": m})
            )
            if declared is not None:  # the agent's own models and quota, once it deployed
                em.gateway.declare(name, order.env, declared)
            result = views.deploy_result(rollout, em.store, site(em))
            queue.put_nowait({"event": "result", "result": result.model_dump(mode="json")})
        except errors.ApiError as exc:
            queue.put_nowait({"event": "error", **exc.body()})
        except Exception as exc:
            log.exception("deploy of %s failed", name)
            queue.put_nowait({"event": "error", **errors.failed(f"deploy failed: {exc}").body()})
        finally:
            queue.put_nowait(None)

    task = asyncio.create_task(work())  # goes on if the client goes away

    async def events() -> AsyncIterator[bytes]:
        while (item := await queue.get()) is not None:
            yield orjson.dumps(item) + b"\n"
        await task

    return StreamingResponse(events(), media_type="application/x-ndjson")


@router.get("/agents", summary="Every agent with the version each environment serves")
async def list_agents(request: Request) -> list[AgentSummary]:
    em = ready(emulator_of(request))
    return views.summaries(em.store)


@router.get(
    "/agents/{name}", summary="Per environment: version, replicas and health, endpoint, resources"
)
async def status(name: str, request: Request, env: str | None = None) -> AgentStatus:
    em = ready(emulator_of(request))
    known_agent(em, name)
    deployed_in(em, name, env)
    return views.status(name, env, em.store, em.pools, site(em))


@router.get("/agents/{name}/history", summary="Every version and every deploy or rollback")
async def history(name: str, request: Request) -> History:
    em = ready(emulator_of(request))
    known_agent(em, name)
    return views.history(em.store, name)


@router.post("/agents/{name}/rollback", summary="Serve an earlier version again")
async def rollback(name: str, body: RollbackBody, request: Request) -> DeployResult:
    em = ready(emulator_of(request))
    known_agent(em, name)
    env = body.env or default_env(em.store, name)
    rollout = await em.deployer.rollback(
        name, env, body.version, body.actor, lambda m: log.info("%s", m)
    )
    return views.deploy_result(rollout, em.store, site(em))


@router.post(
    "/agents/{name}/restart",
    summary="New replicas of the version serving, switched to once healthy (as a deploy)",
)
async def restart(name: str, body: RestartBody, request: Request) -> AgentStatus:
    em = ready(emulator_of(request))
    known_agent(em, name)
    env = body.env or default_env(em.store, name)
    deployment_in(em.store, name, env)
    await em.deployer.restart(name, env, "restart", body.actor)
    return views.status(name, env, em.store, em.pools, site(em))


@router.post("/agents/{name}/scale", summary="Set the replica count or the autoscale flag")
async def scale(name: str, body: ScaleBody, request: Request) -> AgentStatus:
    em = ready(emulator_of(request))
    known_agent(em, name)
    if body.replicas is None and body.autoscale is None:
        raise errors.usage("say how to scale: replicas, autoscale or both")
    env = body.env or default_env(em.store, name)
    await em.scaling.scale(name, env, body.replicas, body.autoscale, body.actor)
    return views.status(name, env, em.store, em.pools, site(em))


@router.delete("/agents/{name}", summary="Stop every replica and forget the agent")
async def delete(name: str, request: Request) -> DeleteResult:
    em = ready(emulator_of(request))
    known_agent(em, name)
    if em.tasks is not None:
        em.tasks.cancel_agent(name)
    await em.deployer.delete(name)
    await em.sessions.forget(name)
    if em.gateway.catalog is not None:
        em.gateway.catalog.declare(name, [])  # the models it declared for itself go too
    return DeleteResult(name=name)


@router.post("/admin/gc", summary="Remove orphan images, build folders and secrets folders")
async def gc(request: Request) -> dict[str, list[str]]:
    from dataclasses import asdict

    from nexus_emulator.gc import collect

    em = ready(emulator_of(request))
    return asdict(await collect(em.store, em.runtime, em.config, em.lock, em.sessions.tracked))


@router.post("/admin/reset", summary="Remove every replica and all state")
async def reset(request: Request) -> dict[Literal["reset"], bool]:
    em = ready(emulator_of(request))
    for agent in em.store.agent_names():
        await em.deployer.delete(agent)
        await em.sessions.forget(agent)
    for handle in await em.runtime.replicas():
        await em.runtime.stop(handle.id)
    await em.runtime.remove_artifacts()  # also those of builds a crash cut short
    em.store.reset()
    if em.memory is not None and em.memory.vectors is not None:
        em.memory.vectors.forget()
    if em.gateway.quotas is not None and em.gateway.catalog is not None:
        em.gateway.quotas.forget()
        em.gateway.catalog.forget()
    paths = em.config.paths
    for sub in (paths.sources, paths.builds, paths.artifacts):
        shutil.rmtree(sub, ignore_errors=True)
    shutil.rmtree(secrets_root(em.config.home), ignore_errors=True)
    return {"reset": True}
