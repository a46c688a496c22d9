"""Garbage collection: what a killed deploy or a delete leaves behind.

Run on every start (after the replicas are adopted) and by ``POST /v1/admin/gc``
(``nexus ai emulator gc``). It removes, for this home only:

- ``builds/<agent>/r<N>`` and ``builds/src/<agent>-r<N>`` of revisions the store
  does not hold (a deploy killed mid-way; a deleted agent), and their empty parents;
- artifacts no version records (``Runtime.collect``): agent images or process
  artifacts left by a build that was cut short, and ``nexus-deps:*`` images that
  no kept agent image is built on;
- empty folders under the secrets root (``/dev/shm/nexus-secrets-*``), and the
  root itself when nothing is left in it;
- session replicas and session spares (index 100000 up, sessions.py) that the
  emulator no longer tracks; skipped while one is starting.

A deploy in progress holds its agent's lock; GC skips agents whose lock is held.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nexus_emulator.config import EmulatorConfig
from nexus_emulator.locks import AgentLocks
from nexus_emulator.runtime import secrets_root
from nexus_emulator.runtime.base import Runtime
from nexus_emulator.sessions import SESSION_INDEX
from nexus_emulator.store.db import Store

log = logging.getLogger("nexus_emulator.gc")
_BUILD = re.compile(r"^r(\d+)$")
_SOURCE = re.compile(r"^(.+)-r(\d+)$")


@dataclass
class Collected:
    builds: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    secrets_folders: list[str] = field(default_factory=list)
    replicas: list[str] = field(default_factory=list)  # session replicas nothing tracks

    def summary(self) -> str:
        return (
            f"{len(self.builds)} build folder(s), {len(self.artifacts)} artifact(s), "
            f"{len(self.secrets_folders)} secrets folder(s), "
            f"{len(self.replicas)} untracked session replica(s)"
        )


async def collect(
    store: Store,
    runtime: Runtime,
    config: EmulatorConfig,
    lock: AgentLocks,
    sessions: Callable[[], set[str] | None] = lambda: None,
) -> Collected:
    """``sessions``: the ids of the session replicas and spares the emulator tracks, or
    None while one is starting (then none is stopped)."""
    home = config.home
    busy = lock.busy()
    kept = {(v.agent, v.revision) for a in store.agent_names() for v in store.versions(a)}
    done = Collected()
    builds = config.paths.builds
    done.builds = await asyncio.to_thread(_builds, builds, kept, busy)
    if not busy:  # an image being built is not recorded yet: leave artifacts alone then
        versions = [v for a in store.agent_names() for v in store.versions(a)]
        refs = {v.artifact for v in versions} | {v.digest for v in versions if v.digest}
        done.artifacts = await runtime.collect(refs)
    done.secrets_folders = await asyncio.to_thread(_empty_folders, secrets_root(home))
    done.replicas = await _untracked_sessions(runtime, sessions)
    return done


async def _untracked_sessions(
    runtime: Runtime, sessions: Callable[[], set[str] | None]
) -> list[str]:
    tracked = sessions()
    if tracked is None:
        return []
    stray = [h for h in await runtime.replicas() if h.replica >= SESSION_INDEX]
    tracked = sessions()  # listing took a moment: a start may have begun meanwhile
    if tracked is None:
        return []
    removed = []
    for handle in stray:
        if handle.id not in tracked:
            log.info("stopping untracked session replica %s", handle.id)
            await runtime.stop(handle.id)
            removed.append(handle.id)
    return removed


def _builds(builds: Path, kept: set[tuple[str, int]], busy: set[str]) -> list[str]:
    removed: list[str] = []

    def drop(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))

    if not builds.is_dir():
        return removed
    for agent_dir in builds.iterdir():
        if agent_dir.name == "src" or not agent_dir.is_dir() or agent_dir.name in busy:
            continue
        for rev in agent_dir.iterdir():
            m = _BUILD.match(rev.name)
            if m and (agent_dir.name, int(m.group(1))) not in kept:
                drop(rev)
        if not any(agent_dir.iterdir()):
            drop(agent_dir)
    sources = builds / "src"
    if sources.is_dir():
        for src in sources.iterdir():
            m = _SOURCE.match(src.name)
            if m and m.group(1) not in busy and (m.group(1), int(m.group(2))) not in kept:
                drop(src)
    return removed


def _empty_folders(root: Path) -> list[str]:
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            removed.append(str(folder))
    if not any(root.iterdir()):
        root.rmdir()
        removed.append(str(root))
    return removed
