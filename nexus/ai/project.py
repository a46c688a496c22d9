"""The project file, ``nexus.toml``: read once per version and checked against the rules.

Every error names the file, the line and what is wrong (:class:`ProjectFileError`).
The rules themselves (names, environments, resources, egress, isolation) are
:mod:`nexus.ai.spec`'s. Standard library only, like the rest of the SDK.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus.ai.spec import (
    ENTRYPOINT_RE,
    ENVIRONMENTS,
    LOG_LEVELS,
    Cpu,
    Memory,
    SpecError,
    check_isolation,
    check_max_attempts,
    check_max_concurrency,
    check_name,
    check_network,
    check_replicas,
)

PROJECT_FILE = "nexus.toml"


@dataclass(frozen=True)
class EnvSettings:
    """One ``[environments.ENV]`` table of the project file, checked and parsed."""

    replicas: int | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    max_concurrency: int | None = None
    max_attempts: int | None = None
    network: str | None = None  # egress: "public" or "platform"
    isolation: str | None = None  # "shared" or "session"


@dataclass
class Project:
    name: str
    entrypoint: str
    version: str | None = None
    dependencies: list[str] = field(default_factory=list)
    python: str | None = None
    base_image: str | None = None
    environments: dict[str, EnvSettings] = field(default_factory=dict)
    gateway: dict[str, Any] | None = None  # [gateway]: models and quota (nexus_api checks them)
    root: Path = Path(".")
    max_concurrency: int | None = None  # [agent]'s, for environments that set none
    max_attempts: int | None = None
    network: str | None = None  # [agent]'s egress, for environments that set none
    isolation: str | None = None  # [agent]'s, for environments that set none

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entrypoint": self.entrypoint,
            "version": self.version,
            "dependencies": list(self.dependencies),
            "python": self.python,
            "base_image": self.base_image,
        }


class ProjectFileError(SpecError):
    def __init__(self, path: Path, line: int | None, message: str, hint: str | None = None):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}", hint)
        self.path = path
        self.line = line


def find_project(start: Path) -> Path:
    """The project file in ``start`` (a directory or the file itself)."""
    path = start / PROJECT_FILE if start.is_dir() else start
    if not path.is_file():
        raise SpecError(
            f"no {PROJECT_FILE} in {start.resolve()}",
            hint="run this in an agent project, pass --path, or create one with "
            "`nexus ai agent init NAME`",
        )
    return path


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.M)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def read_project(path: Path) -> tuple[str, dict[str, Any]]:
    """The text and the TOML data of a project file, read once per version of the file.

    Every reader in one process (the deploy, the provider selection) shares the one
    read; a changed file (``deploy --watch``) is read again.
    """
    stat = path.stat()
    return _read_project(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


class BadToml(ValueError):
    """A project file that is not TOML; ``line`` is where the parser stopped, if it said."""

    def __init__(self, line: int | None, detail: str) -> None:
        super().__init__(detail)
        self.line = line
        self.detail = detail


@functools.lru_cache(maxsize=8)
def _read_project(path: str, _mtime_ns: int, _size: int) -> tuple[str, dict[str, Any]]:
    import tomllib  # here, not at the top: every CLI command imports this module

    text = Path(path).read_text(encoding="utf-8")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise BadToml(int(m.group(1)) if m else None, str(exc)) from None


def load_project(start: Path) -> Project:
    """Read and check a project file; errors name the file, the line and what is wrong."""
    path = find_project(start)
    try:
        text, data = read_project(path)
    except BadToml as exc:
        raise ProjectFileError(path, exc.line, f"not valid TOML: {exc.detail}") from None

    def fail(key: str, message: str, hint: str | None = None) -> ProjectFileError:
        return ProjectFileError(path, _line_of(text, key), message, hint)

    agent = data.get("agent")
    if not isinstance(agent, dict):
        raise ProjectFileError(
            path, None, "missing the [agent] table", "add [agent] with name and entrypoint"
        )

    def checked(key: str, check: Callable[[Any], Any]) -> Any:
        """``[agent]``'s ``key`` passed through a rule (None when unset); its error, located."""
        if agent.get(key) is None:
            return None
        try:
            return check(agent[key])
        except SpecError as exc:
            raise fail(key, exc.message, exc.hint) from None

    for key in ("name", "entrypoint"):
        if not isinstance(agent.get(key), str):
            raise fail(key, f'[agent] needs {key} = "..." (a string)')
    checked("name", check_name)
    if not ENTRYPOINT_RE.match(agent["entrypoint"]):
        raise fail(
            "entrypoint",
            f"entrypoint {agent['entrypoint']!r} must be module:Class",
            'e.g. entrypoint = "agent:MyAgent"',
        )
    version = agent.get("version")
    if version is not None and not (
        isinstance(version, str) and re.match(r"^[\w.+-]{1,64}$", version)
    ):
        raise fail("version", 'version must be a string like "1.2.3"')
    deps = agent.get("dependencies", [])
    if not (isinstance(deps, list) and all(isinstance(d, str) and d.strip() for d in deps)):
        raise fail("dependencies", "dependencies must be a list of requirement strings")
    python = agent.get("python")
    if python is not None and not isinstance(python, str):
        raise fail("python", 'python must be a string like "3.11"')
    base_image = agent.get("base_image")
    if base_image is not None and not (isinstance(base_image, str) and base_image.strip()):
        raise fail("base_image", 'base_image must be an image reference like "python:3.11-slim"')
    network = checked("network", check_network)
    isolation = checked("isolation", check_isolation)
    log_level = agent.get("log_level")  # read by the replica itself (nexus.ai.agents._log)
    if log_level is not None and str(log_level).lower() not in LOG_LEVELS:
        raise fail("log_level", "log_level must be one of: " + ", ".join(LOG_LEVELS))

    # [agent] max_concurrency / max_attempts: for every environment without its own
    max_concurrency = checked("max_concurrency", check_max_concurrency)
    max_attempts = checked("max_attempts", check_max_attempts)

    envs: dict[str, EnvSettings] = {}
    raw_envs = data.get("environments", {})
    if not isinstance(raw_envs, dict):
        raise fail("environments", "[environments] must be a table of environment tables")
    for env, settings in raw_envs.items():
        if env not in ENVIRONMENTS:
            raise ProjectFileError(
                path,
                _line_of(text, f"[environments.{env}]".strip("[]")) or None,
                f"unknown environment [environments.{env}]",
                "use one of: " + ", ".join(ENVIRONMENTS),
            )
        if not isinstance(settings, dict):
            raise fail(env, f"[environments.{env}] must be a table")
        replicas, cpu, memory = (settings.get(k) for k in ("replicas", "cpu", "memory"))
        try:
            if replicas is not None:
                if not isinstance(replicas, int):
                    raise SpecError("replicas must be a whole number")
                check_replicas(env, replicas)
            limit, attempts = (settings.get(k) for k in ("max_concurrency", "max_attempts"))
            es = EnvSettings(
                replicas,
                None if cpu is None else Cpu.parse(str(cpu)),
                None if memory is None else Memory.parse(str(memory)),
                None if limit is None else check_max_concurrency(limit),
                None if attempts is None else check_max_attempts(attempts),
                None if settings.get("network") is None else check_network(settings["network"]),
                None
                if settings.get("isolation") is None
                else check_isolation(settings["isolation"]),
            )
        except SpecError as exc:
            bad = (
                exc.message.split(" ", 1)[0]
                if exc.message.startswith(("max_", "network", "isolation"))
                else "replicas"
                if "replica" in exc.message
                else "cpu"
                if "CPU" in exc.message
                else "memory"
            )
            raise ProjectFileError(
                path, _line_of(text, bad), f"[environments.{env}] {exc.message}", exc.hint
            ) from None
        envs[env] = es
    gateway = data.get("gateway")
    if gateway is not None:
        _check_gateway(gateway, fail)
    return Project(
        name=agent["name"],
        entrypoint=agent["entrypoint"],
        version=version,
        dependencies=[d.strip() for d in deps],
        python=python,
        base_image=base_image,
        environments=envs,
        gateway=gateway,
        root=path.parent,
        max_concurrency=max_concurrency,
        max_attempts=max_attempts,
        network=network,
        isolation=isolation,
    )


GATEWAY_MODEL_KEYS = ("provider", "url", "upstream_model", "region", "credential", "fallback",
                      "timeout")  # fmt: skip


def _check_gateway(table: Any, fail: Any) -> None:
    """The ``[gateway]`` table's shape: ``[gateway.models.NAME]`` tables with known keys and
    an ``upstream_model``, a ``[gateway.quota]`` table. The values are checked where the
    deploy is built (``nexus_api.gateway.DeclaredGateway``)."""
    if not isinstance(table, dict):
        raise fail("gateway", "[gateway] must be a table")
    unknown = sorted(set(table) - {"models", "quota"})
    if unknown:
        raise fail(unknown[0], f"[gateway] has no {unknown[0]!r}", "it takes models and quota")
    models = table.get("models", {})
    if not isinstance(models, dict):
        raise fail("models", "[gateway.models] must be a table of model tables")
    for name, route in models.items():
        where = f"[gateway.models.{name}]"
        if not isinstance(route, dict):
            raise fail(name, f"{where} must be a table")
        extra = sorted(set(route) - set(GATEWAY_MODEL_KEYS))
        if extra:
            raise fail(extra[0], f"{where} has no {extra[0]!r}",
                       "keys: " + ", ".join(GATEWAY_MODEL_KEYS))  # fmt: skip
        if not isinstance(route.get("upstream_model"), str):
            raise fail(name, f'{where} needs upstream_model = "..." (a string)')
    if not isinstance(table.get("quota", {}), dict):
        raise fail("quota", "[gateway.quota] must be a table")
