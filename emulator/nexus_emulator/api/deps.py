"""Shared lookups for the route modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from nexus.ai import spec
from nexus_emulator import errors
from nexus_emulator.envs import require_deployed
from nexus_emulator.views import Site

if TYPE_CHECKING:
    from nexus_emulator.core import Emulator


def emulator_of(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


def site(em: Emulator) -> Site:
    """What the views say about where and how this emulator serves."""
    c = em.config
    return Site(
        f"http://{c.host}:{c.port}", em.runtime.name, em.runtime.isolation, em.runtime.egress
    )


def checked_name(name: str) -> str:
    """An agent name that follows the rules, else 400 (it need not exist)."""
    return errors.checked(spec.check_name, name)


def checked_env(env: str) -> str:
    """An environment the platform knows, else 400."""
    return errors.checked(spec.check_env, env)


def deployed_in(em: Emulator, name: str, env: str | None) -> None:
    """Nothing when ``env`` is None or the agent is deployed there; else 400 for an unknown
    environment, 404 ``not_found`` for one it is not deployed to (as a call answers)."""
    if env is not None:
        require_deployed(em.store, name, checked_env(env))


def known_agent(em: Emulator, name: str) -> str:
    """The name when the agent exists; else 404 with the closest name as a hint."""
    return em.routing.known(name)


def allow_agent(request: Request, agent: str) -> None:
    """403 when the request's token is confined to another agent than ``agent``."""
    from nexus_emulator.identity.guard import may_reach

    principal = request.scope.get("state", {}).get("principal")
    if principal is None:
        return
    may_reach(principal, agent)  # raises Refused, an ApiError


def ready(em: Emulator) -> Emulator:
    if not em.ready:
        raise errors.unavailable("the emulator is still starting", hint="retry in a moment")
    return em
