"""Where each file of one ``NEXUS_HOME`` lives, for the emulator and the tools that start it.

``Settings.load().paths`` (``nexus.settings``) is the home the environment names.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HomePaths:
    """Where each file of one ``NEXUS_HOME`` lives."""

    root: Path

    def ensure(self) -> Path:
        """The home, created if missing, readable by its owner only (0700)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)
        return self.root

    @property
    def db(self) -> Path:
        """The emulator's state (SQLite, WAL; 0600, and so are its -wal and -shm files)."""
        return self.root / "state.db"

    @property
    def token(self) -> Path:
        """The admin token (0600), where no OS keyring holds it."""
        return self.root / "token"

    @property
    def info(self) -> Path:
        """The pid and port of the running emulator."""
        return self.root / "emulator.json"

    @property
    def log(self) -> Path:
        """The emulator's output when started in the background (0600)."""
        return self.root / "emulator.log"

    @property
    def lock(self) -> Path:
        """Held by whoever starts the emulator: one starter at a time."""
        return self.root / "emulator.lock"

    @property
    def sources(self) -> Path:
        """Uploaded projects, by digest."""
        return self.root / "sources"

    @property
    def builds(self) -> Path:
        """Unpacked sources and build contexts."""
        return self.root / "builds"

    @property
    def artifacts(self) -> Path:
        """Built versions of the process runtime."""
        return self.root / "artifacts"

    @property
    def replicas(self) -> Path:
        """Records and logs of the process runtime's replicas."""
        return self.root / "replicas"

    @property
    def images(self) -> Path:
        """Docker build contexts of base images made for a Python version."""
        return self.root / "images"

    @property
    def wheelhouse(self) -> Path:
        """Wheels built once per set of dependencies and reused by every build."""
        return self.root / "wheelhouse"

    @property
    def run(self) -> Path:
        """Replicas' secrets folders, where /dev/shm cannot be written."""
        return self.root / "run"

    @property
    def identity(self) -> Path:
        """The issuer's signing keys and the installation key (0700)."""
        return self.root / "identity"

    @property
    def secret_key(self) -> Path:
        """The secrets key, where there is no OS keyring (0600)."""
        return self.root / "secret.key"

    @property
    def webhooks(self) -> Path:
        """Per agent, the secrets (`whsec_…`, 0600) that sign its task webhooks."""
        return self.root / "webhooks"
