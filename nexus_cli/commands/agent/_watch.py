"""``deploy --watch``: deploy again after every change to the project's files.

Under ``--json`` each deploy's result is one JSON line.

A code-only change rebuilds only the code layer, so the new version answers
about a second after the save. A failing deploy is shown and the watch goes
on: the version that was serving keeps serving. Ctrl-C stops it and exits 130.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nexus_cli.errors import NexusError
from nexus_cli.providers.base import DeployRequest, Provider

IGNORED_PARTS = {".git", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}


def _relevant(path: str) -> bool:
    parts = Path(path).parts
    return not (IGNORED_PARTS & set(parts)) and not path.endswith((".pyc", "~", ".swp"))


def redeploy_on_change(
    chosen: Provider,
    first: DeployRequest,
    again: Callable[[], DeployRequest],
    render: Callable[[Any], Any],
) -> None:
    """Watch ``first``'s project; after each change deploy ``again()`` (read afresh)."""
    from watchfiles import watch

    from nexus_cli import output

    assert first.source is not None
    root = first.source
    output.notice(f"Watching {root} for changes (Ctrl-C stops)")
    try:
        for changes in watch(root, debounce=300, raise_interrupt=True):
            changed = sorted({str(Path(p).relative_to(root)) for _, p in changes if _relevant(p)})
            if not changed:
                continue
            output.notice(f"Changed: {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}")
            try:
                request = again()
                with output.progress(f"Deploying {request.name} to {request.env}") as update:
                    result = chosen.deploy(request, update)
            except NexusError as error:
                output.fail(error)  # shown; keep watching
                continue
            if output.json_mode():
                output.records(iter([result.model_dump(mode="json")]), str)
            else:
                output.emit(result, render)
    except KeyboardInterrupt:
        import typer

        from nexus_cli.errors import EXIT_INTERRUPTED

        output.notice("Stopped watching.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
