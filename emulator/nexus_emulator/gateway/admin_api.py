"""The gateway's control routes (admin): its models, quotas, the audit and usage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from nexus_api.gateway import AuditRow, ModelInfo, ModelRoute, QuotaInfo, Usage
from nexus_emulator import errors
from nexus_emulator.api.deps import checked_env, checked_name, emulator_of, ready
from nexus_emulator.gateway.catalog import UnknownFallback
from nexus_emulator.gateway.quotas import Quotas

router = APIRouter(prefix="/v1/gateway", tags=["gateway"])


def _quotas(request: Request) -> Quotas:
    quotas = ready(emulator_of(request)).gateway.quotas
    assert quotas is not None
    return quotas


@router.get("/models", summary="The models replicas may call")
async def models(request: Request) -> list[ModelInfo]:
    return [
        ModelInfo(
            id=m.id,
            kind=m.kind,
            provider=m.provider,
            upstream_model=m.route.upstream_model if m.route else None,
            url=m.route.url if m.route else None,
            agent=m.agent,
        )
        for m in ready(emulator_of(request)).gateway.models()
    ]


@router.post("/models", summary="Route a model name to an OpenAI-compatible upstream")
async def model_add(route: ModelRoute, request: Request) -> ModelRoute:
    catalog = ready(emulator_of(request)).gateway.catalog
    assert catalog is not None
    try:
        return catalog.add(route)
    except UnknownFallback as exc:
        raise errors.not_found(
            str(exc), hint="nexus ai gateway models  # lists the models"
        ) from None
    except ValueError as exc:
        raise errors.usage(str(exc), hint="nexus ai gateway models  # lists the models") from None


@router.delete("/models/{name:path}", summary="Remove a routed model")
async def model_remove(name: str, request: Request) -> dict[str, Any]:
    catalog = ready(emulator_of(request)).gateway.catalog
    assert catalog is not None
    if not catalog.remove(name):
        raise errors.not_found(f"no routed model named {name!r}", hint="nexus ai gateway models")
    return {"name": name, "removed": True}


@router.get("/quotas/{agent}", summary="An agent's quota in one environment")
async def quota_show(agent: str, request: Request, env: str = "development") -> QuotaInfo:
    quota = _quotas(request).get(checked_name(agent), checked_env(env))
    return QuotaInfo(agent=agent, env=env, quota=quota)


@router.put("/quotas/{agent}", summary="Change an agent's quota (fields left out stay)")
async def quota_set(
    agent: str, body: dict[str, Any], request: Request, env: str = "development"
) -> QuotaInfo:
    try:
        quota = _quotas(request).set(checked_name(agent), checked_env(env), body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise errors.usage(
            f"bad quota: {problems}",
            hint="nexus ai gateway quota set AGENT --rpm 60 --tpm 100000 --daily-tokens 1000000",
        ) from None
    return QuotaInfo(agent=agent, env=env, quota=quota)


@router.get("/audit", summary="One row per model call, oldest first")
async def audit(
    request: Request, agent: str | None = None, since: float | None = None, limit: int = 100
) -> list[AuditRow]:
    if not 0 < limit <= 10_000:
        raise errors.usage("limit must be between 1 and 10000")
    rows = _quotas(request).audit(agent, since, limit)
    return [AuditRow.model_validate(r) for r in rows]


@router.get("/usage/{agent}", summary="An agent's model use per environment")
async def usage(agent: str, request: Request) -> Usage:
    per_env = _quotas(request).usage(checked_name(agent))
    return Usage.model_validate({"agent": agent, "environments": per_env})
