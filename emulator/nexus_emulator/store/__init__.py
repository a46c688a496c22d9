"""The emulator's durable state: SQLite in WAL mode, changed only by numbered migrations."""

from nexus_emulator.store.db import Store

__all__ = ["Store"]
