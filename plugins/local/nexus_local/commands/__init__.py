"""``nexus ai emulator``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.plugin import group
from nexus_local.commands.base_image import base_image
from nexus_local.commands.gc import gc
from nexus_local.commands.logs import logs
from nexus_local.commands.reset import reset
from nexus_local.commands.start import start
from nexus_local.commands.status import status
from nexus_local.commands.stop import stop
from nexus_local.commands.token import token

app = group("The local emulator that hosts agents on this machine.")
app.command("start")(start)
app.command("stop")(stop)
app.command("status")(status)
app.command("logs")(logs)
app.command("reset")(reset)
app.command("gc")(gc)
app.command("base-image")(base_image)
app.command("token")(token)

__all__ = ["app"]
