"""``nexus ai emulator start``: run the local emulator (detached unless --foreground)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from nexus_cli.plugin import JsonOpt

PortOpt = Annotated[
    int | None,
    typer.Option(
        "--port",
        "-p",
        envvar="NEXUS_EMULATOR_PORT",
        help="Port of the local emulator on 127.0.0.1 (default 8470).",
        show_default=False,
    ),
]


class RuntimeChoice(StrEnum):
    auto = "auto"
    docker = "docker"
    process = "process"


def start(
    port: PortOpt = None,
    runtime: Annotated[
        RuntimeChoice,
        typer.Option(
            "--runtime",
            envvar="NEXUS_RUNTIME",
            help="How agents run: docker containers, local processes, or auto.",
        ),
    ] = RuntimeChoice.auto,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Stay attached; Ctrl-C stops it.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Start the local emulator on 127.0.0.1 (it is also started on demand)."""
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_local import admin, lifecycle
    from nexus_local.commands._render import render_status

    use_json(json_)
    em = lifecycle.Emulator.resolve(port)
    if foreground:
        code = lifecycle.run_foreground(em, runtime.value)
        raise typer.Exit(code)
    with output.progress("Starting the local emulator"):
        info = lifecycle.start(em, runtime=runtime.value, notice=output.notice)
    result = admin.status(lifecycle.Emulator.resolve(int(info["port"])))
    result.started = bool(info.get("started"))
    if not result.started:
        at = int(info["port"])
        _refuse_other_settings(em.url(at), result.runtime, port, runtime, at)
    if not result.started and not output.json_mode():
        output.notice(f"The local emulator already runs on {result.url} (pid {result.pid}).")
    output.emit(result, render_status)


def _refuse_other_settings(
    url: str, running: str | None, port: int | None, runtime: RuntimeChoice, at: int
) -> None:
    """A running emulator keeps its port and runtime: asking for others is an error."""
    from nexus_cli.errors import UsageError

    asked: list[str] = []
    if port is not None and port != at:
        asked.append(f"--port {port}")
    if runtime is not RuntimeChoice.auto and running and runtime.value != running:
        asked.append(f"--runtime {runtime.value}")
    if not asked:
        return
    wanted = " ".join(asked)
    raise UsageError(
        f"the local emulator already runs on {url} with runtime {running or 'unknown'}; "
        f"{wanted} not applied",
        hint=f"stop it first, then start it again: nexus ai emulator stop && "
        f"nexus ai emulator start {wanted}",
    )
