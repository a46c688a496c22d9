"""Hand secrets and platform credentials to a replica as files kept in memory on the host.

The folder lives on /dev/shm (RAM) where there is one, else under the
emulator's home; it is owned by the replica's user, mode 0700 with 0400
files, and removed when the replica stops. ``env.json`` holds the secrets
(``NEXUS_SECRETS_FILE``); ``platform.json`` the replica's credentials
(``NEXUS_PLATFORM_FILE``: its workload token, the secret the emulator presents
to it, the platform URL), replaced in one rename when the token is refreshed.
A container sees the folder through a read-only bind mount, so the values are
never part of its environment (``docker inspect``), an image layer or a log.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths

LABEL_SECRETS = "dev.nexus.secrets"
SECRETS_MOUNT = "/run/nexus/secrets"
PLATFORM_FILE = "platform.json"


def root_path(home: Path) -> Path:
    """Where this emulator's replicas get their secrets folders."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else HomePaths(home).run
    return base / f"nexus-secrets-{hashlib.sha256(str(home).encode()).hexdigest()[:10]}"


def _root(home: Path) -> Path:
    root = root_path(home)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o711)  # others may pass through to a folder they own, not list it
    return root


def _write(folder: Path, name: str, data: Any, uid: int) -> Path:
    """``folder/name`` as JSON, 0400 and owned by ``uid``, replacing any older one at once."""
    path = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    try:
        os.chown(tmp, uid, uid)
    except PermissionError:  # not root: readable through an unguessable folder name only
        os.chmod(tmp, 0o444)
    os.replace(tmp, path)
    return path


def write_secrets(
    home: Path, name: str, values: dict[str, str], uid: int, platform: dict[str, Any]
) -> Path:
    folder = _root(home) / name
    folder.mkdir(mode=0o700)
    try:
        os.chown(folder, uid, uid)
    except PermissionError:
        os.chmod(folder, 0o711)
    if values:
        _write(folder, "env.json", values, uid)
    if platform:
        _write(folder, PLATFORM_FILE, platform, uid)
    return folder


def refresh_platform(folder: str, platform: dict[str, Any]) -> bool:
    """Replace a live replica's ``platform.json``; False when its folder is gone."""
    path = Path(folder)
    if not path.name.startswith("nexus-") or not path.is_dir():
        return False
    _write(path, PLATFORM_FILE, platform, path.stat().st_uid)
    return True


def remove_secrets(folder: str | None) -> None:
    if folder and Path(folder).name.startswith("nexus-"):
        shutil.rmtree(folder, ignore_errors=True)
