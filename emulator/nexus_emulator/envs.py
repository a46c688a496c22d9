"""The environment a control call acts on when it names none (the CLI applies the same rule).

The agent's only environment; else the one it was deployed to or rolled back
in last (scaling does not count: the autoscaler scales too); else development.
"""

from __future__ import annotations

from nexus.ai import spec
from nexus_api.errors import not_deployed
from nexus_emulator import errors
from nexus_emulator.store.db import DeploymentRow, Store


def default_env(store: Store, agent: str) -> str:
    deployed = {d.env for d in store.deployments(agent)}
    if len(deployed) == 1:
        return deployed.pop()
    moves = [
        e for e in store.events(agent) if e.env in deployed and e.action in ("deploy", "rollback")
    ]
    return moves[-1].env if moves else spec.DEFAULT_ENV  # events come in order


def deployment_in(store: Store, agent: str, env: str) -> DeploymentRow:
    """The agent's deployment in ``env``, or 404 saying where to look."""
    current = store.deployment(agent, env)
    if current is None:
        raise not_deployed_error(agent, env, [d.env for d in store.deployments(agent)])
    return current


def not_deployed_error(agent: str, env: str, deployed: list[str]) -> errors.ApiError:
    """404 ``not_found`` for every route that names an environment the agent is not in."""
    message, hint = not_deployed(agent, env, deployed)
    return errors.not_found(message, hint=hint)


def require_deployed(store: Store, agent: str, env: str | None) -> None:
    """Nothing when ``env`` is None or the agent is deployed there; else the 404 above."""
    if env is not None:
        deployment_in(store, agent, env)
