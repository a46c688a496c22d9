"""``nexus ai emulator``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.emulator.base_image import base_image
from nexus_cli.commands.emulator.logs import logs
from nexus_cli.commands.emulator.reset import reset
from nexus_cli.commands.emulator.start import start
from nexus_cli.commands.emulator.status import status
from nexus_cli.commands.emulator.stop import stop

app = group("The local emulator that hosts agents on this machine.")
app.command("start")(start)
app.command("stop")(stop)
app.command("status")(status)
app.command("logs")(logs)
app.command("reset")(reset)
app.command("base-image")(base_image)

__all__ = ["app"]
