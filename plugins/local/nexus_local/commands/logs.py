"""``nexus ai emulator logs``: the emulator's own log (home/emulator.log)."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.plugin import JsonOpt


def logs(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines to show.")] = 50,
    json_: JsonOpt = False,
) -> None:
    """Print the last lines of the emulator log; --follow keeps printing (Ctrl-C stops)."""
    import json

    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_local import admin, lifecycle

    use_json(json_)
    em = lifecycle.Emulator.resolve()
    as_json = output.json_mode()

    def show(line: str) -> None:
        output.text(json.dumps({"line": line}) if as_json else line)

    if not em.log_path.exists() and not follow:
        output.notice(f"No emulator log yet ({em.log_path}).")
        return
    for line in admin.tail(em.log_path, lines):
        show(line)
    if follow:
        try:
            for line in admin.follow(em.log_path):
                show(line)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None  # the documented code of an interruption
