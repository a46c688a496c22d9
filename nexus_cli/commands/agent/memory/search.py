"""``nexus ai agent memory search NAME QUERY [--mode text|vector|hybrid]``: ranked records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import JsonOpt
from nexus_cli.commands.agent.memory._common import NamespaceOpt

if TYPE_CHECKING:
    from nexus_api.memory import SearchHit


def _render(hits: list[SearchHit]) -> str:
    from nexus_cli.output import columns

    if not hits:
        return "No records match."
    rows = [[f"{h.score:.3f}", h.record.id, h.record.namespace, h.record.text] for h in hits]
    return columns(rows, ["SCORE", "ID", "NAMESPACE", "TEXT"])


def search(
    name: Annotated[str, typer.Argument(help="Agent name.")],
    query: Annotated[str, typer.Argument(help="Words to look for.")],
    namespace: NamespaceOpt = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="At most this many.")] = 5,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Only scores at least this.")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="text (FTS5 words), vector (meaning) or hybrid; default: hybrid when the "
            "agent has vectors on, else text.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Search an agent's long-term records; higher scores match better (text: BM25,
    vector: cosine similarity, hybrid: half of each, at most 1)."""
    from nexus_cli import output
    from nexus_cli.context import provider, use_json

    use_json(json_)
    if mode not in (None, "text", "vector", "hybrid"):
        from nexus_cli.errors import UsageError

        raise UsageError(f"--mode is text, vector or hybrid, not {mode!r}", hint="--mode hybrid")
    from nexus_api.memory import SearchIn

    asked = {"query": query, "namespace": namespace, "top_k": top_k, "min_score": min_score}
    hits = provider().memory_search(name, SearchIn.model_validate({**asked, "mode": mode}))
    output.emit(hits, _render)
