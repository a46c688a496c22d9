"""The platform's shared rules: agent names, environments, resources, the project file.

Standard library only: the CLI, the emulator and every provider check input
with these same functions, so a rule is written once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_FILE = "nexus.toml"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,46}[a-z0-9]$|^[a-z]$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
ENTRYPOINT_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# environment -> (min replicas, max replicas, default replicas)
ENVIRONMENTS: dict[str, tuple[int, int, int]] = {
    "development": (1, 1, 1),
    "staging": (1, 3, 1),
    "production": (2, 10, 2),
}
DEFAULT_ENV = "development"


class SpecError(ValueError):
    """Input that breaks a platform rule. ``hint`` says what to do instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise SpecError(
            f"invalid agent name {name!r}: use 1-48 lowercase letters, digits and dashes, "
            "starting with a letter and not ending with a dash",
            hint="e.g. my-agent",
        )
    return name


def check_secret_name(name: str) -> str:
    """A secret's name: an environment variable's, not one the platform sets."""
    if not SECRET_NAME_RE.match(name):
        raise SpecError(
            f"invalid secret name {name!r}: use letters, digits and _, not starting with a digit",
            hint="e.g. EXTERNAL_API_KEY",
        )
    if name.upper().startswith("NEXUS_"):
        raise SpecError(f"{name} is reserved: NEXUS_* variables are set by the platform")
    return name


def check_env(env: str) -> str:
    if env not in ENVIRONMENTS:
        raise SpecError(
            f"unknown environment {env!r}",
            hint="use one of: " + ", ".join(ENVIRONMENTS),
        )
    return env


def check_replicas(env: str, replicas: int | None) -> int:
    low, high, default = ENVIRONMENTS[check_env(env)]
    if replicas is None:
        return default
    if not low <= replicas <= high:
        bounds = f"exactly {low}" if low == high else f"{low}-{high}"
        raise SpecError(
            f"{replicas} replicas is out of bounds for {env}: it allows {bounds}",
            hint=f"pass --replicas within {low}..{high}, or deploy to another --env",
        )
    return replicas


# calls one replica takes at once (0: no limit) and runs of a task cut short before it is dead
MAX_CONCURRENCY = 1000
MAX_ATTEMPTS = 20


def check_max_concurrency(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CONCURRENCY:
        raise SpecError(
            f"max_concurrency {value!r} is out of bounds: use 0 (no limit) to {MAX_CONCURRENCY}",
            hint="the calls one replica takes at once, e.g. --max-concurrency 4",
        )
    return value


def check_max_attempts(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise SpecError(
            f"max_attempts {value!r} is out of bounds: use 1 to {MAX_ATTEMPTS}",
            hint="the runs of an async task cut short before it is dead, e.g. --max-attempts 5",
        )
    return value


# Egress per deployment: "public" reaches the platform endpoint and the internet,
# "platform" the platform endpoint only (enforced by the runtime where it can be).
NETWORKS = ("public", "platform")
DEFAULT_NETWORK = "public"
NETWORK_HINT = (
    'network = "public" (the platform and the internet) or "platform" (the platform only)'
)


def check_network(value: object) -> str:
    if value not in NETWORKS:
        raise SpecError(f"network {value!r} is not one of: {', '.join(NETWORKS)}", NETWORK_HINT)
    return str(value)


# Isolation per deployment: "shared" replicas take every caller's calls; "session" gives
# each new session id a fresh replica of its own, destroyed when the session ends.
ISOLATIONS = ("shared", "session")
DEFAULT_ISOLATION = "shared"
ISOLATION_HINT = (
    'isolation = "shared" (replicas take every session) or "session" (a fresh replica '
    "per session id)"
)


def check_isolation(value: object) -> str:
    if value not in ISOLATIONS:
        raise SpecError(
            f"isolation {value!r} is not one of: {', '.join(ISOLATIONS)}", ISOLATION_HINT
        )
    return str(value)


CPU_PATTERN = r"^(?:(\d+)m|(\d+(?:\.\d+)?))$"
_CPU_RE = re.compile(CPU_PATTERN)


def parse_cpu(value: str) -> int:
    """``1000m``, ``0.5`` or ``2`` -> nano CPUs (Docker's unit)."""
    m = _CPU_RE.match(value.strip())
    if not m:
        raise SpecError(
            f"invalid CPU value {value!r}",
            hint="use millicores like 500m or 1000m, or cores like 0.5 or 2",
        )
    nano = int(m.group(1)) * 1_000_000 if m.group(1) else int(float(m.group(2)) * 1e9)
    if nano < 10_000_000:
        raise SpecError(f"CPU value {value!r} is too small", hint="use at least 10m")
    return nano


_MEM_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
}
MEMORY_PATTERN = r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G|)$"
_MEM_RE = re.compile(MEMORY_PATTERN)


def parse_memory(value: str) -> int:
    """``512Mi``, ``1Gi``, ``1G`` or bytes -> bytes."""
    m = _MEM_RE.match(value.strip())
    if not m:
        raise SpecError(
            f"invalid memory value {value!r}",
            hint="use a size like 256Mi, 1Gi or 1G",
        )
    size = int(float(m.group(1)) * _MEM_UNITS[m.group(2)])
    if size < 32 * 2**20:
        raise SpecError(f"memory value {value!r} is too small", hint="use at least 32Mi")
    return size


@dataclass(frozen=True)
class Cpu:
    """A CPU limit: the text the user gave (``500m``) and what it means in nano CPUs."""

    text: str
    nano_cpus: int

    @classmethod
    def parse(cls, value: str) -> Cpu:
        text = str(value).strip()
        return cls(text, parse_cpu(text))

    @classmethod
    def of_nano(cls, nano_cpus: int) -> Cpu:
        """A limit read back from a runtime, which keeps only the number."""
        whole = nano_cpus % 1_000_000 == 0
        return cls(f"{nano_cpus // 1_000_000}m" if whole else f"{nano_cpus / 1e9:g}", nano_cpus)


@dataclass(frozen=True)
class Memory:
    """A memory limit: the text the user gave (``512Mi``) and what it means in bytes."""

    text: str
    bytes: int

    @classmethod
    def parse(cls, value: str) -> Memory:
        text = str(value).strip()
        return cls(text, parse_memory(text))

    @classmethod
    def of_bytes(cls, size: int) -> Memory:
        """A limit read back from a runtime, which keeps only the number."""
        return cls(f"{size // 2**20}Mi" if size % 2**20 == 0 else str(size), size)


# The limits of a replica when neither the deploy nor the deployment names one.
DEFAULT_CPU = "1000m"
DEFAULT_MEMORY = "512Mi"


def suggest(name: str, known: list[str]) -> str | None:
    import difflib  # here, not at the top: every CLI command imports this module

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


# ---------------------------------------------------------------- project file


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
    for key in ("name", "entrypoint"):
        if not isinstance(agent.get(key), str):
            raise fail(key, f'[agent] needs {key} = "..." (a string)')
    try:
        check_name(agent["name"])
    except SpecError as exc:
        raise fail("name", exc.message, exc.hint) from None
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
    network = agent.get("network")
    if network is not None:
        try:
            check_network(network)
        except SpecError as exc:
            raise fail("network", exc.message, exc.hint) from None
    isolation = agent.get("isolation")
    if isolation is not None:
        try:
            check_isolation(isolation)
        except SpecError as exc:
            raise fail("isolation", exc.message, exc.hint) from None
    log_level = agent.get("log_level")  # read by the replica itself (nexus.ai.agents._log)
    if log_level is not None and str(log_level).lower() not in LOG_LEVELS:
        raise fail("log_level", "log_level must be one of: " + ", ".join(LOG_LEVELS))

    calls: dict[
        str, int
    ] = {}  # [agent] max_concurrency / max_attempts: for every environment without its own
    for key, check in (
        ("max_concurrency", check_max_concurrency),
        ("max_attempts", check_max_attempts),
    ):
        if agent.get(key) is not None:
            try:
                calls[key] = check(agent[key])
            except SpecError as exc:
                raise fail(key, exc.message, exc.hint) from None

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
        **calls,
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


# ---------------------------------------------------------------- local platform

DEFAULT_EMULATOR_PORT = 8470
