"""``nexus ai emulator gc``: remove what killed deploys and deletes left behind."""

from __future__ import annotations

from typing import Any

from nexus_cli.plugin import JsonOpt


def gc(json_: JsonOpt = False) -> None:
    """Remove orphan images and build folders, unused nexus-deps images and empty secrets
    folders (also done on every start)."""
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_local import lifecycle
    from nexus_local.client import EmulatorClient

    use_json(json_)
    em = lifecycle.Emulator.resolve()
    info = lifecycle.start(em, notice=output.notice)
    with (
        output.progress("Collecting garbage"),
        EmulatorClient(em.url(int(info["port"])), em.token()) as client,
    ):
        result: dict[str, Any] = client.request("POST", "/v1/admin/gc", timeout=300.0)

    def render(r: dict[str, Any]) -> str:
        counts = {k: len(v) for k, v in r.items()}
        return (
            f"Removed {counts['builds']} build folder(s), {counts['artifacts']} image(s) or "
            f"artifact(s), {counts['secrets_folders']} empty secrets folder(s) and "
            f"{counts.get('replicas', 0)} untracked session replica(s)."
        )

    output.emit(result, render)
