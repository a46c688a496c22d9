"""Identity: OIDC discovery, the JWKS, minting tokens, rotating keys, and who am I."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from nexus.ai import spec
from nexus_api.identity import TokenRequest
from nexus_emulator import errors
from nexus_emulator.api.deps import emulator_of
from nexus_emulator.identity.keys import MAX_TOKEN_TTL
from nexus_emulator.identity.service import JWKS_PATH
from nexus_emulator.identity.tokens import AUD_API, KNOWN_SCOPES, Principal

router = APIRouter(tags=["identity"])
CACHE = {"Cache-Control": "public, max-age=300"}


def principal_of(request: Request) -> Principal:
    principal: Principal = request.scope["state"]["principal"]
    return principal


@router.get("/.well-known/openid-configuration", summary="OIDC discovery of this issuer")
async def discovery(request: Request) -> JSONResponse:
    return JSONResponse(emulator_of(request).identity.discovery(), headers=CACHE)


@router.get(JWKS_PATH, summary="The public keys tokens are signed with")
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(emulator_of(request).identity.keys.jwks(), headers=CACHE)


@router.post("/v1/identity/tokens", summary="Mint a caller token (admin)")
async def create_token(body: TokenRequest, request: Request) -> dict[str, Any]:
    unknown = sorted(set(body.scopes) - set(KNOWN_SCOPES))
    if unknown:
        raise errors.usage(
            f"unknown scope {unknown[0]!r}", hint=f"scopes: {', '.join(KNOWN_SCOPES)}"
        )
    if body.ttl > MAX_TOKEN_TTL:
        raise errors.usage(
            f"ttl {body.ttl:g} s is longer than the longest token lifetime ({MAX_TOKEN_TTL} s)",
            hint="e.g. --ttl 1h",
        )
    if body.agent is not None:
        errors.checked(spec.check_name, body.agent)
    identity = emulator_of(request).identity
    token, claims = identity.issuer.mint(
        body.sub, sorted(set(body.scopes)), audience=AUD_API, ttl=body.ttl, agent=body.agent
    )
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_in": int(body.ttl),
        "expires_at": claims["exp"],
        "kid": identity.keys.signing.kid,
        "claims": claims,
    }


@router.get("/v1/identity/keys", summary="The signing keys: kid, created, retired (admin)")
async def keys(request: Request) -> list[dict[str, Any]]:
    ring = emulator_of(request).identity.keys
    signing = ring.signing.kid
    return [
        {
            "kid": k.kid,
            "created_at": k.created_at,
            "retired_at": k.retired_at,
            "signing": k.kid == signing,
        }
        for k in ring.published()
    ]


@router.post("/v1/identity/rotate-keys", summary="Sign with a new key from now on (admin)")
async def rotate(request: Request) -> dict[str, Any]:
    ring = emulator_of(request).identity.keys
    new, dropped = ring.rotate()
    return {
        "kid": new.kid,
        "rotated_at": time.time(),
        "published": [k.kid for k in ring.published()],
        "dropped": dropped,
        "retired_kept_for": MAX_TOKEN_TTL,
    }


@router.get("/v1/platform/identity", summary="Who the calling replica is (workload token)")
async def whoami(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    return {
        "subject": p.subject,
        "kind": p.kind,
        "agent": p.agent,
        "env": p.env,
        "scopes": sorted(p.scopes),
        "expires_at": p.expires_at,
    }
