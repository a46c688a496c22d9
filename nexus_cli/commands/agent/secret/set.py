"""``nexus ai agent secret set NAME KEY [VALUE]``: store a secret, restart the replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt

if TYPE_CHECKING:
    from nexus_api.models import SecretChange


def render(change: SecretChange) -> str:
    where = "every environment" if change.scope == "*" else change.scope
    verb = "Deleted" if change.deleted else "Set"
    text = f"{verb} secret {change.name} for {where}"
    if change.digest:
        text += f" ({change.digest})"
    if change.restarted:
        text += f"; restarted the replicas of {', '.join(change.restarted)}"
    return text + "."


def read_value(key: str, value: str | None) -> str:
    """The value from the argument, else stdin (``-`` or a pipe), else a hidden prompt."""
    import sys

    from nexus_cli.errors import UsageError

    if value is not None and value != "-":
        return value
    if value == "-" or not sys.stdin.isatty():
        data = sys.stdin.read()
        return data[:-1] if data.endswith("\n") else data
    entered = typer.prompt(f"Value of {key}", hide_input=True)
    if not entered:
        raise UsageError("no value given", hint="type it at the prompt, or pipe it in")
    return str(entered)


def set_secret(
    name: AgentArg,
    key: Annotated[str, typer.Argument(help="Variable name, e.g. EXTERNAL_API_KEY.")],
    value: Annotated[
        str | None,
        typer.Argument(help="The value; leave it out (or -) to type it hidden or pipe it in."),
    ] = None,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Set a secret for every environment (or one --env); running replicas restart."""
    from nexus.ai.spec import check_secret_name
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider
    from nexus_cli.errors import checked

    begin(json_, name, env)
    checked(check_secret_name, key)
    secret = read_value(key, value)
    with output.progress(f"Setting {key} for {name}"):
        change = provider(env).secret_set(name, key, secret, env)
    from nexus_cli import completion

    completion.change_secret(name, key, present=True)
    if change.key_created and change.key_store and change.key_store != "keyring":
        output.notice(
            f"No OS keyring here: secrets are encrypted with a key kept in {change.key_store} "
            "(mode 0600)."
        )
    output.emit(change, render)
