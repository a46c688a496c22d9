"""What the memory verbs share: the options, and whose session a session id is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from nexus_cli.providers.base import Provider

ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="The actor (who spoke; the run's --actor).")
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Only this namespace and those under it."),
]


def actor_of(p: Provider, name: str, session: str, actor: str | None) -> str:
    """The actor given, else the one actor with that session (else a usage error)."""
    from nexus_cli.errors import NotFound, UsageError

    if actor:
        return actor
    actors = sorted({s.actor for s in p.memory_sessions(name, None) if s.session == session})
    if not actors:
        raise NotFound(
            f"no session {session!r} in {name}'s memory",
            hint=f"nexus ai agent memory sessions {name}",
        )
    if len(actors) > 1:
        raise UsageError(
            f"session {session!r} has several actors: {', '.join(actors)}",
            hint="add --actor ACTOR",
        )
    return actors[0]


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
