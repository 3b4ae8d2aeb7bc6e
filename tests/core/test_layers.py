"""The package's import graph: every import (function-local ones included) runs downward through the layers
below, siblings of one layer do not import each other, and no module imports itself back through others.

A module may import from its own top-level package and from any lower layer. Late binding by name (the
registries' built-in tables and entry points, ``importlib.import_module``) is how a lower layer reaches a
plug-in above it; it is not an import here, and neither is an import only for type checkers
(``if TYPE_CHECKING:``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import openseeker

SRC = Path(openseeker.__file__).resolve().parent

# top to bottom; names in one row are siblings that must not import each other
LAYERS: list[list[str]] = [
    ["cli"],
    ["testing"],
    ["quickstart"],
    ["evaluate", "export", "train"],
    ["synth"],
    ["agent", "mcp_server"],
    ["toolbox", "default_corpus"],
    ["judge"],
    ["corpus", "web", "worldgen"],
    ["tools"],
    ["pipeline"],
    ["llm"],
    ["io", "text", "prose", "concurrency", "activity", "clues"],
    ["config"],
    ["redaction", "records", "registry"],
    ["errors", "__init__"],
]
RANK = {name: i for i, row in enumerate(LAYERS) for name in row}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> dict[str, set[str]]:
    """module -> the openseeker modules it imports (``from a import b`` counts ``a`` and ``a.b``)."""
    known = {_module(p) for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        mod = _module(path)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for n in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                if t.startswith("openseeker") and t in known and t != mod:
                    graph[mod].add(t)
    return graph


def test_every_module_has_a_layer():
    missing = sorted({_group(_module(p)) for p in SRC.rglob("*.py")} - set(RANK))
    assert not missing, f"add these packages to LAYERS: {missing}"


def test_imports_run_downward():
    bad = []
    for mod, targets in sorted(_imports().items()):
        for t in sorted(targets):
            a, b = _group(mod), _group(t)
            if a != b and RANK[b] <= RANK[a]:
                bad.append(f"{mod} -> {t}" + (" (sibling)" if RANK[a] == RANK[b] else " (upward)"))
    assert not bad, "imports that do not run downward:\n" + "\n".join(bad)


def test_no_cycles_between_modules():
    graph = _imports()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules (the __init__ re-exports them)
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles[:20])
