"""``nexus ai agent init NAME``: scaffold a new agent project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nexus_cli.commands._options import JsonOpt

NEXUS_TOML = """\
[agent]
name = "{name}"
entrypoint = "agent:{cls}"
version = "0.1.0"
dependencies = []

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

AGENT_PY = '''\
"""The {name} agent."""

from nexus.ai.agents import Agent


class {cls}(Agent):
    async def process(self, input: str):
        # self.context carries the request's context, e.g. {{"user_id": "123"}}.
        user = self.context.user_id or "there"
        return f"Hello {{user}}, you said: {{input}}"
'''

README_MD = """\
# {name}

A Nexus agent. `agent.py` holds `{cls}`; `nexus.toml` names it and sets the
resources of each environment.

```bash
nexus ai agent deploy {name} --env development
nexus ai agent run {name} "Hello"
```
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
    json_: JsonOpt = False,
) -> None:
    """Create a new agent project: nexus.toml, agent.py, README.md, .gitignore."""
    from nexus.ai.spec import SpecError, check_name
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_cli.errors import UsageError

    use_json(json_)
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
    files = {
        "nexus.toml": NEXUS_TOML.format(name=name, cls=cls),
        "agent.py": AGENT_PY.format(name=name, cls=cls),
        "README.md": README_MD.format(name=name, cls=cls),
        ".gitignore": GITIGNORE,
    }
    target.mkdir(parents=True, exist_ok=True)
    for filename, content in files.items():
        (target / filename).write_text(content, encoding="utf-8")

    result = {"name": name, "path": str(target.resolve()), "files": sorted(files)}
    if output.json_mode():
        output.print_json(result)
        return
    output.success(f"Created agent project {name} in {target}")
    output.text(
        "\nNext steps:\n"
        f"  cd {target} && nexus ai agent deploy {name} --env development\n"
        f'  nexus ai agent run {name} "Hello"'
    )
