"""Where the secrets key is kept: the OS keyring when one is usable, else a 0600 file.

The suite turns the OS keyring off (tests/conftest.py); here a keyring backend of
this process stands in for the OS one, through keyring's own backend interface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from nexus_emulator.store import Store
from nexus_emulator.vault import KEYRING_SERVICE, Vault


class ProcessKeyring(KeyringBackend):
    """A keyring held in this process's memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


def digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessKeyring]:
    monkeypatch.delenv("NEXUS_KEYRING", raising=False)
    before = keyring.get_keyring()
    backend = ProcessKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


def test_the_key_goes_to_a_usable_keyring(ring: ProcessKeyring, tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    try:
        vault = Vault(store, tmp_path, digest)
        vault.set("a", "*", "TOKEN", "s3cret")
        assert vault.key_store == "keyring"
        assert vault.take_key_created()
        assert list(ring.passwords) == [(KEYRING_SERVICE, str(tmp_path))]
        assert not (tmp_path / "secret.key").exists()
        again = Vault(store, tmp_path, digest)  # a restarted emulator reads the same key
        assert again.resolve("a", "development") == {"TOKEN": "s3cret"}
        assert not again.take_key_created()
    finally:
        store.close()


def test_keyring_off_keeps_the_key_in_a_0600_file(
    ring: ProcessKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_KEYRING", "off")
    store = Store(tmp_path / "state.db")
    try:
        vault = Vault(store, tmp_path, digest)
        vault.set("a", "*", "TOKEN", "s3cret")
        key = tmp_path / "secret.key"
        assert vault.key_store == str(key)
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        assert ring.passwords == {}
        assert Vault(store, tmp_path, digest).resolve("a", "staging") == {"TOKEN": "s3cret"}
    finally:
        store.close()
