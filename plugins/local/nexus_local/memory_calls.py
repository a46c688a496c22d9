"""Memory operations of the local provider: sessions, events, records, search and
settings of an agent's memory, through the emulator's control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nexus_local.calls import EmulatorCalls

if TYPE_CHECKING:
    from nexus_api.memory import (
        Event,
        MemorySettings,
        Record,
        SearchHit,
        SearchIn,
        SessionInfo,
        SettingsChange,
    )


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

    def memory_search(self, name: str, asked: SearchIn) -> list[SearchHit]:
        from nexus_api.memory import SearchHit

        body = asked.model_dump(exclude_none=True)
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

    def memory_settings(self, name: str, change: SettingsChange) -> MemorySettings:
        from nexus_api.memory import MemorySettings

        base = self._memory(name)
        days, strategies, vectors = change.retention_days, change.strategies, change.vectors
        with self._client() as client:
            if days is not None:
                client.request("PUT", f"{base}/retention", json={"retention_days": days})
            if strategies is not None:
                client.request("PUT", f"{base}/strategies", json=strategies.model_dump())
            if vectors is not None or change.embedding_model is not None:
                if vectors is None:
                    vectors = client.request("GET", f"{base}/vectors")["enabled"]
                body = {"enabled": vectors, "model": change.embedding_model}
                client.request("PUT", f"{base}/vectors", json=body)
            retention = client.request("GET", f"{base}/retention")
            chosen = client.request("GET", f"{base}/strategies")
            on = client.request("GET", f"{base}/vectors")
        return MemorySettings(
            agent=name, **retention, **chosen, vectors=on["enabled"], embedding_model=on["model"]
        )

    def memory_delete(self, name: str, what: str, id: str, actor: str | None) -> dict[str, Any]:
        paths = {"session": "sessions", "record": "records", "actor": "actors"}
        path = f"{self._memory(name)}/{paths[what]}/{quote(id, safe='')}"
        params = {"actor": actor} if what == "session" and actor else None
        with self._client() as client:
            answer: dict[str, Any] = client.request("DELETE", path, params=params)
        return answer
