"""``self.credentials``: the agent's outbound credentials, fetched from the platform.

``await self.credentials.api_key("github")`` gives the API key stored with
``nexus ai agent credential set AGENT github --api-key -``;
``await self.credentials.oauth_token("crm", scopes=[...])`` an OAuth2 access
token the platform obtained with the client stored under that name (cached
there until shortly before it expires). Every call goes to the platform API
with the replica's workload token, which only reaches this agent's credentials.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

from nexus.ai.agents._platform import call_platform


class CredentialError(RuntimeError):
    """The platform refused or could not give the credential."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class Credentials:
    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    async def api_key(self, name: str) -> str:
        answer = await self._call("GET", f"/v1/platform/credentials/{_q(name)}/api-key")
        return str(answer["api_key"])

    async def oauth_token(self, name: str, scopes: list[str] | None = None) -> str:
        body = {"scopes": list(scopes or [])}
        answer = await self._call("POST", f"/v1/platform/credentials/{_q(name)}/token", body)
        return str(answer["access_token"])

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = await asyncio.to_thread(
            call_platform, method, path, body, self.timeout, CredentialError, "credentials"
        )
        return answer


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")
