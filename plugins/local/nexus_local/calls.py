"""What every operation of the local provider stands on: a client of the running emulator
(started on demand) and the API paths of an agent."""

from __future__ import annotations

from urllib.parse import quote

from nexus_cli.providers.base import ProgressFn
from nexus_local.client import EmulatorClient
from nexus_local.lifecycle import Emulator, ensure_running


class EmulatorCalls:
    emulator: Emulator
    notice: ProgressFn

    def _client(self) -> EmulatorClient:
        port = ensure_running(self.emulator, self.notice)
        return EmulatorClient(self.emulator.url(port), self.emulator.token())

    @staticmethod
    def _agent(name: str) -> str:
        return f"/v1/agents/{quote(name, safe='')}"
