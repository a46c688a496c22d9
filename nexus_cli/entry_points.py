"""The entry points of one group, read from the installed distributions' metadata files.

``importlib.metadata.entry_points`` parses every installed distribution's METADATA
with the email package to learn its name: 15-25 ms with a hundred packages, paid
by every command that loads its provider. The plugins' entry points are found the
same way here but only ``entry_points.txt`` is read (a few milliseconds): the
distributions on ``sys.path`` in order, the first distribution of a name wins, and
an entry point's module is imported only by :meth:`EntryPoint.load`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class EntryPoint:
    name: str
    value: str  # "package.module:attribute"
    group: str
    distribution: str  # as the distribution's METADATA names it
    path: Path  # its metadata directory

    def load(self) -> Any:
        """Import the module and return the attribute the entry point names."""
        module, _, attribute = self.value.partition(":")
        target: Any = import_module(module.strip())
        for part in attribute.split("[", 1)[0].strip().split("."):
            if part:
                target = getattr(target, part)
        return target


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def metadata_field(info: Path, key: str) -> str | None:
    """A header (``Name``, ``Version``) of a metadata directory's METADATA, read as text."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with (info / filename).open(encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith(f"{key}:"):
                        return line[len(key) + 1 :].strip()
                    if not line.strip():
                        break
        except OSError:
            continue
    return None


def _distribution_name(info: Path) -> str:
    """The ``Name:`` of a metadata directory (from its file name when METADATA says none)."""
    return metadata_field(info, "Name") or info.name.rsplit(".", 1)[0].split("-", 1)[0]


def _parse(text: str, group: str) -> list[tuple[str, str]]:
    """``name = value`` pairs of one ``[group]`` section of an entry_points.txt."""
    pairs: list[tuple[str, str]] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of ``group``, in ``sys.path`` order, none imported."""
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for location in sys.path:
        try:
            names = os.listdir(location or ".")
        except OSError:
            continue  # a zip file, or gone
        for name in names:
            if not name.endswith(_SUFFIXES):
                continue
            key = _normalized(name.rsplit(".", 1)[0].split("-", 1)[0])
            if key in seen:
                continue
            seen.add(key)
            info = Path(location or ".", name)
            try:
                text = (info / "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            pairs = _parse(text, group)
            if pairs:
                dist = _distribution_name(info)
                found += [EntryPoint(n, v, group, dist, info) for n, v in pairs]
    return found
