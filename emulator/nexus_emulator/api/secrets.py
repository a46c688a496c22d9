"""Secrets of an agent: set, list (names and digests only), delete.

A change restarts the replicas of the environments it touches, the same way
a deploy does (new replicas first, switched to once healthy), so the agent's
``os.environ`` has the new value.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from nexus.ai import spec
from nexus_api.bodies import SecretBody
from nexus_api.models import Secret, SecretChange
from nexus_emulator import errors
from nexus_emulator.api.deps import checked_env, checked_name, emulator_of, ready
from nexus_emulator.core import Emulator
from nexus_emulator.vault import ALL, check_name

router = APIRouter(prefix="/v1", tags=["secrets"])


def _scope(env: str | None) -> str:
    return ALL if env is None else checked_env(env)


async def _restart(
    em: Emulator, name: str, scope: str, action: str, actor: str | None
) -> list[str]:
    envs = [d.env for d in em.store.deployments(name) if scope in (ALL, d.env)]
    for env in envs:
        try:
            await em.deployer.restart(name, env, action, actor)
        except errors.ApiError as exc:
            raise errors.ApiError(
                exc.status,
                exc.code,
                f"{action} is saved, but the replicas with it did not start: {exc.message}",
                hint="fix the agent or the secret, then set it again (or redeploy)",
                details=exc.details,
            ) from None
    return envs


@router.put("/agents/{name}/secrets/{key}", summary="Set a secret (restarts the replicas)")
async def set_secret(name: str, key: str, body: SecretBody, request: Request) -> SecretChange:
    em = ready(emulator_of(request))
    assert em.vault is not None
    checked_name(name)
    check_name(key)
    info = em.vault.set(name, _scope(body.env), key, body.value)
    restarted = await _restart(em, name, info.scope, f"secret set {key}", body.actor)
    return SecretChange(
        name=key,
        scope=info.scope,
        digest=info.digest,
        updated_at=info.updated_at,
        restarted=restarted,
        key_store=em.vault.key_store,
        key_created=em.vault.take_key_created(),
    )


@router.get("/agents/{name}/secrets", summary="Names, scopes and digests of the secrets")
async def list_secrets(name: str, request: Request) -> list[Secret]:
    em = ready(emulator_of(request))
    assert em.vault is not None
    checked_name(name)
    return [
        Secret(name=s.name, scope=s.scope, digest=s.digest, updated_at=s.updated_at)
        for s in em.vault.list(name)
    ]


@router.delete("/agents/{name}/secrets/{key}", summary="Delete a secret (restarts the replicas)")
async def delete_secret(
    name: str, key: str, request: Request, env: str | None = None, actor: str | None = None
) -> SecretChange:
    em = ready(emulator_of(request))
    assert em.vault is not None
    checked_name(name)
    scope = _scope(env)
    if not em.vault.delete(name, scope, key):
        where = "every environment" if scope == ALL else env
        known = sorted({s.name for s in em.vault.list(name)})
        close = spec.suggest(key, known)
        raise errors.not_found(
            f"{name} has no secret {key!r} for {where}",
            hint=(f"did you mean {close!r}? " if close else "")
            + f"nexus ai agent secret list {name}",
        )
    restarted = await _restart(em, name, scope, f"secret delete {key}", actor)
    return SecretChange(name=key, scope=scope, deleted=True, restarted=restarted)


@router.put("/agents/{name}/secrets/", include_in_schema=False)
@router.delete("/agents/{name}/secrets/", include_in_schema=False)
async def no_secret_name(name: str) -> None:
    """An empty secret name: a usage error, not a redirect to the list."""
    check_name("")
