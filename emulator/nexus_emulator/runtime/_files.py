"""File helpers shared by the runtimes: project copies, the SDK, input digests."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

# Never part of an artifact: VCS data, caches, local virtualenvs.
SKIP_DIRS = frozenset(
    {".git", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
SKIP_SUFFIXES = (".pyc", ".pyo")


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` an artifact keeps, in a stable order (paths relative to root)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.endswith(SKIP_SUFFIXES):
                continue
            path = base / name
            if path.is_symlink() and not path.exists():
                continue
            yield path.relative_to(root)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy the kept files of ``src`` into ``dst`` (which is replaced)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for rel in iter_files(src):
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, target)
        mode = (src / rel).stat().st_mode
        # Readable by everyone (replicas run as an unprivileged user), keep the x bit.
        target.chmod(0o755 if mode & 0o111 else 0o644)


def sdk_root() -> Path:
    """The directory that holds the ``nexus`` SDK package (stdlib only, shipped with agents)."""
    import nexus

    return Path(nexus.__file__).resolve().parent.parent


def digest_inputs(roots: dict[str, Path], extra: list[str]) -> str:
    """sha256 over the kept files of each root (names and contents) plus extra strings."""
    h = hashlib.sha256()
    for label in sorted(roots):
        root = roots[label]
        for rel in iter_files(root):
            h.update(f"{label}/{rel.as_posix()}\0".encode())
            h.update(hashlib.sha256((root / rel).read_bytes()).digest())
    for item in extra:
        h.update(item.encode() + b"\0")
    return "sha256:" + h.hexdigest()
