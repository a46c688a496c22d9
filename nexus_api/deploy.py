"""The deploy request on the wire, and the one rule that fills in what it leaves out.

A client sends only what the user said: the flags (``replicas``, ``cpu``,
``memory``) and, under ``declared``, what ``nexus.toml`` says for the target
environment. Limits travel as the text the user typed next to the number it
means (``{"text": "500m", "nano_cpus": 500000000}``); a bare string is parsed
on arrival. The emulator fills the gaps with :func:`resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from nexus.ai import spec
from nexus.ai.spec import Cpu, Memory, SpecError
from nexus_api.gateway import DeclaredGateway
from nexus_api.numbers import Whole


def _cpu(value: Any) -> Any:
    return _limit(value, Cpu, "nano_cpus")


def _memory(value: Any) -> Any:
    return _limit(value, Memory, "bytes")


def _limit(value: Any, kind: type[Cpu] | type[Memory], number: str) -> Any:
    """A limit from its text (``"500m"``) or from ``{"text", number}``; the text decides."""
    if value is None or isinstance(value, kind):
        return value
    text = value.get("text") if isinstance(value, dict) else value
    if not isinstance(text, str | int | float):
        raise ValueError(f"give the limit as text, e.g. {'500m' if kind is Cpu else '512Mi'}")
    parsed = kind.parse(str(text))
    given = value.get(number) if isinstance(value, dict) else None
    if given is not None and given != getattr(parsed, number):
        raise SpecError(
            f"{parsed.text!r} is {getattr(parsed, number)} {number}, not {given}",
            hint=f"send the text alone: {{'text': {parsed.text!r}}}",
        )
    return parsed


CpuLimit = Annotated[Cpu, BeforeValidator(_cpu)]
MemoryLimit = Annotated[Memory, BeforeValidator(_memory)]


class Sizing(BaseModel):
    """Replicas and limits as someone asked for them; a field left out was not asked for."""

    replicas: Whole | None = Field(default=None, description="replica count")
    cpu: CpuLimit | None = Field(default=None, description="CPU limit per replica, e.g. 500m or 1")
    memory: MemoryLimit | None = Field(
        default=None, description="memory per replica, e.g. 512Mi or 1Gi"
    )
    max_concurrency: Whole | None = Field(
        default=None,
        ge=0,
        le=spec.MAX_CONCURRENCY,
        description="calls one replica takes at once (0: no limit); more wait for a free "
        "replica, and the replica's /ping answers HealthyBusy while it is full",
    )
    max_attempts: Whole | None = Field(
        default=None,
        ge=1,
        le=spec.MAX_ATTEMPTS,
        description="runs of an async task cut short (no answer, timeout) before it is dead",
    )
    network: Literal["public", "platform"] | None = Field(
        default=None,
        description='egress: "public" (the platform endpoint and the internet) or "platform" '
        "(the platform endpoint only)",
    )
    isolation: Literal["shared", "session"] | None = Field(
        default=None,
        description='"shared" (replicas take every session) or "session" (each new session id '
        "gets a fresh replica of its own until it is idle or too old, then destroyed)",
    )

    def check(self, env: str, where: str = "") -> None:
        try:
            if self.replicas is not None:
                spec.check_replicas(env, self.replicas)
            if self.max_concurrency is not None:
                spec.check_max_concurrency(self.max_concurrency)
            if self.max_attempts is not None:
                spec.check_max_attempts(self.max_attempts)
        except SpecError as exc:
            raise SpecError(where + exc.message, exc.hint) from None


class ProjectSpec(BaseModel):
    """The parts of ``nexus.toml`` a build needs."""

    entrypoint: str | None = None
    dependencies: list[str] = []
    version: str | None = None
    python: str | None = None
    base_image: str | None = None
    mount: str | None = Field(
        default=None,
        description="hot reload (nexus ai agent dev): the project directory on the emulator's "
        "host, run in place and re-imported on change instead of a copy",
    )


class DeploySpec(Sizing):
    """``POST /v1/agents/{name}/deployments``: what to deploy where, as the user asked.

    ``replicas``, ``cpu`` and ``memory`` are the flags; ``declared`` is nexus.toml's
    table for ``env``. Either may be absent: :func:`resolve` decides the rest.
    """

    env: str = spec.DEFAULT_ENV
    declared: Sizing | None = Field(
        default=None, description="nexus.toml's [environments.ENV] values, the declared baseline"
    )
    source_id: str | None = Field(
        default=None, description="an uploaded project (POST /v1/sources)"
    )
    image: str | None = Field(default=None, description="a prebuilt image, instead of source_id")
    project: ProjectSpec | None = None
    gateway: DeclaredGateway | None = Field(
        default=None, description="nexus.toml's [gateway]: the agent's own models and quota"
    )
    label: str | None = Field(default=None, description="version label (default: project version)")
    actor: str | None = Field(default=None, description="who deploys, for the history")

    @classmethod
    def of(cls, **fields: Any) -> DeploySpec:
        """The spec of typed values; a broken platform rule raises its own SpecError."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            for error in exc.errors():
                rule = error.get("ctx", {}).get("error")
                if isinstance(rule, SpecError):
                    raise rule from None
            raise

    @model_validator(mode="after")
    def _in_bounds(self) -> DeploySpec:
        spec.check_env(self.env)
        self.check(self.env)
        if self.declared is not None:
            self.declared.check(self.env, f"nexus.toml [environments.{self.env}]: ")
        return self


# ---------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Size:
    """Replicas and limits, every one decided: what a deployment runs with."""

    replicas: int
    cpu: Cpu
    memory: Memory
    max_concurrency: int = 0  # calls per replica at once; 0: no limit
    max_attempts: int | None = None  # runs of a task cut short before it is dead
    # (None: the platform's default, NEXUS_TASK_ATTEMPTS on the emulator)
    network: str = spec.DEFAULT_NETWORK
    isolation: str = spec.DEFAULT_ISOLATION


def env_defaults(env: str) -> Size:
    """What an environment runs with when nothing else is said."""
    _low, _high, replicas = spec.ENVIRONMENTS[spec.check_env(env)]
    return Size(replicas, Cpu.parse(spec.DEFAULT_CPU), Memory.parse(spec.DEFAULT_MEMORY))


def resolve(asked: DeploySpec, current: Size | None, before: Sizing | None) -> Size:
    """The size a deploy runs with. Each of its fields comes from, first found:

    1. the flag (``--replicas``, ``--cpu``, ``--memory``, ``--max-concurrency``,
       ``--max-attempts``, ``--network``, ``--isolation``);
    2. nexus.toml's value for the environment (``declared``), on the first deploy there,
       or when it differs from what the previous deploy declared (``before``): a changed
       baseline;
    3. the deployment serving now (``current``), so a ``scale`` outlives a redeploy;
    4. the environment's default.

    ``before`` is None when the serving deployment kept no record of nexus.toml: then
    the serving values stay, as nothing says the baseline changed.
    """
    fallback = current or env_defaults(asked.env)
    declared = asked.declared or Sizing()

    def pick(field: str) -> Any:
        flag = getattr(asked, field)
        if flag is not None:
            return flag
        toml = getattr(declared, field)
        first = current is None
        changed = before is not None and toml != getattr(before, field)
        if toml is not None and (first or changed):
            return toml
        return getattr(fallback, field)

    return Size(*(pick(f) for f in SIZE_FIELDS))


SIZE_FIELDS = (
    "replicas",
    "cpu",
    "memory",
    "max_concurrency",
    "max_attempts",
    "network",
    "isolation",
)
