"""The alerts modules import each other without a cycle, late imports included.

A cycle hidden by an import inside a function (``checks → engine → notify → tasks →
checks`` once was) works until someone moves that import; so the graph is read from
the source, every import statement counted wherever it sits.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "alerts"
# Imports of our own modules inside a function, each with the reason it is late.
DOCUMENTED_LATE = {
    # AppConfig.ready registers the Celery tasks (``alerts.dispatch`` queues by name).
    ("alerts.apps", "alerts.tasks"),
}


def module_files() -> dict[str, Path]:
    found = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported module, imported inside a function) for each of our modules imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    late: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            late.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in modules:
                    targets.append(submodule)
                elif node.module in modules:
                    targets.append(node.module)
        found += [(target, id(node) in late) for target in targets]
    return found


def graph() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    modules = module_files()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    late = set()
    for module, path in modules.items():
        for target, is_late in imports_of(path, modules):
            if target == module:
                continue
            edges[module].add(target)
            if is_late:
                late.add((module, target))
    return edges, late


def test_the_alerts_import_graph_has_no_cycle():
    edges, _ = graph()
    try:
        list(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None


def test_no_module_imports_our_code_late_unless_documented():
    _, late = graph()
    assert late == DOCUMENTED_LATE


def test_the_graph_sees_the_engine_and_the_leaf_that_queues_deliveries():
    edges, _ = graph()
    assert "alerts.dispatch" in edges["alerts.engine"]
    assert edges["alerts.dispatch"] <= {"alerts.models"}
