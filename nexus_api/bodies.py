"""The bodies the API accepts, as pydantic models (the deploy body is in its own module).

The emulator validates requests against these and documents them in its
OpenAPI schema; a client may build its requests from them.

The data plane (run, stream, task submit) reads its body itself, for speed:
:class:`RunBody` and :class:`TaskBody` say what it accepts and
:func:`openapi_body` puts that in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictBool

from nexus_api.numbers import Whole

__all__ = [
    "RestartBody",
    "RollbackBody",
    "RunBody",
    "ScaleBody",
    "SecretBody",
    "TaskBody",
    "openapi_body",
]


ENV_DEFAULT = (
    "default: the agent's only environment, else the one deployed to or rolled back in last"
)


class RollbackBody(BaseModel):
    env: str | None = Field(None, description=ENV_DEFAULT)
    version: str | None = Field(None, description="label, r<revision> or revision number")
    actor: str | None = None


class RestartBody(BaseModel):
    env: str | None = Field(None, description=ENV_DEFAULT)
    actor: str | None = None


class ScaleBody(BaseModel):
    env: str | None = Field(None, description=ENV_DEFAULT)
    replicas: Whole | None = None
    autoscale: StrictBool | None = None
    actor: str | None = None


class SecretBody(BaseModel):
    value: str = Field(..., description="the secret; never returned by the API")
    env: str | None = Field(None, description="one environment; all when left out")
    actor: str | None = None


class RunBody(BaseModel):
    """A call to an agent: ``{"input": ..., "context": {...}}``."""

    input: Any = Field(..., description="any JSON value; the agent's input")
    context: dict[str, Any] = Field(
        default_factory=dict, description="user_id, session_id and other call context"
    )


class TaskBody(RunBody):
    """A run submitted for later; the result can also be posted to ``webhook``."""

    webhook: str | None = Field(None, description="an http:// or https:// URL")


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
