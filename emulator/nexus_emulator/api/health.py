"""Liveness, readiness, facts about this emulator, Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import nexus_emulator
from nexus_emulator.api.deps import emulator_of

router = APIRouter(tags=["health"])


@router.get("/v1/health/live", summary="The process answers")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/health/ready", summary="State loaded and the runtime backend answered")
async def ready(request: Request) -> JSONResponse:
    em = emulator_of(request)
    body: dict[str, Any] = {
        "ready": em.ready,
        "runtime": em.runtime.name if em.ready else None,
        "state": "loaded" if em.ready else "loading",
    }
    return JSONResponse(body, status_code=200 if em.ready else 503)


@router.get("/v1/info", summary="Version, runtime, home, port and process of this emulator")
async def info(request: Request) -> dict[str, Any]:
    em = emulator_of(request)
    return {
        "version": nexus_emulator.__version__,
        "runtime": em.runtime.name,
        "isolation": em.runtime.isolation,
        "home": str(em.config.home),
        "host": em.config.host,
        "port": em.config.port,
        "pid": os.getpid(),
        "started_at": em.started_at,
        "schema": em.store.schema,
        "issuer": em.identity.issuer_url,
        "platform_url": em.identity.platform_url,  # where replicas reach the platform API
    }
