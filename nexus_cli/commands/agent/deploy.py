"""``nexus ai agent deploy [NAME]``: build and roll out a version to an environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus.ai.spec import Project
    from nexus_api.models import DeployResult


def _project(path: Path) -> Project:
    from nexus.ai.spec import SpecError, load_project
    from nexus_cli.errors import ProjectError

    try:
        return load_project(path)
    except SpecError as exc:
        raise ProjectError(exc.message, hint=exc.hint) from None


def _render(result: DeployResult) -> list[str]:
    healthy = sum(1 for r in result.replicas if r.state == "healthy")
    v = result.version
    lines = [
        f"{'Unchanged' if result.unchanged else 'Deployed'} {result.name} {v.label} "
        f"(revision {v.revision}) to {result.env}",
        f"  replicas: {healthy}/{len(result.replicas)} healthy",
        f"  endpoint: {result.endpoint or '-'}",
    ]
    if result.duration_s is not None:
        lines.append(f"  took:     {result.duration_s:.1f}s")
    return lines


def _documents(docs: list[dict[str, Any]]) -> Any:
    """Manifests as YAML documents (JSON where PyYAML is not installed), printed verbatim."""
    from rich.text import Text

    try:
        import yaml
    except ImportError:
        import json

        return Text(json.dumps(docs, indent=2))
    return Text(str(yaml.safe_dump_all(docs, sort_keys=False)).rstrip())


def deploy(
    name: Annotated[
        str | None, typer.Argument(help="Agent name (default: the name in nexus.toml).")
    ] = None,
    env: Annotated[str, typer.Option("--env", "-e", help="Target environment.")] = "development",
    replicas: Annotated[
        int | None, typer.Option("--replicas", help="Replica count (bounds depend on --env).")
    ] = None,
    cpu: Annotated[str | None, typer.Option("--cpu", help="CPU limit, e.g. 500m or 1.")] = None,
    memory: Annotated[
        str | None, typer.Option("--memory", help="Memory limit, e.g. 512Mi or 1Gi.")
    ] = None,
    path: Annotated[Path, typer.Option("--path", help="Project directory.")] = Path("."),
    image: Annotated[
        str | None,
        typer.Option("--image", help="Deploy this prebuilt image instead of building the project."),
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Version label (default: version in nexus.toml).")
    ] = None,
    watch: Annotated[
        bool,
        typer.Option("--watch", "-w", help="Deploy again whenever a project file changes."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print what would be applied (e.g. Kubernetes manifests); change nothing.",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Deploy an agent to an environment (builds the project unless --image is given)."""
    from nexus.ai.spec import check_env, check_name, check_replicas, parse_cpu, parse_memory
    from nexus_cli import output
    from nexus_cli.commands.agent._common import checked
    from nexus_cli.context import provider, use_json
    from nexus_cli.errors import UsageError
    from nexus_cli.providers.base import DeployRequest

    use_json(json_)
    checked(check_env, env)
    project = None
    if image is None or (path / "nexus.toml").is_file():
        project = _project(path)
    if name is None:
        if project is None:
            raise UsageError(
                "an agent name is needed to deploy an image",
                hint=f"nexus ai agent deploy NAME --image {image}",
            )
        name = project.name
    checked(check_name, name)
    settings = project.environments.get(env) if project else None
    if settings is not None:
        replicas = replicas if replicas is not None else settings.replicas
        cpu = cpu or settings.cpu
        memory = memory or settings.memory
    replicas = checked(check_replicas, env, replicas)
    if cpu is not None:
        checked(parse_cpu, cpu)
    if memory is not None:
        checked(parse_memory, memory)

    request = DeployRequest(
        name=name,
        env=env,
        project_dir=None if image else path.resolve(),
        image=image,
        replicas=replicas,
        cpu=cpu,
        memory=memory,
        label=label,
    )
    chosen = provider()
    if dry_run:
        output.emit(chosen.render(request), _documents)
        return
    with output.progress(f"Deploying {name} to {env}") as update:
        result = chosen.deploy(request, update)
    if watch and output.json_mode():  # a stream of results: one JSON line each
        output.records(iter([result.model_dump(mode="json")]), str)
    else:
        output.emit(result, _render)
    if watch:
        if image is not None:
            raise UsageError("--watch needs a project to watch", hint="leave out --image")
        from nexus_cli.commands.agent._watch import redeploy_on_change

        redeploy_on_change(chosen, request, _render)
