"""``nexus ai agent``: registers one command per verb module."""

from __future__ import annotations

from nexus_cli.commands._group import group
from nexus_cli.commands.agent.authorizer import app as authorizer_app
from nexus_cli.commands.agent.credential import app as credential_app
from nexus_cli.commands.agent.delete import delete
from nexus_cli.commands.agent.deploy import deploy
from nexus_cli.commands.agent.dev import dev
from nexus_cli.commands.agent.history import history
from nexus_cli.commands.agent.init import init
from nexus_cli.commands.agent.list import list_agents
from nexus_cli.commands.agent.logs import logs
from nexus_cli.commands.agent.memory import app as memory_app
from nexus_cli.commands.agent.metrics import metrics
from nexus_cli.commands.agent.rollback import rollback
from nexus_cli.commands.agent.run import run
from nexus_cli.commands.agent.scale import scale
from nexus_cli.commands.agent.secret import app as secret_app
from nexus_cli.commands.agent.status import status
from nexus_cli.commands.agent.task import app as task_app
from nexus_cli.commands.agent.traces import traces
from nexus_cli.commands.agent.webhook import app as webhook_app

app = group("Create, deploy, run and roll back agents.")
app.command("init")(init)
app.command("deploy")(deploy)
app.command("dev")(dev)
app.command("run")(run)
app.command("list")(list_agents)
app.command("status")(status)
app.command("history")(history)
app.command("rollback")(rollback)
app.command("logs")(logs)
app.command("metrics")(metrics)
app.command("traces")(traces)
app.command("scale")(scale)
app.add_typer(secret_app, name="secret")
app.add_typer(task_app, name="task")
app.add_typer(authorizer_app, name="authorizer")
app.add_typer(credential_app, name="credential")
app.add_typer(memory_app, name="memory")
app.add_typer(webhook_app, name="webhook")
app.command("delete")(delete)

__all__ = ["app"]
