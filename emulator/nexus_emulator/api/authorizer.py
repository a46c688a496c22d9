"""An agent's trusted external issuer: ``/v1/agents/{name}/authorizer`` (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from nexus_api.identity import AuthorizerBody
from nexus_emulator import errors
from nexus_emulator.api.deps import checked_name, emulator_of
from nexus_emulator.identity.external import AuthorizerError, IssuerUnreadable, discover

router = APIRouter(tags=["identity"])


@router.put("/v1/agents/{name}/authorizer", summary="Trust an external issuer's tokens")
async def set_authorizer(name: str, body: AuthorizerBody, request: Request) -> dict[str, Any]:
    checked_name(name)
    try:
        auth = await discover(body.discovery_url, body.audiences, body.clients)
    except IssuerUnreadable as exc:  # nothing usable at that URL
        hint = "the URL ends in /.well-known/openid-configuration and the issuer answers"
        raise errors.not_found(str(exc), hint=hint) from None
    except AuthorizerError as exc:
        raise errors.usage(
            str(exc), hint="the URL ends in /.well-known/openid-configuration"
        ) from None
    emulator_of(request).identity.authorizers.set(name, auth)
    return {"agent": name, **auth.public()}


@router.get("/v1/agents/{name}/authorizer", summary="The external issuer the agent trusts")
async def get_authorizer(name: str, request: Request) -> dict[str, Any]:
    auth = emulator_of(request).identity.authorizers.get(checked_name(name))
    if auth is None:
        raise errors.not_found(
            f"{name} trusts no external issuer",
            hint=f"nexus ai agent authorizer set {name} --discovery-url URL --audience AUD",
        )
    return {"agent": name, **auth.public()}


@router.delete("/v1/agents/{name}/authorizer", summary="Stop trusting the external issuer")
async def delete_authorizer(name: str, request: Request) -> dict[str, Any]:
    if not emulator_of(request).identity.authorizers.delete(checked_name(name)):
        raise errors.not_found(f"{name} trusts no external issuer")
    return {"agent": name, "deleted": True}
