"""``tarfile`` with extraction filters (PEP 706) on every supported Python.

CPython 3.11.0-3.11.3 (e.g. Debian bookworm's 3.11.2, the containerised emulator's
base) has no ``filter=`` nor ``data_filter``: there the same module comes from the
``backports.tarfile`` distribution, a copy of the standard library's newer tarfile.
"""

from __future__ import annotations

import importlib
import tarfile as _stdlib
from types import ModuleType


def _module() -> ModuleType:
    if hasattr(_stdlib, "data_filter"):
        return _stdlib
    return importlib.import_module("backports.tarfile")


tarfile: ModuleType = _module()
