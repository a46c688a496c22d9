"""``nexus ai emulator stop``: stop the local emulator (its agents stop with it)."""

from __future__ import annotations

from nexus_cli.plugin import JsonOpt


def stop(json_: JsonOpt = False) -> None:
    """Stop the local emulator of this NEXUS_HOME."""
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_local import lifecycle
    from nexus_local.models import StopResult

    use_json(json_)
    em = lifecycle.Emulator.resolve()
    with output.progress("Stopping the local emulator"):
        info, killed = lifecycle.stop(em)
    result = StopResult(
        stopped=info is not None,
        pid=int(info["pid"]) if info else None,
        port=int(info["port"]) if info else None,
        killed=killed,
    )

    def render(r: StopResult) -> str:
        if not r.stopped:
            return "The local emulator was not running."
        how = " (killed: it did not stop within 10s)" if r.killed else ""
        return f"Stopped the local emulator (pid {r.pid}, port {r.port}){how}."

    output.emit(result, render)
