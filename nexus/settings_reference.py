"""docs/configuration.md, written from the code: every ``NEXUS_*`` variable of
:class:`~nexus.settings.Settings`, the variables a replica is given, and the files
of :class:`~nexus.home.HomePaths`. ``scripts/gen_docs.py`` writes and checks it.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from nexus.home import HomePaths
from nexus.settings import Settings

# Set by the platform inside each replica, read by the runtime server and the SDK.
REPLICA_VARIABLES: tuple[tuple[str, str], ...] = (
    ("PORT", "Port the runtime server listens on (default 8080)."),
    ("NEXUS_HOST", "Address the runtime server binds (default 0.0.0.0)."),
    ("NEXUS_ENTRYPOINT", "The agent class, `module:Class` (from nexus.toml)."),
    ("NEXUS_SHUTDOWN_GRACE", "Seconds in-flight calls get to finish on SIGTERM (default 5)."),
    ("NEXUS_SECRETS_FILE", "A JSON file of the agent's secrets, loaded into `os.environ`."),
    ("NEXUS_SECRETS_DIR", "A folder of secrets, one file per variable (swarm)."),
    ("NEXUS_PLATFORM_FILE", "The platform file: workload token and platform URL, renewed."),
    ("NEXUS_LOG_LEVEL", "The agent's log level (else nexus.toml's `log_level`, else INFO)."),
    ("NEXUS_AGENT_NAME", "The agent's name."),
    ("NEXUS_ENV", "The environment the replica serves."),
    ("NEXUS_VERSION", "The version label the replica runs."),
    ("NEXUS_REVISION", "The revision number the replica runs."),
    ("NEXUS_GATEWAY_URL", "The model gateway `self.llm` calls (else the platform file's)."),
    (
        "OPENAI_BASE_URL, OPENAI_API_KEY",
        "Set in the agent's process at start: the gateway and the workload token.",
    ),
    (
        "ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY",
        "Likewise for Anthropic's clients (left alone when the agent's secrets set a key).",
    ),
    ("NEXUS_WORKLOAD_TOKEN", "The replica's token for the model gateway."),
    ("NEXUS_MODEL", "The model `self.llm` uses when a call names none."),
)


def _shown(value: Any) -> str:
    if value in (None, MISSING):
        return "-"
    if isinstance(value, bool):
        return "`on`" if value else "`off`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def reference() -> str:
    """docs/configuration.md: every variable, from the fields above."""
    lines = [
        "# Configuration",
        "",
        "Every `NEXUS_*` environment variable. This file is generated from",
        "`nexus/settings.py` (the variables), `nexus/home.py` (the files) and",
        "`nexus/settings_reference.py` (a replica's variables) by `bash scripts/gen-docs`",
        "(checked by the test suite); edit the documentation there, not this file.",
        "",
        "## The CLI, the providers and the emulator",
        "",
        "| variable | default | what it does |",
        "|---|---|---|",
    ]
    for f in fields(Settings):
        meta = f.metadata
        default = meta["default_doc"]
        if default is None:
            default = _shown(f.default)
        lines.append(f"| `{meta['env']}` | {default} | {meta['doc']} |")
    lines += [
        "",
        "## Provider options",
        "",
        "Each option of a provider plugin (`nexus ai provider list` shows them) can be",
        "given as `NEXUS_<PROVIDER>_<OPTION>`, e.g. `NEXUS_SWARM_REGISTRY`, when no",
        "profile or flag gives it.",
        "",
        "## Inside a replica",
        "",
        "Set by the platform for the runtime server and the SDK; an agent reads them",
        "like any environment variable.",
        "",
        "| variable | what it is |",
        "|---|---|",
        *(f"| `{name}` | {doc} |" for name, doc in REPLICA_VARIABLES),
        "",
        "## Files under `NEXUS_HOME`",
        "",
        "| file | what |",
        "|---|---|",
    ]
    for name in (n for n in vars(HomePaths) if isinstance(vars(HomePaths)[n], property)):
        path = getattr(HomePaths(Path("$NEXUS_HOME")), name)
        doc = vars(HomePaths)[name].__doc__ or ""
        lines.append(f"| `{path.name}` | {doc} (`HomePaths.{name}`) |")
    return "\n".join(lines) + "\n"
