"""Uploaded projects: a source is kept only when it is a tar.gz the deployer can unpack."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from nexus_emulator import errors
from nexus_emulator.safetar import tarfile

_HINT = "upload the project as `nexus ai agent deploy` packs it: a gzip-compressed tar archive"


def check_archive(path: Path) -> int:
    """The number of regular files in the tar.gz at ``path``; a usage error saying what is
    wrong when it is not one, or when a member would land outside the project."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files = 0
            for member in tar:
                _check_member(member)
                files += member.isfile()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise errors.usage(f"the source is not a readable tar.gz archive: {exc}", _HINT) from None
    if files == 0:
        raise errors.usage("the source archive holds no file", _HINT)
    return files


def _check_member(member: Any) -> None:
    """What the deployer's extraction (``filter="data"``) would refuse, refused now."""
    try:
        tarfile.data_filter(member, "/project")
    except tarfile.FilterError as exc:
        raise errors.usage(f"the source archive cannot be unpacked safely: {exc}", _HINT) from None
