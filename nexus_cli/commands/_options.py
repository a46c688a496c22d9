"""Options shared by several commands (typer only: imported by ``nexus --help``)."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli import completion

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON (errors too, on stdout).")
]
EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help="Environment: development, staging or production.",
        autocompletion=completion.environments,
    ),
]
AgentArg = Annotated[str, typer.Argument(help="Agent name.", autocompletion=completion.agents)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
