"""Identity operations of the local provider: tokens, signing keys, external issuers
and the outbound credential vault, each one call to the emulator's control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from nexus_local.calls import EmulatorCalls

if TYPE_CHECKING:
    from nexus_api.identity import (
        AuthorizerInfo,
        CredentialInfo,
        KeyInfo,
        RotateResult,
        TokenResult,
    )


class IdentityCalls(EmulatorCalls):
    def token_create(
        self, subject: str, scopes: list[str], agent: str | None, ttl: float
    ) -> TokenResult:
        from nexus_api.identity import TokenResult

        body = {"sub": subject, "scopes": scopes, "agent": agent, "ttl": ttl}
        with self._client() as client:
            answer = client.request("POST", "/v1/identity/tokens", json=body)
        return TokenResult.model_validate(answer)

    def identity_keys(self) -> list[KeyInfo]:
        from nexus_api.identity import KeyInfo

        with self._client() as client:
            answer = client.request("GET", "/v1/identity/keys")
        return [KeyInfo.model_validate(item) for item in answer]

    def rotate_keys(self) -> RotateResult:
        from nexus_api.identity import RotateResult

        with self._client() as client:
            answer = client.request("POST", "/v1/identity/rotate-keys")
        return RotateResult.model_validate(answer)

    def authorizer_set(
        self, name: str, discovery_url: str, audiences: list[str], clients: list[str]
    ) -> AuthorizerInfo:
        from nexus_api.identity import AuthorizerInfo

        body = {"discovery_url": discovery_url, "audiences": audiences, "clients": clients}
        with self._client() as client:
            answer = client.request("PUT", f"{self._agent(name)}/authorizer", json=body)
        return AuthorizerInfo.model_validate(answer)

    def authorizer_get(self, name: str) -> AuthorizerInfo:
        from nexus_api.identity import AuthorizerInfo

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/authorizer")
        return AuthorizerInfo.model_validate(answer)

    def authorizer_delete(self, name: str) -> AuthorizerInfo:
        from nexus_api.identity import AuthorizerInfo

        with self._client() as client:
            answer = client.request("DELETE", f"{self._agent(name)}/authorizer")
        return AuthorizerInfo.model_validate(answer)

    def credential_set(self, name: str, credential: str, values: dict[str, str]) -> CredentialInfo:
        from nexus_api.identity import CredentialInfo

        path = f"{self._agent(name)}/credentials/{quote(credential, safe='')}"
        with self._client() as client:
            answer = client.request("PUT", path, json=values)
        return CredentialInfo.model_validate(answer)

    def credential_list(self, name: str) -> list[CredentialInfo]:
        from nexus_api.identity import CredentialInfo

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/credentials")
        return [CredentialInfo.model_validate(item) for item in answer]

    def credential_delete(self, name: str, credential: str) -> CredentialInfo:
        from nexus_api.identity import CredentialInfo

        path = f"{self._agent(name)}/credentials/{quote(credential, safe='')}"
        with self._client() as client:
            answer = client.request("DELETE", path)
        return CredentialInfo.model_validate(answer)
