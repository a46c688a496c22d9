"""The AI gateway's control routes on the wire: models, quotas, audit rows, usage."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from nexus_api.numbers import Whole

Limit = Annotated[Whole, Field(gt=0, le=10**12)] | None


class ModelInfo(BaseModel):
    id: str
    kind: str  # chat | embedding
    provider: str
    upstream_model: str | None = None
    url: str | None = None
    agent: str | None = None  # an agent's own model (its nexus.toml's [gateway]), else for all


class ModelRoute(BaseModel):
    """A model name agents call, served by an upstream: ``openai`` (any OpenAI-compatible
    URL: OpenAI, Ollama, vLLM, a LiteLLM proxy…), ``anthropic`` (the Messages API) or
    ``bedrock`` (Amazon Bedrock's Converse API). The key is the calling agent's credential
    of that name in the vault (``nexus ai agent credential set AGENT NAME --api-key -``);
    for Bedrock it is ``ACCESS_KEY_ID:SECRET_ACCESS_KEY`` (``:SESSION_TOKEN`` optional).
    ``kind`` is ``chat`` or ``embedding`` (``/v1/embeddings``: OpenAI-compatible or Bedrock)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.:/@-]+$")]
    provider: Literal["openai", "anthropic", "bedrock"] = "openai"
    kind: Literal["chat", "embedding"] = "chat"
    # openai: required; anthropic: https://api.anthropic.com; bedrock: AWS's for the region
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    upstream_model: Annotated[str, Field(min_length=1, max_length=200)]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] | None = None  # bedrock
    credential: str | None = None
    fallback: str | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 60.0

    @model_validator(mode="after")
    def _where(self) -> ModelRoute:
        if self.provider == "openai" and self.url is None:
            raise ValueError("an openai route needs the upstream's url")
        if self.region is not None and self.provider != "bedrock":
            raise ValueError("region is for bedrock routes only")
        if self.kind == "embedding" and self.provider == "anthropic":
            raise ValueError("anthropic has no embedding models: route openai or bedrock ones")
        return self


class Quota(BaseModel):
    """Limits per agent and environment (positive whole numbers; null is no limit), and
    whether the audit keeps prompt and completion text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_minute: Limit = None
    tokens_per_minute: Limit = None
    tokens_per_day: Limit = None
    tokens_per_month: Limit = None
    concurrency: Limit = None
    log_content: StrictBool = False


class DeclaredGateway(BaseModel):
    """nexus.toml's ``[gateway]`` table, applied when the agent deploys: its own models
    (``[gateway.models.NAME]``, only it calls them, before routes of the same name) and
    its quota in the environment deployed to (``[gateway.quota]``, fields left out stay)."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelRoute] = []
    quota: Quota | None = None


class QuotaInfo(BaseModel):
    agent: str
    env: str
    quota: Quota


class AuditRow(BaseModel):
    id: int
    at: float
    agent: str
    version: str | None = None
    env: str
    principal: str
    model: str
    provider: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    status: int
    request_id: str | None = None
    trace_id: str | None = None
    prompt: str | None = None
    completion: str | None = None


class EnvUsage(BaseModel):
    calls: int
    refused: int
    tokens_in: int
    tokens_out: int
    tokens_today: int
    tokens_this_month: int
    quota: Quota


class Usage(BaseModel):
    agent: str
    environments: dict[str, EnvUsage]
