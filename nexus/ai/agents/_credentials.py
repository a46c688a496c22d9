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
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from nexus.ai.agents._platform import platform_url, workload_token


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
        base, token = platform_url(), workload_token()
        if not base or not token:
            raise CredentialError(
                "no platform to ask: credentials are served to agents deployed on Nexus"
            )
        return await asyncio.to_thread(self._send, method, base.rstrip("/") + path, token, body)

    def _send(self, method: str, url: str, token: str, body: Any) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                result: dict[str, Any] = json.load(answer)
                return result
        except urllib.error.HTTPError as exc:
            try:
                error = json.load(exc).get("error", {})
            except (ValueError, AttributeError):
                error = {}
            raise CredentialError(
                str(error.get("message") or f"HTTP {exc.code}"),
                status=exc.code,
                code=error.get("code"),
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise CredentialError(f"the platform did not answer at {url}: {exc}") from None


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")
