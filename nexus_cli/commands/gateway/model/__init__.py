"""``nexus ai gateway model``: one command per verb module, imported when it is used."""

from __future__ import annotations

from nexus_cli.commands._group import Lazy, group

_HERE = "nexus_cli.commands.gateway.model"

app = group(
    "Models the gateway routes to an upstream (any OpenAI-compatible URL).",
    lazy={
        "add": Lazy(
            f"{_HERE}.add:add",
            "Route a model name to an upstream: OpenAI-compatible (OpenAI, Ollama, vLLM, "
            "LiteLLM), Anthropic or Amazon Bedrock; its key is each calling agent's credential.",
        ),
        "remove": Lazy(
            f"{_HERE}.remove:remove", "Remove a routed model (agents calling it get 404 after)."
        ),
    },
)

__all__ = ["app"]
