"""One lock per agent, shared by everything that changes its replicas.

A deploy, rollback, restart or delete (``deployer.py``), a scale
(``scaling.py``), a replica replacement (``health.py``) and a restore after a
start (``reconcile.py``) of one agent never interleave: each holds the agent's
lock while it changes the agent's pools.
"""

from __future__ import annotations

import asyncio


class AgentLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, agent: str) -> asyncio.Lock:
        return self._locks.setdefault(agent, asyncio.Lock())

    def busy(self) -> set[str]:
        """The agents a deploy, rollback, scale, replacement or delete is changing right now."""
        return {agent for agent, lock in self._locks.items() if lock.locked()}
