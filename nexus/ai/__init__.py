"""Nexus AI: agents (``nexus.ai.agents``) and the platform client (``nexus.ai.Client``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nexus.ai.client import Client

__all__ = ["Client"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from nexus.ai.client import Client

        return Client
    raise AttributeError(name)
