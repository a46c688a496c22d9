"""Liveness, readiness, facts about this emulator, Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

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
    }


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    em = emulator_of(request)
    lines = [
        "# HELP agent_requests_total Number of requests",
        "# TYPE agent_requests_total counter",
    ]
    for (agent, env, outcome), n in sorted(em.run_counts.items()):
        lines.append(f'agent_requests_total{{agent="{agent}",env="{env}",outcome="{outcome}"}} {n}')
    lines += ["# HELP agent_errors_total Number of errors", "# TYPE agent_errors_total counter"]
    for (agent, env, outcome), n in sorted(em.run_counts.items()):
        if outcome != "ok":
            lines.append(f'agent_errors_total{{agent="{agent}",env="{env}"}} {n}')
    lines += [
        "# HELP agent_latency_seconds_sum Total response latency",
        "# TYPE agent_latency_seconds_sum counter",
    ]
    for (agent, env), s in sorted(em.run_seconds.items()):
        lines.append(f'agent_latency_seconds_sum{{agent="{agent}",env="{env}"}} {s:.6f}')
    lines += ["# TYPE nexus_http_requests_total counter"]
    for (method, path, status), n in sorted(em.http_counts.items()):
        lines.append(
            f'nexus_http_requests_total{{method="{method}",route="{path}",status="{status}"}} {n}'
        )
    return PlainTextResponse("\n".join(lines) + "\n")
