"""The ``nexus`` command: wiring of groups and global options, and the entry point."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from nexus_cli import completion
from nexus_cli.commands._group import SETTINGS, Lazy, RootGroup, group
from nexus_cli.commands._plugins import PluginGroup
from nexus_cli.context import Invocation


class _Root(RootGroup):
    lazy = {
        "completion": Lazy(
            "nexus_cli.commands.completion:app",
            "Shell completion: print or install the script (bash, zsh, fish, powershell).",
        )
    }


class _Ai(PluginGroup):
    # Built in, imported when used; plugins add groups through the nexus.commands
    # entry points (nexus_cli/plugin.py).
    lazy = {
        "dashboard": Lazy(
            "nexus_cli.commands.dashboard.dashboard:dashboard",
            "Open the terminal dashboard: agents per environment with their load, and the "
            "selected agent's replicas, logs, tasks, traces and memory. ? lists the keys.",
        ),
        "agent": Lazy("nexus_cli.commands.agent:app", "Create, deploy, run and roll back agents."),
        "provider": Lazy("nexus_cli.commands.provider:app", "Hosting provider plugins."),
        "profile": Lazy(
            "nexus_cli.commands.profile:app",
            "Profiles: a provider and its options, under a name (never credentials).",
        ),
        "identity": Lazy(
            "nexus_cli.commands.identity:app", "The platform's token issuer: its signing keys."
        ),
        "token": Lazy(
            "nexus_cli.commands.token:app", "Tokens (JWTs) for callers of the agents' HTTP API."
        ),
        "gateway": Lazy(
            "nexus_cli.commands.gateway:app",
            "The AI gateway agents reach models through: models, quotas, audit, usage.",
        ),
    }


app = typer.Typer(
    name="nexus",
    help="Host AI agents: deploy, run, observe and roll back agents locally or remotely.",
    no_args_is_help=True,
    add_completion=True,
    cls=_Root,
    **SETTINGS,
)
ai_app = group("AI agents and the platform that hosts them.", cls=_Ai)
app.add_typer(ai_app, name="ai")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"nexus {version('nexus-agents')}")
        raise typer.Exit()


@app.callback()
def main(
    json: Annotated[
        bool, typer.Option("--json", help="Print results (and errors) as JSON on stdout.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show tracebacks (also NEXUS_DEBUG=1)."),
    ] = False,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            envvar="NEXUS_PROVIDER",
            help="Hosting provider plugin to use (default: the profile's, else local).",
            show_default=False,
            autocompletion=completion.providers,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="NEXUS_PROFILE",
            help="Named profile: a provider and its options (nexus ai profile list).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Host AI agents: deploy, run, observe and roll back agents locally or remotely."""
    Invocation.start(json=json, debug=debug, provider=provider, profile=profile)


def run() -> None:
    """Console entry point. A command's NexusError becomes output in ``RootGroup.invoke``;
    one raised while the command line is parsed is caught here."""
    from nexus_cli.errors import EXIT_INTERRUPTED, NexusError

    try:
        app(prog_name="nexus")
    except NexusError as error:
        from nexus_cli import output

        output.debug_traceback(error)
        sys.exit(output.fail(error))
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): silence the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:
        from nexus_cli import output

        sys.exit(output.crash(exc))
