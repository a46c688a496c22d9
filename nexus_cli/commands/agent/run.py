"""``nexus ai agent run NAME INPUT``: call a deployed agent once."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt


def parse_context(pairs: list[str]) -> dict[str, Any]:
    """``["user_id=123", "tier=gold"]`` -> ``{"user_id": "123", "tier": "gold"}``."""
    from nexus_cli.errors import UsageError

    context: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--context {pair!r} is not key=value", hint="e.g. --context user_id=123"
            )
        context[key.strip()] = value
    return context


def run(
    name: AgentArg,
    input: Annotated[str, typer.Argument(help="Input text; - reads it from stdin.")],
    context: Annotated[
        list[str] | None,
        typer.Option("--context", "-c", help="Context entry key=value (repeatable)."),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option("--session", help="Continue this conversation (the agent's session id)."),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who speaks (the agent's Context.user_id; memory's actor)."),
    ] = None,
    env: EnvOpt = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="Print the answer as it comes (server-sent events).")
    ] = False,
    async_: Annotated[
        bool,
        typer.Option("--async", help="Queue the run and print its task id (see `agent task`)."),
    ] = False,
    webhook: Annotated[
        str | None,
        typer.Option("--webhook", help="With --async: URL that gets the finished task (signed)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Run an agent: print its output (text as is, JSON pretty-printed)."""
    import json
    import sys

    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name, env)
    ctx = parse_context(context or [])
    if session is not None:
        ctx["session_id"] = session
    if actor is not None:
        ctx["user_id"] = actor
    if input == "-":
        input = sys.stdin.read()
    if webhook and not async_:
        from nexus_cli.errors import UsageError

        raise UsageError("--webhook goes with --async", hint="add --async")
    if stream and async_:
        from nexus_cli.errors import UsageError

        raise UsageError(
            "--stream and --async do not go together: a task's answer is read later",
            hint="drop --stream (then: nexus ai agent task status TASK_ID --wait), or drop --async",
        )
    if async_:
        task = provider(env).submit(name, input, ctx, env, webhook)
        from nexus_cli import completion

        completion.add_tasks([task.task_id])
        output.emit(
            task,
            lambda t: f"Queued {t.task_id} ({t.status}): nexus ai agent task status {t.task_id}",
        )
        return
    if stream:
        output.stream(provider(env).stream(name, input, ctx, env))
        return
    result = provider(env).run_data(name, input, ctx, env)
    if output.json_mode():
        output.print_json(result)
    elif isinstance(result["output"], str):
        output.text(result["output"])
    else:
        output.text(json.dumps(result["output"], indent=2, ensure_ascii=False))
