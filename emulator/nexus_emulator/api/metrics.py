"""Metrics (Prometheus text at ``/metrics``, a JSON summary per agent) and traces."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of, known_agent, ready

router = APIRouter(tags=["observability"])


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def prometheus(request: Request) -> PlainTextResponse:
    em = emulator_of(request)
    queued = em.tasks.pending() if em.tasks is not None else {}
    lines = [em.metrics.prometheus(queued), "# TYPE nexus_http_requests_total counter"]
    for (method, path, status), n in sorted(em.http_counts.items()):
        lines.append(
            f'nexus_http_requests_total{{method="{method}",route="{path}",status="{status}"}} {n}'
        )
    return PlainTextResponse("\n".join(lines) + "\n")


@router.get(
    "/v1/agents/{name}/metrics",
    summary="Requests, errors, latency percentiles, tokens and queue size per environment",
)
async def agent_metrics(name: str, request: Request) -> dict[str, Any]:
    em = ready(emulator_of(request))
    known_agent(em, name)
    queued = em.tasks.pending() if em.tasks is not None else {}
    summary = em.metrics.summary(name, queued)
    for d in em.store.deployments(name):  # environments with no calls yet show zeros
        summary["environments"].setdefault(
            d.env,
            {
                "requests": 0,
                "errors": 0,
                "error_rate": 0.0,
                "latency_p50_ms": None,
                "latency_p95_ms": None,
                "tokens": 0,
                "queue_size": queued.get((name, d.env), 0),
            },
        )
    return summary


@router.get("/v1/agents/{name}/traces", summary="The agent's latest traces, newest first")
async def agent_traces(name: str, request: Request, limit: int = 20) -> list[dict[str, Any]]:
    em = ready(emulator_of(request))
    known_agent(em, name)
    return em.tracer.traces(name, max(1, min(limit, 500)))


@router.get("/v1/traces/{trace_id}", summary="Every span of one trace, oldest first")
async def trace(trace_id: str, request: Request) -> dict[str, Any]:
    em = ready(emulator_of(request))
    spans = em.tracer.trace(trace_id)
    if not spans:
        raise errors.not_found(
            f"no trace {trace_id!r}", hint="nexus ai agent traces NAME  # lists recent traces"
        )
    return {"trace_id": trace_id, "spans": spans}
