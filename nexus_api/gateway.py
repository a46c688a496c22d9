"""The AI gateway's control routes on the wire: models, quotas, audit rows, usage."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

Limit = Annotated[StrictInt, Field(gt=0, le=10**12)] | None


class ModelInfo(BaseModel):
    id: str
    kind: str  # chat | embedding
    provider: str
    upstream_model: str | None = None
    url: str | None = None


class ModelRoute(BaseModel):
    """A model name agents call, served by an OpenAI-compatible upstream (OpenAI,
    Ollama, vLLM, a LiteLLM proxy…). The key is the calling agent's credential of
    that name in the vault (``nexus ai agent credential set AGENT NAME --api-key -``)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.:/@-]+$")]
    provider: Literal["openai"] = "openai"
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    upstream_model: Annotated[str, Field(min_length=1, max_length=200)]
    credential: str | None = None
    fallback: str | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 60.0


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
