"""Helpers shared by the agent verbs (typer-free, import-light)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexus_cli.errors import NotFound, UsageError, checked

if TYPE_CHECKING:
    from nexus_cli.providers.base import Provider


def begin(json_: bool, name: str, env: str | None = None) -> None:
    """What a verb on one agent does first: set the output mode, check name and env locally."""
    from nexus.ai.spec import check_env, check_name
    from nexus_cli.context import use_json

    use_json(json_)
    checked(check_name, name)
    if env is not None:
        checked(check_env, env)


def not_deployed(name: str, env: str, deployed: list[str]) -> NotFound:
    """What a command naming an environment the agent is not deployed to raises: the
    API's own ``not_found`` words, whatever the provider."""
    from nexus_api.errors import not_deployed as words

    message, hint = words(name, env, deployed)
    return NotFound(message, hint=hint)


def default_env(chosen: Provider, name: str, verb: str) -> str:
    """The environment a verb acts on when --env is not given.

    The only one deployed; else the one deployed to (or rolled back) last,
    said in one line on stderr. Scaling does not move it: the autoscaler scales too.
    """
    status = chosen.status(name, None)
    deployed = {e.env: e for e in status.environments if e.revision is not None}
    if len(deployed) == 1:
        return next(iter(deployed))
    if not deployed:
        raise UsageError(
            f"{name} is not deployed to any environment",
            hint=f"nexus ai agent deploy {name}  # then {verb} it",
        )
    events = [
        e
        for e in chosen.history(name).events
        if e.env in deployed and e.action in ("deploy", "rollback")
    ]
    if events:
        env = max(events, key=lambda e: e.at).env
    else:  # no history from this provider: the one changed last
        env = max(deployed.values(), key=lambda e: e.updated_at or 0.0).env
    from nexus_cli import output

    others = ", ".join(e for e in deployed if e != env)
    output.notice(
        f"{verb} {name} in {env}, the environment deployed to last "
        f"(also deployed: {others}; --env picks one)"
    )
    return env
