"""Secrets: encrypted at rest in the state database, the key kept out of it.

The key (Fernet: AES-128-CBC with HMAC-SHA256) lives in the OS keyring when
one is usable, else in ``$NEXUS_HOME/secret.key`` (0600); which one is said
once, in the emulator's log and in the first answer that creates the key.
Values are never logged and never returned by the API: listing shows names,
scopes and a short keyed digest (HMAC-SHA256 with this installation's key, so it
tells versions apart without confirming a guessed value).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexus.admin_credential import usable_keyring
from nexus.ai import spec
from nexus.settings import HomePaths
from nexus_emulator import errors
from nexus_emulator.store import Store

log = logging.getLogger("nexus_emulator.vault")
ALL = "*"
KEYRING_SERVICE = "nexus-emulator"


@dataclass(frozen=True)
class SecretInfo:
    name: str
    scope: str  # an environment, or * for every environment
    digest: str
    updated_at: float


def check_name(name: str) -> str:
    """A secret's name that follows the rules, else 400."""
    return errors.checked(spec.check_secret_name, name)


class Vault:
    def __init__(self, store: Store, home: Path, digest: Callable[[str], str]) -> None:
        self.store = store
        self.home = home
        self.digest = digest
        self._fernet: Any = None
        self.key_store: str | None = None  # "keyring" or the key file's path
        self.key_created = False

    def take_key_created(self) -> bool:
        """Whether the key was just created (said once: true for one caller only)."""
        created, self.key_created = self.key_created, False
        return created

    def _cipher(self) -> Any:
        if self._fernet is None:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(self._key())
        return self._fernet

    def _key(self) -> bytes:
        from cryptography.fernet import Fernet

        account = str(self.home)
        ring = usable_keyring()
        if ring is not None:
            stored = ring.get_password(KEYRING_SERVICE, account)
            if stored is None:
                stored = Fernet.generate_key().decode()
                ring.set_password(KEYRING_SERVICE, account, stored)
                self.key_created = True
                log.info("created the secrets key in the OS keyring")
            self.key_store = "keyring"
            return str(stored).encode()
        path = HomePaths(self.home).secret_key
        self.key_store = str(path)
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        self.key_created = True
        log.warning("no OS keyring here: the secrets key is in %s (mode 0600)", path)
        return key

    def set(self, agent: str, scope: str, name: str, value: str) -> SecretInfo:
        check_name(name)
        digest = self.digest(value)
        token = self._cipher().encrypt(value.encode())
        now = time.time()
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            self.store.conn.execute(
                "INSERT INTO secrets(agent, scope, name, ciphertext, digest, updated_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(agent, scope, name) DO UPDATE SET "
                "ciphertext=excluded.ciphertext, digest=excluded.digest, "
                "updated_at=excluded.updated_at",
                (agent, scope, name, token, digest, now),
            )
        return SecretInfo(name, scope, digest, now)

    def delete(self, agent: str, scope: str, name: str) -> bool:
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            cur = self.store.conn.execute(
                "DELETE FROM secrets WHERE agent=? AND scope=? AND name=?", (agent, scope, name)
            )
        return cur.rowcount > 0

    def forget(self, agent: str) -> None:
        with self.store.conn:
            self.store.conn.execute("BEGIN IMMEDIATE")
            self.store.conn.execute("DELETE FROM secrets WHERE agent=?", (agent,))
            self.store.conn.execute("DELETE FROM credentials WHERE agent=?", (agent,))

    def list(self, agent: str) -> list[SecretInfo]:
        rows = self.store.conn.execute(
            "SELECT name, scope, digest, updated_at FROM secrets WHERE agent=? "
            "ORDER BY name, scope",
            (agent,),
        ).fetchall()
        return [SecretInfo(r[0], r[1], r[2], r[3]) for r in rows]

    def encrypt(self, value: str) -> bytes:
        """``value`` encrypted with the secrets key (for other parts keeping values at rest)."""
        token: bytes = self._cipher().encrypt(value.encode())
        return token

    def decrypt(self, token: bytes) -> str:
        value: bytes = self._cipher().decrypt(token)
        return value.decode()

    def resolve(self, agent: str, env: str) -> dict[str, str]:
        """The values a replica of ``agent`` in ``env`` gets: its env's over the agent-wide."""
        rows = self.store.conn.execute(
            "SELECT name, scope, ciphertext FROM secrets WHERE agent=? AND scope IN (?, ?)",
            (agent, ALL, env),
        ).fetchall()
        if not rows:
            return {}
        values: dict[str, str] = {}
        for name, _scope, token in sorted(rows, key=lambda r: r[1] != ALL):
            values[name] = self._cipher().decrypt(token).decode()
        return values
