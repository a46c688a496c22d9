"""Hand secrets to a container as a read-only file kept in memory on the host.

The folder lives on /dev/shm (RAM) where there is one, else under the
emulator's home; it is owned by the replica's user, mode 0700 with a 0400
file, and removed when the replica stops.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

LABEL_SECRETS = "dev.nexus.secrets"
SECRETS_MOUNT = "/run/nexus/secrets"


def root_path(home: Path) -> Path:
    """Where this emulator's replicas get their secrets folders."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else home / "run"
    return base / f"nexus-secrets-{hashlib.sha256(str(home).encode()).hexdigest()[:10]}"


def _root(home: Path) -> Path:
    root = root_path(home)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o711)  # others may pass through to a folder they own, not list it
    return root


def write_secrets(home: Path, name: str, values: dict[str, str], uid: int) -> Path:
    folder = _root(home) / name
    folder.mkdir(mode=0o700)
    path = folder / "env.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(values, fh)
    try:
        os.chown(folder, uid, uid)
        os.chown(path, uid, uid)
    except PermissionError:  # not root: readable through an unguessable folder name only
        os.chmod(folder, 0o711)
        os.chmod(path, 0o444)
    return folder


def remove_secrets(folder: str | None) -> None:
    if folder and Path(folder).name.startswith("nexus-"):
        shutil.rmtree(folder, ignore_errors=True)
