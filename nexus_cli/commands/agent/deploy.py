"""``nexus ai agent deploy [NAME]``: build and roll out a version to an environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt

if TYPE_CHECKING:
    from nexus.ai.project import Project
    from nexus.ai.spec import Cpu, Memory
    from nexus_api.gateway import DeclaredGateway
    from nexus_api.models import DeployResult
    from nexus_cli.providers.base import DeployRequest


def _project(path: Path) -> Project:
    from nexus.ai.project import load_project
    from nexus.ai.spec import SpecError
    from nexus_cli.errors import ProjectError

    try:
        return load_project(path)
    except SpecError as exc:
        raise ProjectError(exc.message, hint=exc.hint) from None


def _gateway(project: Project) -> DeclaredGateway | None:
    """nexus.toml's ``[gateway]`` as the deploy carries it (a ProjectError when a value is
    wrong: the table and the field it is in)."""
    from pydantic import ValidationError

    from nexus_api.gateway import DeclaredGateway
    from nexus_cli.errors import ProjectError

    if project.gateway is None:
        return None
    models = [{**route, "name": name} for name, route in project.gateway.get("models", {}).items()]
    try:
        return DeclaredGateway.model_validate({**project.gateway, "models": models})
    except ValidationError as exc:
        first = exc.errors()[0]
        parts = [str(p) for p in first["loc"]]
        if parts[:1] == ["models"] and len(parts) > 1:
            parts[1] = models[int(parts[1])]["name"]
            table, field = f"[gateway.models.{parts[1]}]", ".".join(parts[2:])
        elif parts[:1] == ["quota"]:
            table, field = "[gateway.quota]", ".".join(parts[1:])
        else:
            table, field = "[gateway]", ".".join(parts)
        said = str(first["msg"]).removeprefix("Value error, ")
        raise ProjectError(
            f"{project.root / 'nexus.toml'}: {table}{' ' + field if field else ''}: {said}",
            hint="see docs/gateway.md (the [gateway] table)",
        ) from None


def request(
    path: Path,
    env: str,
    *,
    name: str | None = None,
    replicas: int | None = None,
    cpu: Cpu | None = None,
    memory: Memory | None = None,
    image: str | None = None,
    label: str | None = None,
    max_concurrency: int | None = None,
    max_attempts: int | None = None,
    network: str | None = None,
    isolation: str | None = None,
) -> DeployRequest:
    """The deploy as the user gave it: the flags, and nexus.toml (read here, once) when the
    project has one. Sizes left out are decided by the provider (see docs: redeploy)."""
    from nexus.ai.spec import check_name
    from nexus.settings import Settings
    from nexus_api.deploy import DeploySpec, ProjectSpec, Sizing
    from nexus_cli.errors import UsageError, checked
    from nexus_cli.providers.base import DeployRequest

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
    declared, built, gateway = None, None, None
    if project is not None:
        gateway = _gateway(project)
        table = project.environments.get(env)
        # [agent]'s max_concurrency / max_attempts / network hold where the environment
        # sets none
        calls: dict[str, Any] = {
            key: getattr(table, key, None) if getattr(table, key, None) is not None else value
            for key, value in (
                ("max_concurrency", project.max_concurrency),
                ("max_attempts", project.max_attempts),
                ("network", project.network),
                ("isolation", project.isolation),
            )
        }
        if table is not None or any(v is not None for v in calls.values()):
            declared = Sizing(
                replicas=getattr(table, "replicas", None),
                cpu=getattr(table, "cpu", None),
                memory=getattr(table, "memory", None),
                **calls,
            )
        if image is None:
            built = ProjectSpec(
                entrypoint=project.entrypoint,
                dependencies=project.dependencies,
                version=project.version,
                python=project.python,
                # the environment overrides the project file, as everywhere
                base_image=checked(Settings.load).base_image or project.base_image,
            )

    def build() -> DeploySpec:
        return DeploySpec.of(
            env=env,
            replicas=replicas,
            cpu=cpu,
            memory=memory,
            network=network,
            isolation=isolation,
            declared=declared,
            image=image,
            project=built,
            gateway=gateway,
            label=label,
            max_concurrency=max_concurrency,
            max_attempts=max_attempts,
        )

    spec = checked(build)
    return DeployRequest(name, spec, None if image else path.resolve())


def _check_egress(chosen: Any, asked: DeployRequest) -> None:
    """A platform-only deploy goes only to a provider that enforces it, never silently open."""
    from nexus_cli.errors import Unsupported
    from nexus_cli.providers.base import Capability

    declared = asked.spec.declared
    wanted = asked.spec.network or (declared.network if declared else None)
    if wanted == "platform" and Capability.EGRESS not in chosen.capabilities:
        raise Unsupported(
            f'the {chosen.name} provider does not enforce network = "platform"',
            hint="deploy with the local provider, or with --network public",
        )


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
        int | None,
        typer.Option(
            "--replicas",
            help="Replica count (bounds depend on --env). Left out: nexus.toml's on a first "
            "deploy or when you change it there, else the count the environment runs now.",
        ),
    ] = None,
    cpu: Annotated[str | None, typer.Option("--cpu", help="CPU limit, e.g. 500m or 1.")] = None,
    memory: Annotated[
        str | None, typer.Option("--memory", help="Memory limit, e.g. 512Mi or 1Gi.")
    ] = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency",
            help="Calls one replica takes at once (0: no limit); more wait for a free one. "
            "Left out: nexus.toml's, else what the environment runs with now.",
        ),
    ] = None,
    max_attempts: Annotated[
        int | None,
        typer.Option(
            "--max-attempts",
            help="Runs of an async task cut short (no answer, timeout) before it is dead.",
        ),
    ] = None,
    path: Annotated[Path, typer.Option("--path", help="Project directory.")] = Path("."),
    image: Annotated[
        str | None,
        typer.Option("--image", help="Deploy this prebuilt image instead of building the project."),
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Version label (default: version in nexus.toml).")
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="Egress: public (the platform and the internet) or platform (the platform "
            "endpoint only). Left out: nexus.toml's network, else what the environment runs.",
        ),
    ] = None,
    isolation: Annotated[
        str | None,
        typer.Option(
            "--isolation",
            help="shared (replicas take every session) or session (a fresh replica per "
            "session id, destroyed when idle or too old). Left out: nexus.toml's isolation, "
            "else what the environment runs.",
        ),
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
    from nexus.ai.spec import (
        Cpu,
        Memory,
        check_env,
        check_isolation,
        check_max_attempts,
        check_max_concurrency,
        check_network,
    )
    from nexus_cli import output
    from nexus_cli.context import provider, use_json
    from nexus_cli.errors import UsageError, checked

    use_json(json_)
    checked(check_env, env)
    flags: dict[str, Any] = {
        "replicas": replicas,
        "cpu": None if cpu is None else checked(Cpu.parse, cpu),
        "memory": None if memory is None else checked(Memory.parse, memory),
        "label": label,
        "max_concurrency": None
        if max_concurrency is None
        else checked(check_max_concurrency, max_concurrency),
        "max_attempts": None if max_attempts is None else checked(check_max_attempts, max_attempts),
        "network": None if network is None else checked(check_network, network),
        "isolation": None if isolation is None else checked(check_isolation, isolation),
    }
    if watch and image is not None:
        raise UsageError("--watch needs a project to watch", hint="leave out --image")
    first = request(path, env, name=name, image=image, **flags)
    chosen = provider(env, path)
    _check_egress(chosen, first)
    if dry_run:
        output.emit(chosen.render(first), _documents)
        return
    with output.progress(f"Deploying {first.name} to {env}") as update:
        result = chosen.deploy(first, update)
    from nexus_cli import completion

    completion.add_agent(first.name)
    completion.remember_versions(
        first.name, [result.version.label, f"r{result.version.revision}"], merge=True
    )
    if watch and output.json_mode():  # a stream of results: one JSON line each
        output.records(iter([result.model_dump(mode="json")]), str)
    else:
        output.emit(result, _render)
    if watch:
        from nexus_cli.commands.agent._watch import redeploy_on_change

        # nexus.toml is read again before each deploy: an edit to it is a change too
        again = lambda: request(path, env, name=first.name, **flags)  # noqa: E731
        redeploy_on_change(chosen, first, again, _render)
