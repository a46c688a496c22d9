"""``nexus ai agent init NAME``: scaffold a new agent project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nexus_cli.commands._options import JsonOpt

NEXUS_TOML = """\
[agent]
name = "{name}"
entrypoint = "{entrypoint}"
version = "0.1.0"
dependencies = [{dependencies}]

[environments.development]
replicas = 1
cpu = "500m"
memory = "512Mi"

[environments.staging]
replicas = 1
cpu = "1000m"
memory = "1Gi"

[environments.production]
replicas = 2
cpu = "1000m"
memory = "1Gi"
"""

README_MD = """\
# {name}

A Nexus agent from the `{template}` template: {about}. `agent.py` holds the
agent; `nexus.toml` names its entrypoint (`{entrypoint}`), lists its
dependencies and sets the resources of each environment.
{model}
```bash
nexus ai agent dev                     # runs it, reloads on every save
nexus ai agent deploy {name} --env development
nexus ai agent run {name} "Hello"
```
"""

MODEL_NOTE = """
Model calls go through the platform's gateway (the replica's OPENAI_* and
ANTHROPIC_* variables point at it). The model is the gateway's offline model
`nexus-offline` unless `AGENT_MODEL` names another one the gateway routes
(`nexus ai gateway model add …`).
"""

GITIGNORE = """\
__pycache__/
*.pyc
.venv/
.env
"""


def class_name(name: str) -> str:
    """``my-agent`` -> ``MyAgent``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("-") if part) or "Agent"


def init(
    name: Annotated[str, typer.Argument(help="Agent name, e.g. my-agent.")],
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Directory to create (default: ./NAME)."),
    ] = None,
    template: Annotated[
        str,
        typer.Option(
            "--template",
            "-t",
            help="plain, langgraph, openai-agents, crewai, adk, claude or agentcore.",
        ),
    ] = "plain",
    json_: JsonOpt = False,
) -> None:
    """Create a new agent project: nexus.toml, agent.py, README.md, .gitignore."""
    from nexus.ai.spec import SpecError, check_name
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_cli.errors import UsageError
    from nexus_cli.templates import TEMPLATES

    use_json(json_)
    chosen = TEMPLATES.get(template)
    if chosen is None:
        raise UsageError(
            f"no template {template!r}",
            hint="templates: " + ", ".join(TEMPLATES),
        )
    try:
        check_name(name)
    except SpecError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None
    target = path if path is not None else Path(name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists and is not empty",
            hint="pick another name or --path, or remove that directory first",
        )
    cls = class_name(name)
    entrypoint = chosen.entrypoint.format(cls=cls)
    deps = ", ".join(f'"{d}"' for d in chosen.dependencies)
    files = {
        "nexus.toml": NEXUS_TOML.format(name=name, entrypoint=entrypoint, dependencies=deps),
        "agent.py": chosen.agent_py.format(name=name, cls=cls, pkg=name.replace("-", "_")),
        "README.md": README_MD.format(
            name=name,
            template=template,
            about=chosen.about,
            entrypoint=entrypoint,
            model=MODEL_NOTE if chosen.model else "",
        ),
        ".gitignore": GITIGNORE,
    }
    target.mkdir(parents=True, exist_ok=True)
    for filename, content in files.items():
        (target / filename).write_text(content, encoding="utf-8")

    result = {
        "name": name,
        "path": str(target.resolve()),
        "files": sorted(files),
        "template": template,
    }
    if output.json_mode():
        output.print_json(result)
        return
    output.success(f"Created agent project {name} in {target}")
    output.text(
        "\nNext steps:\n"
        f"  cd {target} && nexus ai agent deploy {name} --env development\n"
        f'  nexus ai agent run {name} "Hello"'
    )
