"""What a plugin uses to add a command group to ``nexus ai`` (the ``nexus.commands`` hook).

A plugin declares its groups in its ``pyproject.toml``, one entry point per group::

    [project.entry-points."nexus.commands"]
    emulator = "nexus_local.commands:app"

The name is the command under ``nexus ai``; the value names a ``typer.Typer`` app
made with :func:`group`. ``nexus`` reads the names from package metadata without
importing anything, and imports the module only when that group runs or when
``nexus ai --help`` shows its one-line summary. So the module imports only typer
and this module at import time, and names its verbs with :class:`Lazy` (where each
is, and its one-line summary): a verb's module is imported only when it runs or
its own help is shown, not for the group's help page or completion (the local
provider's ``nexus_local/commands/`` is the example). A name that is
already a built-in command is ignored. Verbs print through ``nexus_cli.output``,
read ``--json`` with ``nexus_cli.context.use_json`` and raise ``nexus_cli.errors``.
"""

from __future__ import annotations

from nexus_cli.commands._cells import ago, runtime_line
from nexus_cli.commands._group import Lazy, group
from nexus_cli.commands._options import JsonOpt, YesOpt

GROUP = "nexus.commands"

__all__ = ["GROUP", "JsonOpt", "Lazy", "YesOpt", "ago", "group", "runtime_line"]
