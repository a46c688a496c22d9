"""Pack a project directory as a reproducible tar.gz (same files -> same bytes)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".nexus",
    }
)
SKIP_SUFFIXES = (".pyc", ".pyo")


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(root.iterdir()):
        if path.name in SKIP_DIRS and path.is_dir():
            continue
        if path.is_dir() and not path.is_symlink():
            found.extend(_files(path))
        elif not path.name.endswith(SKIP_SUFFIXES):
            found.append(path)
    return found


def pack(root: Path) -> bytes:
    """The project at ``root`` as gzip'd tar bytes, without VCS dirs, venvs and bytecode."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in _files(root):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(root).as_posix())
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if info.mode & 0o111 else 0o644
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return buffer.getvalue()
