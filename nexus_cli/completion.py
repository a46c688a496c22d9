"""Dynamic shell completion: agent, environment and secret names, for Typer's callbacks.

The names come from the local cache of ``nexus_cli._namecache`` (never from the
network); the helpers that keep it fresh are re-exported here for the commands.

No ``from __future__ import annotations`` here: Typer reads the callbacks'
parameter annotations to hand them the context.
"""

import typer

from nexus_cli._namecache import (
    ENVIRONMENTS,
    _names,
    add_agent,
    change_secret,
    forget_agent,
    load,
    remember_agents,
    remember_secrets,
)

__all__ = [
    "add_agent",
    "agents",
    "change_secret",
    "environments",
    "forget_agent",
    "remember_agents",
    "remember_secrets",
    "secret_keys",
]


def agents(incomplete: str) -> list[str]:
    return [n for n in _names(load().get("agents")) if n.startswith(incomplete)]


def environments(incomplete: str) -> list[str]:
    return [e for e in ENVIRONMENTS if e.startswith(incomplete)]


def secret_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    secrets = load().get("secrets")
    agent = ctx.params.get("name")
    if not isinstance(secrets, dict) or not isinstance(agent, str):
        return []
    return [k for k in _names(secrets.get(agent)) if k.startswith(incomplete)]
