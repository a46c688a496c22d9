"""``nexus ai gateway model remove NAME``: stop routing a model name."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexus_cli.commands._options import JsonOpt


def remove(
    name: Annotated[str, typer.Argument(help="The routed model's name.")], json_: JsonOpt = False
) -> None:
    """Remove a routed model (agents calling it get 404 after)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)

    def _render(_: Any) -> str:
        return f"Removed model {name}."

    output.emit(provider().gateway_model_remove(name), _render)
