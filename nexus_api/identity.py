"""Identity on the wire: minted tokens, the issuer's signing keys, external issuers and
outbound credentials; the bodies the identity routes accept and what they answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class TokenResult(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_in: int
    expires_at: float
    kid: str
    claims: dict[str, Any]


class KeyInfo(BaseModel):
    kid: str
    created_at: float
    retired_at: float | None = None
    signing: bool = False


class RotateResult(BaseModel):
    kid: str
    rotated_at: float
    published: list[str]
    dropped: list[str]
    retired_kept_for: int


class AuthorizerInfo(BaseModel):
    """The external issuer an agent trusts (as AgentCore's custom JWT authorizer)."""

    agent: str
    discovery_url: str | None = None
    issuer: str | None = None
    jwks_uri: str | None = None
    audiences: list[str] = []
    clients: list[str] = []
    algorithms: list[str] = []
    key_ids: list[str] = []
    deleted: bool = False


class CredentialBody(BaseModel):
    """``PUT /v1/agents/{name}/credentials/{credential}``: an API key or an OAuth2 client."""

    kind: Literal["api_key", "oauth2"]
    api_key: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class CredentialInfo(BaseModel):
    """A credential as listed: its name and kind, never its value."""

    name: str
    kind: str
    updated_at: float
    deleted: bool = False


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_at: float
    scope: str = ""
    cached: bool = False


class TokenRequest(BaseModel):
    """``POST /v1/identity/tokens``: mint a JWT (ttl in seconds)."""

    sub: str = Field(min_length=1, max_length=256)
    scopes: list[str] = Field(min_length=1)
    agent: str | None = None
    ttl: float = Field(3600, gt=0)


class TokenAsk(BaseModel):
    """A replica asking for an OAuth2 access token of one of its credentials."""

    scopes: list[str] = Field(default_factory=list)


class AuthorizerBody(BaseModel):
    """``PUT /v1/agents/{name}/authorizer``: trust an external issuer's tokens."""

    discovery_url: str = Field(min_length=1)
    audiences: list[str] = Field(default_factory=list)
    clients: list[str] = Field(default_factory=list)
