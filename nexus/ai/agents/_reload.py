"""Hot reload for ``nexus ai agent dev``: re-import the agent in place when its code changes.

Set by the platform with ``NEXUS_RELOAD=1`` on a replica that runs the project
directory itself (not a copy). The server polls the ``.py`` files under that
directory every ``NEXUS_RELOAD_POLL`` seconds (default 0.05; no dependency, works
on bind mounts); after a change it forgets the project's modules, imports the
entrypoint again and swaps the handler. Requests already running finish on the
old code. An import that fails is logged with its traceback and the last good
code keeps serving.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from nexus.ai.agents._handler import EntrypointError, Handler, load
from nexus.ai.agents._log import log

SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", "node_modules"}


def enabled() -> bool:
    return os.environ.get("NEXUS_RELOAD", "") not in ("", "0")


def snapshot(root: Path) -> dict[str, float]:
    """Each ``.py`` file under ``root`` with its modification time."""
    seen: dict[str, float] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    seen[path] = os.stat(path).st_mtime_ns
                except OSError:
                    continue  # removed while walking
    return seen


def forget_modules(root: Path) -> int:
    """Drop the modules loaded from ``root`` so the next import reads them again."""
    prefix = str(root.resolve()) + os.sep
    gone = [
        name
        for name, module in list(sys.modules.items())
        if (getattr(module, "__file__", None) or "").startswith(prefix)
        or os.path.realpath(getattr(module, "__file__", None) or "/").startswith(prefix)
    ]
    for name in gone:
        del sys.modules[name]
    importlib.invalidate_caches()
    return len(gone)


class Reloader:
    """Swap ``target.handler`` for a fresh import after each change under ``root``."""

    def __init__(self, target: object, entrypoint: str, root: Path) -> None:
        self.target = target
        self.entrypoint = entrypoint
        self.root = root.resolve()
        self.interval = float(os.environ.get("NEXUS_RELOAD_POLL", "0.05") or 0.05)

    def reload(self, changed: list[str]) -> bool:
        t0 = time.perf_counter()
        forget_modules(self.root)
        try:
            handler: Handler = load(self.entrypoint)
        except EntrypointError as exc:
            cause = exc.__cause__ or exc
            tb = "".join(traceback.format_exception(cause)).rstrip()
            log("error", f"reload failed, the last good code keeps serving: {exc}", traceback=tb)
            return False
        self.target.handler = handler  # type: ignore[attr-defined]
        ms = round((time.perf_counter() - t0) * 1000, 1)
        log("info", "reloaded", entrypoint=self.entrypoint, changed=changed[:5], reload_ms=ms)
        return True

    async def run(self) -> None:
        before = await asyncio.to_thread(snapshot, self.root)
        log("info", "hot reload on", root=str(self.root), poll_s=self.interval)
        while True:
            await asyncio.sleep(self.interval)
            now = await asyncio.to_thread(snapshot, self.root)
            if now == before:
                continue
            changed = sorted(
                os.path.relpath(p, self.root)
                for p in set(now) | set(before)
                if now.get(p) != before.get(p)
            )
            before = now
            self.reload(changed)
