"""``nexus ai agent dev [PATH]``: run the project on the emulator and reload it on every save.

The replica runs the project directory itself (process runtime; a read-only bind
mount at /app on Docker) and re-imports
the agent in place after a change (see ``nexus.ai.agents._reload``): no build,
no new version. An edit to nexus.toml (dependencies, entrypoint) deploys again.
The agent's logs stream here. Ctrl-C puts development back as it was (the
version serving before, or no agent at all) and exits 130.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from nexus_cli.providers.base import DeployRequest, Provider

ENV = "development"


def _mounted(req: DeployRequest) -> DeployRequest:
    """The request with its project run in place (hot reload) rather than copied."""
    from dataclasses import replace

    assert req.source is not None
    assert req.spec.project is not None
    project = req.spec.project.model_copy(update={"mount": str(req.source.resolve())})
    return replace(req, spec=req.spec.model_copy(update={"project": project}))


def _before(chosen: Provider, name: str) -> int | bool | None:
    """The revision development serves now; None when it serves none; False: no such agent."""
    from nexus_cli.errors import NotFound

    try:
        status = chosen.status(name, ENV)
    except NotFound:
        return False
    for env in status.environments:
        if env.env == ENV:
            return env.revision
    return None


def _restore(chosen: Provider, name: str, before: int | bool | None) -> str:
    """Put development back as ``dev`` found it; say what was done."""
    if before is False:
        from nexus_cli import completion

        chosen.delete(name)
        completion.forget_agent(name)
        return f"Deleted {name} (it did not exist before `dev`)."
    if isinstance(before, int) and not isinstance(before, bool):
        chosen.rollback(name, ENV, f"r{before}")
        return f"Development serves r{before} again."
    return f"{name} keeps the dev version in {ENV}: nothing served there before."


def _redeploy_on_toml(chosen: Provider, path: Path, name: str, stop: threading.Event) -> None:
    """Deploy again (a rebuild) after each change to nexus.toml: dependencies or entrypoint."""
    from watchfiles import watch

    from nexus_cli import output
    from nexus_cli.commands.agent.deploy import request
    from nexus_cli.errors import NexusError

    toml = path / "nexus.toml"
    for changes in watch(path, debounce=200, stop_event=stop, recursive=False):
        if not any(Path(p) == toml for _, p in changes):
            continue
        output.notice("nexus.toml changed: deploying again (dependencies are rebuilt)")
        try:
            result = chosen.deploy(_mounted(request(path, ENV, name=name)), lambda _m: None)
        except NexusError as error:
            output.fail(error)  # shown; the replica that was serving keeps serving
            continue
        output.notice(f"Deployed {result.version.label} (revision {result.version.revision})")


def dev(
    path: Annotated[Path, typer.Argument(help="Project directory.")] = Path("."),
) -> None:
    """Run the project on the emulator in development and reload it in place on every save."""
    from nexus_cli import output
    from nexus_cli.commands.agent.deploy import request
    from nexus_cli.commands.agent.logs import line
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.base import LogQuery

    path = path.resolve()
    first = request(path, ENV)
    chosen = provider(ENV, path)
    if chosen.name != "local":
        raise UsageError(
            f"`dev` runs on the local emulator, not on the {chosen.name} provider",
            hint="nexus ai agent deploy --watch  # redeploys to any provider on change",
        )
    before = _before(chosen, first.name)
    with output.progress(f"Starting {first.name} from {path}") as update:
        result = chosen.deploy(_mounted(first), update)
    from nexus_cli import completion

    completion.add_agent(first.name)
    paths = getattr(getattr(chosen, "emulator", None), "paths", None)
    output.notice(f"{first.name} runs {path} in {ENV}; saving a .py file reloads it")
    output.notice(f"  endpoint: {result.endpoint}")
    if paths is not None:
        where = f"cat {paths.token}" if paths.token.exists() else "nexus ai emulator token"
        output.notice(f'  token:    "Authorization: Bearer $({where})"')
    output.notice("  Ctrl-C stops it")
    stop = threading.Event()
    watcher = threading.Thread(
        target=_redeploy_on_toml, args=(chosen, path, first.name, stop), daemon=True
    )
    watcher.start()
    try:
        query = LogQuery(env=ENV, tail=20, level="debug", follow=True)
        output.records(chosen.logs(first.name, query), line)
    except KeyboardInterrupt:
        stop.set()
        output.notice(_restore(chosen, first.name, before))
        raise
    finally:
        stop.set()
