"""``nexus completion show|install [SHELL]``: the shell completion script, printed or installed.

The scripts call back into ``nexus``; agent, environment and secret names are
completed from the local cache described in ``nexus_cli/completion.py``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.commands._group import group

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETE_VAR = "_NEXUS_COMPLETE"

app = group("Shell completion: print or install the script (bash, zsh, fish, powershell).")

ShellArg = Annotated[
    str | None,
    typer.Argument(help="bash, zsh, fish or powershell (default: the shell in $SHELL)."),
]


def _shell(shell: str | None) -> str:
    import os

    from nexus_cli.errors import UsageError

    if shell is None:
        shell = os.path.basename(os.environ.get("SHELL", "")) or "bash"
        shell = "powershell" if shell in ("pwsh", "powershell.exe") else shell
    if shell not in SHELLS:
        raise UsageError(f"unsupported shell {shell!r}", hint="use " + ", ".join(SHELLS))
    return shell


@app.command("show")
def show(shell: ShellArg = None) -> None:
    """Print the completion script for SHELL."""
    from typer.completion import get_completion_script  # type: ignore[attr-defined]

    script = get_completion_script(
        prog_name="nexus", complete_var=COMPLETE_VAR, shell=_shell(shell)
    )
    typer.echo(script.rstrip())


@app.command("install")
def install(shell: ShellArg = None) -> None:
    """Install the completion script for SHELL (in its usual startup file)."""
    from typer.completion import install as typer_install  # type: ignore[attr-defined]

    from nexus_cli import output

    chosen, path = typer_install(shell=_shell(shell), prog_name="nexus", complete_var=COMPLETE_VAR)
    output.success(f"Installed {chosen} completion in {path}; open a new shell to use it.")
