"""Sessions with replicas of their own (``deploy --isolation session``), on the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from nexus_local.calls import EmulatorCalls

if TYPE_CHECKING:
    from nexus_api.models import IsolatedSession


class SessionCalls(EmulatorCalls):
    def session_list(self, name: str) -> list[IsolatedSession]:
        from nexus_api.models import IsolatedSession

        with self._client() as client:
            answer = client.request("GET", f"{self._agent(name)}/sessions")
        return [IsolatedSession.model_validate(item) for item in answer]

    def session_stop(self, name: str, session: str) -> IsolatedSession:
        from nexus_api.models import IsolatedSession

        with self._client() as client:
            answer = client.request(
                "DELETE", f"{self._agent(name)}/sessions/{quote(session, safe='')}"
            )
        return IsolatedSession.model_validate(answer)
