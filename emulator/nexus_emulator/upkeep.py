"""The parts that keep replicas serving, as the health monitor and reconcile are given them.

Wired once in ``core.py``; ``top_up`` is the deployer's (start the replicas an
environment is missing) and ``lock`` the per-agent lock the deployer and
scaling share (``locks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_emulator.locks import AgentLocks
from nexus_emulator.pools import Pools, TopUp
from nexus_emulator.relay import Relay
from nexus_emulator.replicas import Replicas
from nexus_emulator.runtime.base import Runtime
from nexus_emulator.store.db import Store


@dataclass(frozen=True)
class Upkeep:
    store: Store
    runtime: Runtime
    relay: Relay
    pools: Pools
    replicas: Replicas
    lock: AgentLocks
    top_up: TopUp
