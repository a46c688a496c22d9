"""The SDK ships inside every agent image, so it may import only the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "nexus"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


# Optional integrations, imported under ``except ImportError`` when the agent brings them.
OPTIONAL = {
    "nexus/ai/agents/_otel.py": {"opentelemetry", "requests"},
    "nexus/admin_credential.py": {"keyring"},  # the CLI's credential store, when installed
    # LangGraph's checkpointer and store: imported only by an agent that runs LangGraph
    "nexus/ai/agents/adapters/langgraph_memory.py": {"langgraph"},
    "nexus/ai/agents/_secret_refs.py": {"boto3"},  # AgentCore's secret references
}


def test_sdk_imports_only_the_standard_library() -> None:
    files = sorted(SDK.rglob("*.py"))
    assert len(files) > 5
    allowed = set(sys.stdlib_module_names) | {"nexus", "__future__"}
    outside = {
        f"{path.relative_to(SDK.parent)}: {root}"
        for path in files
        for root in imported_roots(path)
        - allowed
        - OPTIONAL.get(str(path.relative_to(SDK.parent)), set())
    }
    assert not outside, f"the SDK imports outside the standard library: {sorted(outside)}"
