"""The layers point one way, read from the source with ``ast`` (nothing is imported).

    nexus (SDK)  <-  nexus_api  <-  nexus_cli, nexus_emulator (peers)  <-  providers

Imports under ``if TYPE_CHECKING:`` are kept apart: they never run, so they may
close a cycle; every other import counts, a lazy one inside a function too.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "nexus": ROOT / "nexus",
    "nexus_api": ROOT / "nexus_api",
    "nexus_cli": ROOT / "nexus_cli",
    "nexus_emulator": ROOT / "emulator" / "nexus_emulator",
    # every plugin folder: the providers and the image kit they share
    **{pkg.name: pkg for pkg in sorted(ROOT.glob("plugins/*/nexus_*")) if pkg.is_dir()},
}
PROVIDERS = {name for name, path in PACKAGES.items() if path.parent.parent.name == "plugins"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported (a submodule when ``from pkg import sub``)
    type_only: bool  # under ``if TYPE_CHECKING:``
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def module_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [top, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path) -> list[Import]:
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[Import] = []

    def walk(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for stmt in child.body:
                    walk_one(stmt, True)
                for stmt in child.orelse:
                    walk_one(stmt, type_only)
            else:
                walk_one(child, type_only)

    def walk_one(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(module, a.name, type_only, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append(
                    Import(module, sub if sub in MODULES else target, type_only, node.lineno)
                )
        else:
            walk(node, type_only)

    walk(ast.parse(path.read_text(), str(path)), False)
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in imports_of(module, path)]


def top(name: str) -> str:
    return name.split(".")[0]


def offending(source_top: str, allowed: set[str]) -> list[str]:
    """Imports from ``source_top`` whose target package is neither the standard library,
    the package itself nor one of ``allowed``."""
    return sorted(
        str(imp)
        for imp in IMPORTS
        if top(imp.source) == source_top
        and top(imp.target) not in {source_top, "__future__", *allowed}
        and top(imp.target) not in sys.stdlib_module_names
    )


def crossing(source_top: str, forbidden: set[str]) -> list[str]:
    return sorted(
        str(imp)
        for imp in IMPORTS
        if top(imp.source) == source_top and top(imp.target) in forbidden
    )


def test_the_graph_was_read() -> None:
    assert len(MODULES) > 100
    base = {(imp.target, imp.type_only) for imp in IMPORTS if imp.source == "nexus_cli.context"}
    assert ("nexus_cli.providers.base", True) in base  # under TYPE_CHECKING
    relative = {imp.target for imp in IMPORTS if imp.source == "nexus_emulator.runtime.docker"}
    assert "nexus_emulator.runtime.base" in relative  # from .base import ...


# Optional integrations: imported inside ``try: … except ImportError`` only when the agent
# itself depends on the package (nexus/ai/agents/_otel.py: its own OpenTelemetry spans), or
# where the CLI installs it (nexus/admin_credential.py: the OS keyring), or boto3 for an
# AgentCore agent's secret references (nexus/ai/agents/_secret_refs.py), or LangGraph in the
# module an agent built on LangGraph imports for its checkpointer and store.
SDK_OPTIONAL = {
    ("nexus.ai.agents.adapters.langgraph_memory", "langgraph"),
    ("nexus.ai.agents._otel", "opentelemetry"),
    ("nexus.ai.agents._otel", "requests"),
    ("nexus.admin_credential", "keyring"),
    ("nexus.ai.agents._secret_refs", "boto3"),
}


def test_the_sdk_imports_only_the_standard_library() -> None:
    optional = {str(imp) for imp in IMPORTS if (imp.source, top(imp.target)) in SDK_OPTIONAL}
    assert [i for i in offending("nexus", set()) if i not in optional] == []


def test_the_api_package_imports_only_pydantic_and_the_sdk() -> None:
    assert offending("nexus_api", {"pydantic", "nexus"}) == []


def test_the_emulator_imports_neither_the_cli_nor_a_provider() -> None:
    assert crossing("nexus_emulator", {"nexus_cli", *PROVIDERS}) == []


def test_the_cli_core_imports_neither_the_emulator_nor_a_provider() -> None:
    # providers and their commands come in through entry points
    assert crossing("nexus_cli", {"nexus_emulator", *PROVIDERS}) == []


def test_no_private_module_is_imported_from_another_package() -> None:
    """``a.b._c`` is for ``a.b``: never imported from another top-level package, and in the
    emulator not from another of its subpackages either (``api`` from ``runtime._x``)."""
    wrong = []
    for imp in IMPORTS:
        parts = imp.target.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_") and part[1:2] != "_"]
        if not private:
            continue
        owner = ".".join(parts[: private[0]])
        inside = imp.source == owner or imp.source.startswith(owner + ".")
        if top(imp.source) != top(imp.target) or (
            top(imp.source) == "nexus_emulator" and not inside
        ):
            wrong.append(str(imp))
    assert sorted(wrong) == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def emulator_edges() -> dict[str, set[str]]:
    """Module -> the modules it imports when it runs (TYPE_CHECKING-only imports left out)."""
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        if (
            top(imp.source) == top(imp.target) == "nexus_emulator"
            and imp.source != imp.target
            and not imp.type_only
        ):
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_emulator_modules_import_each_other_without_cycles() -> None:
    """A cycle through ``if TYPE_CHECKING:`` imports only is allowed: it never runs."""
    edges = emulator_edges()
    assert "nexus_emulator.deployer" in edges
    assert cycles(edges) == []


def test_the_views_and_the_deployer_do_not_know_each_other() -> None:
    """The deployer returns typed outcomes; routes render them through the views."""
    pairs = {(imp.source, imp.target) for imp in IMPORTS}
    assert ("nexus_emulator.views", "nexus_emulator.deployer") not in pairs
    assert ("nexus_emulator.deployer", "nexus_emulator.views") not in pairs


def test_the_emulator_defines_no_wire_shapes_of_its_own() -> None:
    """Request bodies and answers are pydantic models of nexus_api, shared with the clients."""
    models = []
    for module, path in MODULES.items():
        if top(module) != "nexus_emulator":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id == "BaseModel")
                or (isinstance(b, ast.Attribute) and b.attr == "BaseModel")
                for b in node.bases
            ):
                models.append(f"{module}.{node.name}")
    assert sorted(models) == []


DEPLOYER_PARTS = {"pools", "store", "replicas", "config", "runtime"}


def reach_through_deployer(source: str) -> list[str]:
    """``deployer.pools``, ``em.deployer.store``, …: a part read through a deployer."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or node.attr not in DEPLOYER_PARTS:
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id == "deployer") or (
            isinstance(owner, ast.Attribute) and owner.attr == "deployer"
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found)


def test_the_reach_through_finder_finds_one() -> None:
    code = "deployer.pools.all()\nem.deployer.store.x\nself.deployer.lock('a')\nstore.runtime\n"
    assert reach_through_deployer(code) == ["1: deployer.pools", "2: em.deployer.store"]


def test_no_module_reaches_through_the_deployer_for_its_parts() -> None:
    """Scaling, health, reconcile and the routes are given the store, the pools, the replicas
    and the runtime they use (wired in core.py); the deployer is not their way to them."""
    found = [
        f"{module}:{hit}"
        for module, path in MODULES.items()
        if module != "nexus_emulator.deployer"
        for hit in reach_through_deployer(path.read_text())
    ]
    assert found == []


def test_scaling_health_and_reconcile_do_not_import_the_deployer() -> None:
    pairs = {(imp.source, imp.target) for imp in IMPORTS}
    for module in ("scaling", "health", "reconcile"):
        assert (f"nexus_emulator.{module}", "nexus_emulator.deployer") not in pairs
        assert f"nexus_emulator.{module}" in MODULES  # the module is still there to check
