"""Call agents hosted on Nexus: ``Client().agents.run(name, input)``."""

from __future__ import annotations

from nexus.ai.client._client import Agents, Client, Stream, StreamChunk
from nexus.ai.client._errors import APIConnectionError, APIError

__all__ = ["APIConnectionError", "APIError", "Agents", "Client", "Stream", "StreamChunk"]
