"""``nexus ai emulator reset``: remove every agent, replica and state file."""

from __future__ import annotations

from nexus_cli.plugin import JsonOpt, YesOpt


def reset(yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Remove all agents, replicas and local state (the token and log too)."""
    import sys

    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_cli.errors import Cancelled, UsageError
    from nexus_local import admin, lifecycle
    from nexus_local.models import ResetResult

    use_json(json_)
    em = lifecycle.Emulator.resolve()
    if not yes:
        if not output.is_terminal(sys.stdin):
            raise UsageError(
                f"refusing to reset {em.home} without confirmation (no terminal to ask on)",
                hint="pass --yes to confirm: nexus ai emulator reset --yes",
            )
        if not output.confirm(f"Remove every agent and all state in {em.home}?"):
            raise Cancelled("cancelled: nothing was reset")
    with output.progress("Resetting the local emulator"):
        result = admin.reset(em, output.notice)

    def render(r: ResetResult) -> str:
        return f"Reset the local emulator: removed {len(r.removed)} entries from {r.home}."

    output.emit(result, render)
