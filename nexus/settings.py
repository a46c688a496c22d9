"""Every ``NEXUS_*`` variable the CLI, the providers and the emulator read, in one object.

``Settings.load()`` reads the environment when called (never at import) and
checks each value; a bad one raises :class:`SettingsError` naming the variable.
Each field's metadata is its documentation: ``nexus.settings_reference`` turns
it into docs/configuration.md. :class:`HomePaths` (``nexus.home``, re-exported
here) says where each file lives under ``NEXUS_HOME``.

Standard library only, and cheap to import: the CLI loads it on start-up.
Variables an agent replica reads (``PORT``, ``NEXUS_ENTRYPOINT``, …) stay with
the runtime server in ``nexus.ai.agents.serve``; the documentation lists them
from ``nexus.settings_reference.REPLICA_VARIABLES``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nexus.ai.spec import DEFAULT_EMULATOR_PORT, SpecError
from nexus.home import HomePaths

__all__ = ["HomePaths", "Settings", "SettingsError"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(SpecError):
    """A ``NEXUS_*`` variable whose value cannot be used."""


def _var(
    name: str,
    doc: str,
    default_doc: str | None = None,
    choices: tuple[str, ...] = (),
    also: str | None = None,
) -> dict[str, Any]:
    """A variable's description; ``also`` is a standard name read when ``name`` is unset."""
    return {"env": name, "doc": doc, "default_doc": default_doc, "choices": choices, "also": also}


def _default_home(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nexus"


@dataclass(frozen=True)
class Settings:
    """The platform tools' configuration, from ``NEXUS_*`` variables (see the field docs)."""

    home: Path = field(
        default=Path(),
        metadata=_var(
            "NEXUS_HOME",
            "Directory of the local emulator's state: database, token, logs, builds.",
            "`$XDG_DATA_HOME/nexus`, else `~/.local/share/nexus`",
        ),
    )
    emulator_port: int = field(
        default=DEFAULT_EMULATOR_PORT,
        metadata=_var("NEXUS_EMULATOR_PORT", "Port of the local emulator on 127.0.0.1."),
    )
    runtime: str = field(
        default="auto",
        metadata=_var(
            "NEXUS_RUNTIME",
            "How the emulator runs replicas: `docker`, `process`, or `auto` "
            "(Docker when an engine answers, else local processes).",
        ),
    )
    replica_route: str = field(
        default="auto",
        metadata=_var(
            "NEXUS_REPLICA_ROUTE",
            "How the emulator calls Docker replicas: `auto` (at the container's address on "
            "the agents' network when it answers there from the host, else through the port "
            "published on 127.0.0.1; chosen once per replica) or `published` (always the "
            "published port).",
            choices=("auto", "published"),
        ),
    )
    replica_timeout: float = field(
        default=60.0,
        metadata=_var("NEXUS_REPLICA_TIMEOUT", "Seconds a new replica has to answer `/ping`."),
    )
    replica_wait: float = field(
        default=30.0,
        metadata=_var(
            "NEXUS_REPLICA_WAIT",
            "Seconds a run or stream waits for a healthy replica while an environment's "
            "replicas start or are replaced (then HTTP 503 with `Retry-After`).",
        ),
    )
    session_idle: float = field(
        default=900.0,
        metadata=_var(
            "NEXUS_SESSION_IDLE",
            "Seconds a session's own replica (`deploy --isolation session`) lives without a "
            "call before it is destroyed.",
        ),
    )
    session_lifetime: float = field(
        default=8 * 3600.0,
        metadata=_var(
            "NEXUS_SESSION_LIFETIME",
            "Seconds a session's own replica lives at most, called or not.",
        ),
    )
    session_spare: bool = field(
        default=True,
        metadata=_var(
            "NEXUS_SESSION_SPARE",
            "Keep one started, health-checked replica ready per session-isolated environment "
            "for the next new session (off: each new session waits for its replica to start).",
        ),
    )
    health_interval: float = field(
        default=2.0,
        metadata=_var(
            "NEXUS_HEALTH_INTERVAL", "Seconds between health checks of running replicas."
        ),
    )
    autoscale_window: float = field(
        default=10.0,
        metadata=_var(
            "NEXUS_AUTOSCALE_WINDOW", "Seconds of load the autoscaler averages before a step."
        ),
    )
    max_body: int = field(
        default=8 * 2**20,
        metadata=_var(
            "NEXUS_MAX_BODY",
            "Largest request body, in bytes, the emulator's run, stream and task routes "
            "accept (larger: HTTP 413). A replica itself takes up to 10 MiB.",
            "`8388608` (8 MiB)",
        ),
    )
    task_attempts: int = field(
        default=3,
        metadata=_var(
            "NEXUS_TASK_ATTEMPTS",
            "Runs of a task that get no answer (the replica died, the task's timeout passed, "
            "the emulator stopped) before the task is dead (`task list --status dead`).",
        ),
    )
    log_level: str = field(
        default="INFO",
        metadata=_var(
            "NEXUS_LOG_LEVEL",
            "The emulator's log level (DEBUG, INFO, WARNING …); inside a replica, the agent's.",
        ),
    )
    workload_ttl: float = field(
        default=900.0,
        metadata=_var(
            "NEXUS_WORKLOAD_TTL",
            "Seconds a replica's workload token lives (the emulator renews it before).",
        ),
    )
    platform_port: int = field(
        default=0,
        metadata=_var(
            "NEXUS_PLATFORM_PORT",
            "Port of the platform listener containers reach on the Docker bridge.",
            "`0`: any free port",
        ),
    )
    gateway_fixtures: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_GATEWAY_FIXTURES",
            "The offline model's scripted answers (a JSON list of `match`/`answer`).",
            "`$NEXUS_HOME/gateway/fixtures.json`",
        ),
    )
    otlp_endpoint: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_OTLP_ENDPOINT",
            "An external OpenTelemetry collector's OTLP/HTTP base URL (e.g. "
            "`http://127.0.0.1:4318`): the emulator forwards every span it stores, its own "
            "and the agents', to `<url>/v1/traces` as OTLP/JSON. Unset, OpenTelemetry's own "
            "`OTEL_EXPORTER_OTLP_ENDPOINT` is read instead (ignored when it is no http(s) URL).",
            "none: spans stay in the emulator",
            also="OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
    )
    otlp_headers: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_OTLP_HEADERS",
            "Headers sent with each forwarded export, `name=value` pairs separated by commas "
            "(as `OTEL_EXPORTER_OTLP_HEADERS`, read instead when this is unset), e.g. "
            "`authorization=Bearer abc`.",
            also="OTEL_EXPORTER_OTLP_HEADERS",
        ),
    )
    base_image: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_BASE_IMAGE",
            "Base image of agent images; overrides `base_image` in nexus.toml.",
            "`python:3.11-slim` when present, else the local Debian base image",
        ),
    )
    debian_mirror: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_DEBIAN_MIRROR",
            "Debian mirror used to build the local base image.",
            "debootstrap's default",
        ),
    )
    keyring: bool = field(
        default=True,
        metadata=_var(
            "NEXUS_KEYRING",
            "`0`/`off` keeps the secrets key and the admin token out of the OS keyring "
            "(in `$NEXUS_HOME/secret.key` and `$NEXUS_HOME/token`, mode 0600).",
        ),
    )
    url: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_URL",
            "Base URL of the Nexus API for `nexus.ai.Client`.",
            "the local emulator, `http://127.0.0.1:$NEXUS_EMULATOR_PORT`",
        ),
    )
    token: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_TOKEN",
            "Bearer token for `nexus.ai.Client`.",
            "the admin token: the file `$NEXUS_HOME/token`, else the OS keyring",
        ),
    )
    debug: bool = field(
        default=False,
        metadata=_var("NEXUS_DEBUG", "`1` shows tracebacks of CLI errors, like `--debug`."),
    )
    provider: str | None = field(
        default=None,
        metadata=_var("NEXUS_PROVIDER", "The provider the CLI uses, like `--provider`.", "`local`"),
    )
    profile: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_PROFILE", "The profile the CLI uses, like `--profile`.", "the current"
        ),
    )
    config_dir: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_CONFIG_DIR",
            "The CLI's configuration directory (`profiles.json`).",
            "the user config directory, e.g. `~/.config/nexus`",
        ),
    )
    providers: str | None = field(
        default=None,
        metadata=_var(
            "NEXUS_PROVIDERS",
            "Comma-separated provider names the CLI may load; the others stay disabled.",
            "every installed provider",
        ),
    )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: ``os.environ``, read now)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name, "").strip()
            if not raw and f.metadata["also"]:
                name = f.metadata["also"]
                raw = env.get(name, "").strip()
                try:  # another tool's variable: a value this one cannot use is not its error
                    values[f.name] = _convert(name, raw, f.default) if raw else None
                except SettingsError:
                    raw = ""
                if not raw:
                    values.pop(f.name, None)
            elif raw:
                values[f.name] = _convert(name, raw, f.default)
            choices = f.metadata["choices"]
            if raw and choices and raw not in choices:
                raise SettingsError(
                    f"{name}={raw!r} is not one of {', '.join(choices)}",
                    hint=f"e.g. {name}={choices[0]}, or unset it",
                )
        if "home" not in values:
            values["home"] = _default_home(env)
        values["home"] = Path(values["home"]).expanduser()
        return cls(**values)

    @property
    def paths(self) -> HomePaths:
        return HomePaths(self.home)


def _convert(name: str, raw: str, default: Any) -> Any:
    if name.endswith("_PORT"):
        try:
            port = int(raw)
        except ValueError:
            port = -1
        if not (0 if default == 0 else 1) <= port < 65536:
            raise SettingsError(
                f"{name}={raw!r} is not a port number",
                hint=f"set it to a free port such as 8471, or unset it to use {default}",
            )
        return port
    if name.endswith("_ENDPOINT") and not raw.startswith(("http://", "https://")):
        raise SettingsError(
            f"{name}={raw!r} is not an http:// or https:// URL",
            hint=f"e.g. {name}=http://127.0.0.1:4318",
        )
    if name.endswith("_HEADERS") and not all("=" in pair for pair in raw.split(",")):
        raise SettingsError(
            f"{name}={raw!r} is not name=value pairs separated by commas",
            hint=f"e.g. {name}=authorization=Bearer abc",
        )
    if isinstance(default, bool):  # a switch: only a clear word turns it from its default
        return raw.lower() not in _FALSE if default else raw.lower() in _TRUE
    if isinstance(default, int):
        try:
            number = int(raw)
        except ValueError:
            number = -1
        if number < 1:
            raise SettingsError(
                f"{name}={raw!r} is not a positive whole number", hint=f"e.g. {name}={default}"
            )
        return number
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(
                f"{name}={raw!r} is not a number of seconds", hint=f"e.g. {name}={default:g}"
            ) from None
    return raw


def __getattr__(name: str) -> Any:
    """The documentation's names, which lived here once (now ``nexus.settings_reference``)."""
    if name in ("reference", "REPLICA_VARIABLES"):
        from nexus import settings_reference

        return getattr(settings_reference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
