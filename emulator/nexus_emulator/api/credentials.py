"""Outbound credentials: set, list and delete them (admin); a replica fetches its own
agent's through the platform API with its workload token (``credentials.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from nexus_api.identity import AccessToken, CredentialBody, CredentialInfo, TokenAsk
from nexus_emulator import errors
from nexus_emulator.api.deps import checked_name, emulator_of, ready
from nexus_emulator.api.identity import principal_of
from nexus_emulator.credentials import Credentials

router = APIRouter(tags=["credentials"])


def _vault(request: Request) -> Credentials:
    em = ready(emulator_of(request))
    assert em.credentials is not None
    return em.credentials


@router.put("/v1/agents/{name}/credentials/{credential}", summary="Set an outbound credential")
async def set_credential(
    name: str, credential: str, body: CredentialBody, request: Request
) -> CredentialInfo:
    if body.kind == "api_key":
        if not body.api_key:
            raise errors.usage("an api_key credential needs its api_key")
        values = {"api_key": body.api_key}
    else:
        missing = [k for k in ("token_url", "client_id", "client_secret") if not getattr(body, k)]
        if missing:
            raise errors.usage(f"an oauth2 credential needs {', '.join(missing)}")
        assert body.token_url is not None
        if not body.token_url.startswith(("https://", "http://")):
            raise errors.usage("token_url must be an http(s):// URL")
        values = {
            "token_url": body.token_url,
            "client_id": str(body.client_id),
            "client_secret": str(body.client_secret),
        }
    info = _vault(request).set(checked_name(name), credential, body.kind, values)
    return CredentialInfo(name=info.name, kind=info.kind, updated_at=info.updated_at)


@router.get("/v1/agents/{name}/credentials", summary="Names and kinds, never values")
async def list_credentials(name: str, request: Request) -> list[CredentialInfo]:
    return [
        CredentialInfo(name=c.name, kind=c.kind, updated_at=c.updated_at)
        for c in _vault(request).listed(checked_name(name))
    ]


@router.delete("/v1/agents/{name}/credentials/{credential}", summary="Delete a credential")
async def delete_credential(name: str, credential: str, request: Request) -> CredentialInfo:
    vault = _vault(request)
    known = {c.name: c for c in vault.listed(checked_name(name))}
    if credential not in known or not vault.delete(name, credential):
        raise errors.not_found(f"{name} has no credential named {credential!r}")
    c = known[credential]
    return CredentialInfo(name=c.name, kind=c.kind, updated_at=c.updated_at, deleted=True)


def _ownchecked_name(request: Request) -> str:
    agent = principal_of(request).agent
    if agent is None:
        raise errors.ApiError(403, errors.ErrorCode.FORBIDDEN, "the token names no agent")
    return agent


@router.get("/v1/platform/credentials/{credential}/api-key", summary="The agent's API key")
async def api_key(credential: str, request: Request) -> dict[str, str]:
    return {"api_key": _vault(request).api_key(_ownchecked_name(request), credential)}


@router.post("/v1/platform/credentials/{credential}/token", summary="An OAuth2 access token")
async def oauth_token(credential: str, body: TokenAsk, request: Request) -> AccessToken:
    token = await _vault(request).oauth_token(_ownchecked_name(request), credential, body.scopes)
    return AccessToken.model_validate(token)
