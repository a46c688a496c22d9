"""What the suite downloads, kept between runs on one machine.

The directory is ``$NEXUS_TEST_CACHE``, else ``~/.cache/nexus/tests``. The first run
still goes the real way (PyPI, the Debian mirror); later runs reuse what it fetched.
Delete the directory to prove the download path again.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_root() -> Path:
    configured = os.environ.get("NEXUS_TEST_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "nexus" / "tests"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def locked(name: str) -> Iterator[Path]:
    """``cache_root()/name``, held exclusively (other workers and runs wait)."""
    root = cache_root()
    with (root / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield root / name
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cached_dir(name: str, fill: Callable[[Path], None]) -> Path:
    """``cache_root()/name``, made once by ``fill(empty_dir)``; a failed fill leaves nothing."""
    with locked(name) as path:
        if not path.is_dir():
            work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=path.parent))
            try:
                fill(work)
                work.rename(path)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return path
