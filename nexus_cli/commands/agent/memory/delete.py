"""``nexus ai agent memory delete NAME (--session S | --record R | --actor A)``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt


def _render(result: dict[str, Any]) -> str:
    if "deleted_records" in result:
        return (
            f"Deleted actor {result['actor']}: {result['deleted_events']} events, "
            f"{result['deleted_records']} records."
        )
    if "session" in result:
        return f"Deleted session {result['session']} ({result['deleted_events']} events)."
    return f"Deleted record {result['id']}."


def delete(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    session: Annotated[str | None, typer.Option("--session", help="A session's events.")] = None,
    record: Annotated[str | None, typer.Option("--record", help="One record, by id.")] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Alone: all of an actor's memory; with --session: whose."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Delete a session, a record, or everything an actor left in an agent's memory."""
    from nexus_cli import output
    from nexus_cli.commands.agent.memory._common import actor_of
    from nexus_cli.context import provider, use_json
    from nexus_cli.errors import UsageError

    use_json(json_)
    if (session is not None) + (record is not None) + (actor is not None and not session) != 1:
        raise UsageError(
            "say what to delete: one of --session S, --record R or --actor A",
            hint=f"nexus ai agent memory delete {name} --session S",
        )
    p = provider()
    if session is not None:
        result = p.memory_delete(name, "session", session, actor_of(p, name, session, actor))
    elif record is not None:
        result = p.memory_delete(name, "record", record, None)
    else:
        assert actor is not None
        result = p.memory_delete(name, "actor", actor, None)
    output.emit(result, _render)
