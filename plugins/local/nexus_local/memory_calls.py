"""Memory operations of the local provider: sessions, events, records, search and
settings of an agent's memory, through the emulator's control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nexus_local.calls import EmulatorCalls

if TYPE_CHECKING:
    from nexus_api.memory import Event, MemorySettings, Record, SearchHit, SessionInfo


class MemoryCalls(EmulatorCalls):
    def _memory(self, name: str) -> str:
        return f"/v1/memory/agents/{quote(name, safe='')}"

    def memory_sessions(self, name: str, actor: str | None) -> list[SessionInfo]:
        from nexus_api.memory import SessionInfo

        params = {"actor": actor} if actor else None
        with self._client() as client:
            answer = client.request("GET", f"{self._memory(name)}/sessions", params=params)
        return [SessionInfo.model_validate(item) for item in answer]

    def memory_events(self, name: str, session: str, actor: str) -> list[Event]:
        from nexus_api.memory import Event

        path = f"{self._memory(name)}/sessions/{quote(session, safe='')}/events"
        with self._client() as client:
            answer = client.request("GET", path, params={"actor": actor})
        return [Event.model_validate(item) for item in answer]

    def memory_search(
        self,
        name: str,
        query: str,
        namespace: str | None,
        top_k: int,
        min_score: float | None,
        mode: str | None = None,
    ) -> list[SearchHit]:
        from nexus_api.memory import SearchHit

        body = {"query": query, "namespace": namespace, "top_k": top_k, "min_score": min_score}
        if mode is not None:
            body["mode"] = mode
        with self._client() as client:
            answer = client.request("POST", f"{self._memory(name)}/search", json=body)
        return [SearchHit.model_validate(item) for item in answer]

    def memory_records(self, name: str, namespace: str | None, limit: int) -> list[Record]:
        from nexus_api.memory import Record

        params: dict[str, Any] = {"limit": limit}
        if namespace:
            params["namespace"] = namespace
        with self._client() as client:
            answer = client.request("GET", f"{self._memory(name)}/records", params=params)
        return [Record.model_validate(item) for item in answer]

    def memory_settings(
        self,
        name: str,
        retention_days: float | None,
        strategies: list[str] | None,
        custom_prompt: str | None = None,
        vectors: bool | None = None,
    ) -> MemorySettings:
        from nexus_api.memory import MemorySettings

        base = self._memory(name)
        with self._client() as client:
            if retention_days is not None:
                client.request("PUT", f"{base}/retention", json={"retention_days": retention_days})
            if strategies is not None:
                chosen = {"strategies": strategies, "custom_prompt": custom_prompt}
                client.request("PUT", f"{base}/strategies", json=chosen)
            if vectors is not None:
                client.request("PUT", f"{base}/vectors", json={"enabled": vectors})
            retention = client.request("GET", f"{base}/retention")
            chosen = client.request("GET", f"{base}/strategies")
            on = client.request("GET", f"{base}/vectors")["enabled"]
        return MemorySettings(agent=name, **retention, **chosen, vectors=on)

    def memory_delete(self, name: str, what: str, id: str, actor: str | None) -> dict[str, Any]:
        paths = {"session": "sessions", "record": "records", "actor": "actors"}
        path = f"{self._memory(name)}/{paths[what]}/{quote(id, safe='')}"
        params = {"actor": actor} if what == "session" and actor else None
        with self._client() as client:
            answer: dict[str, Any] = client.request("DELETE", path, params=params)
        return answer
