"""``nexus ai gateway``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.gateway.audit import audit
from nexus_cli.commands.gateway.model import app as model_app
from nexus_cli.commands.gateway.models import models
from nexus_cli.commands.gateway.quota import app as quota_app
from nexus_cli.commands.gateway.usage import usage

app = group("The AI gateway agents reach models through: models, quotas, audit, usage.")
app.command("models")(models)
app.add_typer(model_app, name="model")
app.add_typer(quota_app, name="quota")
app.command("audit")(audit)
app.command("usage")(usage)

__all__ = ["app"]
