"""Dynamic shell completion: agent, environment, secret and provider names, versions and
task ids, for Typer's callbacks.

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
    add_tasks,
    change_secret,
    forget_agent,
    load,
    remember_agents,
    remember_secrets,
    remember_versions,
    task_ids,
    versions_of,
)

__all__ = [
    "add_agent",
    "add_tasks",
    "agents",
    "change_secret",
    "environments",
    "forget_agent",
    "providers",
    "remember_agents",
    "remember_secrets",
    "remember_versions",
    "secret_keys",
    "task_ids",
    "versions",
]


def agents(incomplete: str) -> list[str]:
    return [n for n in _names(load().get("agents")) if n.startswith(incomplete)]


def environments(incomplete: str) -> list[str]:
    return [e for e in ENVIRONMENTS if e.startswith(incomplete)]


def _agent(ctx: typer.Context) -> str | None:
    """The NAME argument typed before the word being completed (while completing an
    option, Click may leave it unparsed in ``ctx.args``)."""
    name = ctx.params.get("name")
    if isinstance(name, str):
        return name
    return str(ctx.args[0]) if ctx.args else None


def secret_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    secrets = load().get("secrets")
    agent = _agent(ctx)
    if not isinstance(secrets, dict) or agent is None:
        return []
    return [k for k in _names(secrets.get(agent)) if k.startswith(incomplete)]


def versions(ctx: typer.Context, incomplete: str) -> list[str]:
    """The agent's versions (labels and rN) as ``history`` and ``deploy`` last saw them."""
    agent = _agent(ctx)
    return versions_of(agent, incomplete) if agent else []


def providers(incomplete: str) -> list[str]:
    """The installed provider plugins (their entry points, read locally; none is loaded)."""
    from nexus_cli.providers.registry import entries

    return sorted(e.name for e in entries() if e.name.startswith(incomplete))
