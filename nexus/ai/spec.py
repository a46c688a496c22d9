"""The platform's shared rules: agent names, environments, resources, egress, isolation.

Standard library only: the CLI, the emulator and every provider check input
with these same functions, so a rule is written once. The project file
(``nexus.toml``) is read and checked against them in :mod:`nexus.ai.project`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
    from decimal import Decimal

    m = _CPU_RE.match(value.strip())
    if not m:
        raise SpecError(
            f"invalid CPU value {value!r}",
            hint="use millicores like 500m or 1000m, or cores like 0.5 or 2",
        )
    # decimals, not floats: the bound holds to the last digit (the API document's pattern
    # says the same, emulator/nexus_emulator/api/size_rules.py)
    nano = int(m.group(1)) * 1_000_000 if m.group(1) else int(Decimal(m.group(2)) * 10**9)
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
    from decimal import Decimal

    m = _MEM_RE.match(value.strip())
    if not m:
        raise SpecError(
            f"invalid memory value {value!r}",
            hint="use a size like 256Mi, 1Gi or 1G",
        )
    size = int(Decimal(m.group(1)) * _MEM_UNITS[m.group(2)])
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


# ---------------------------------------------------------------- local platform

DEFAULT_EMULATOR_PORT = 8470


# The project file's reader lived here once; its names still resolve from this module.
_MOVED_TO_PROJECT = frozenset(
    {
        "PROJECT_FILE",
        "EnvSettings",
        "Project",
        "ProjectFileError",
        "find_project",
        "read_project",
        "BadToml",
        "load_project",
        "GATEWAY_MODEL_KEYS",
    }
)


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_PROJECT:
        from nexus.ai import project

        return getattr(project, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
