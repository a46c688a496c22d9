"""The local admin credential (the emulator's API token), kept in the OS keyring when one works.

The emulator makes it on its first start: in the OS keyring (service
``nexus``, account ``admin-token:<NEXUS_HOME>``) when the ``keyring`` package
finds a working backend (on Linux it is asked only with a D-Bus session,
a ``PYTHON_KEYRING_BACKEND`` or a keyring configuration file) and
``NEXUS_KEYRING`` is on, else in ``$NEXUS_HOME/token`` (mode 0600). A token
file left from a start without a keyring moves into the keyring at the next
start where one works. Readers (the CLI, ``nexus.ai.Client``) take the file
when there is one, then the keyring: a file costs no keyring start-up on every
command.

Only the standard library is required: ``keyring`` is imported when present
(the SDK ships in agent images, where it never is and never needs to be).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nexus.settings import HomePaths, Settings

KEYRING_SERVICE = "nexus"
log = logging.getLogger("nexus.admin_credential")


def could_have_keyring(environ: Mapping[str, str]) -> bool:
    """False where no OS keyring can work, told without asking keyring (whose backend
    discovery reads every installed package's entry points: about 80 ms of CPU on each
    emulator start and each command that looks): Linux without a D-Bus session (Secret
    Service and KWallet are reached through it), no backend named by keyring's own
    ``PYTHON_KEYRING_BACKEND`` and no keyring configuration file."""
    if not sys.platform.startswith("linux"):
        return True
    if environ.get("DBUS_SESSION_BUS_ADDRESS") or environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    config = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return (Path(config) / "python_keyring" / "keyringrc.cfg").exists()


def usable_keyring() -> Any:
    """The OS keyring, or None where none works (headless Linux, CI, NEXUS_KEYRING=off)."""
    if not Settings.load().keyring or not could_have_keyring(os.environ):
        return None
    if sys.platform != "darwin":
        # keyring's macOS backend looks for the macOS frameworks with ctypes.util.find_library,
        # which runs ldconfig, gcc and ld for each of three (100-500 ms), and can only fail
        # elsewhere: it is marked missing, the outcome its own failed import has
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]
    try:
        import keyring
        from keyring.backends import fail

        ring = keyring.get_keyring()
    except Exception:  # not installed, or no backend can even be chosen: no keyring
        return None
    if isinstance(ring, fail.Keyring) or (
        type(ring).__name__ in ("Keyring", "NullKeyring") and (getattr(ring, "priority", 0) <= 0)
    ):
        return None
    return ring


def _account(home: Path) -> str:
    return f"admin-token:{Path(home).expanduser().resolve()}"


def _read_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read_admin_token(home: Path) -> str | None:
    """The admin token of the emulator at ``home``: its file, else the keyring, else None."""
    token = _read_file(HomePaths(home).token)
    if token is not None:
        return token
    ring = usable_keyring()
    if ring is None:
        return None
    try:
        stored = ring.get_password(KEYRING_SERVICE, _account(home))
    except Exception:  # a locked or broken keyring: as if it held nothing
        log.debug("could not read the admin token from the OS keyring", exc_info=True)
        return None
    return str(stored) if stored else None


def ensure_admin_token(home: Path) -> tuple[str, str]:
    """The admin token, made on first use; and where it is: "keyring" or the file's path."""
    path = HomePaths(home).token
    ring = usable_keyring()
    if ring is not None:
        account = _account(home)
        stored = ring.get_password(KEYRING_SERVICE, account)
        if not stored:
            stored = _read_file(path) or secrets.token_urlsafe(32)
            ring.set_password(KEYRING_SERVICE, account, stored)
            log.info("the admin token is in the OS keyring (%s)", type(ring).__name__)
        path.unlink(missing_ok=True)  # moved into the keyring: one place only
        return str(stored), "keyring"
    token = _read_file(path)
    if token is not None:
        return token, str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    log.debug("no OS keyring here: the admin token is in %s (mode 0600)", path)
    return token, str(path)


def forget_admin_token(home: Path) -> bool:
    """Remove the token from the keyring (``emulator reset``); True when it was there."""
    ring = usable_keyring()
    if ring is None:
        return False
    try:
        ring.delete_password(KEYRING_SERVICE, _account(home))
    except Exception:  # keyring.errors.PasswordDeleteError: it held none
        return False
    return True
