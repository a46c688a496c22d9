"""An agent's trusted external issuer: ``/v1/agents/{name}/authorizer`` (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from nexus.ai import spec
from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of
from nexus_emulator.identity.external import AuthorizerError, discover

router = APIRouter(tags=["identity"])


class AuthorizerBody(BaseModel):
    discovery_url: str = Field(min_length=1)
    audiences: list[str] = Field(default_factory=list)
    clients: list[str] = Field(default_factory=list)


def _checked(name: str) -> str:
    try:
        return spec.check_name(name)
    except spec.SpecError as exc:
        raise errors.from_spec(exc) from None


@router.put("/v1/agents/{name}/authorizer", summary="Trust an external issuer's tokens")
async def set_authorizer(name: str, body: AuthorizerBody, request: Request) -> dict[str, Any]:
    _checked(name)
    try:
        auth = await discover(body.discovery_url, body.audiences, body.clients)
    except AuthorizerError as exc:
        raise errors.usage(
            str(exc), hint="the URL ends in /.well-known/openid-configuration"
        ) from None
    emulator_of(request).identity.authorizers.set(name, auth)
    return {"agent": name, **auth.public()}


@router.get("/v1/agents/{name}/authorizer", summary="The external issuer the agent trusts")
async def get_authorizer(name: str, request: Request) -> dict[str, Any]:
    auth = emulator_of(request).identity.authorizers.get(_checked(name))
    if auth is None:
        raise errors.not_found(
            f"{name} trusts no external issuer",
            hint=f"nexus ai agent authorizer set {name} --discovery-url URL --audience AUD",
        )
    return {"agent": name, **auth.public()}


@router.delete("/v1/agents/{name}/authorizer", summary="Stop trusting the external issuer")
async def delete_authorizer(name: str, request: Request) -> dict[str, Any]:
    if not emulator_of(request).identity.authorizers.delete(_checked(name)):
        raise errors.not_found(f"{name} trusts no external issuer")
    return {"agent": name, "deleted": True}
