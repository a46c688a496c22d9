"""Write an agent: subclass :class:`Agent` and define ``process``.

Run it with ``python -m nexus.ai.agents.serve module:Class`` (the runtime
server of the platform's agent contract).
"""

from __future__ import annotations

from nexus.ai.agents._agent import Agent
from nexus.ai.agents._context import Caller, Context
from nexus.ai.agents._credentials import CredentialError

__all__ = ["Agent", "Caller", "Context", "CredentialError"]
