"""Model gateway operations of the local provider: models and routes, quotas, audit
and usage, each one call to the emulator's control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nexus_local.calls import EmulatorCalls

if TYPE_CHECKING:
    from nexus_api.gateway import AuditRow, ModelInfo, ModelRoute, QuotaInfo, Usage


class GatewayCalls(EmulatorCalls):
    def gateway_models(self) -> list[ModelInfo]:
        from nexus_api.gateway import ModelInfo

        with self._client() as client:
            answer = client.request("GET", "/v1/gateway/models")
        return [ModelInfo.model_validate(item) for item in answer]

    def gateway_model_add(self, route: dict[str, Any]) -> ModelRoute:
        from nexus_api.gateway import ModelRoute

        with self._client() as client:
            answer = client.request("POST", "/v1/gateway/models", json=route)
        return ModelRoute.model_validate(answer)

    def gateway_model_remove(self, name: str) -> dict[str, Any]:
        with self._client() as client:
            answer: dict[str, Any] = client.request(
                "DELETE", f"/v1/gateway/models/{quote(name, safe='/')}"
            )
        return answer

    def gateway_quota(self, name: str, env: str, change: dict[str, Any] | None) -> QuotaInfo:
        from nexus_api.gateway import QuotaInfo

        path = f"/v1/gateway/quotas/{quote(name, safe='')}"
        with self._client() as client:
            if change is None:
                answer = client.request("GET", path, params={"env": env})
            else:
                answer = client.request("PUT", path, params={"env": env}, json=change)
        return QuotaInfo.model_validate(answer)

    def gateway_audit(self, name: str | None, since: float | None, limit: int) -> list[AuditRow]:
        from nexus_api.gateway import AuditRow

        params: dict[str, Any] = {"limit": limit}
        if name is not None:
            params["agent"] = name
        if since is not None:
            params["since"] = since
        with self._client() as client:
            answer = client.request("GET", "/v1/gateway/audit", params=params)
        return [AuditRow.model_validate(item) for item in answer]

    def gateway_usage(self, name: str) -> Usage:
        from nexus_api.gateway import Usage

        with self._client() as client:
            answer = client.request("GET", f"/v1/gateway/usage/{quote(name, safe='')}")
        return Usage.model_validate(answer)
