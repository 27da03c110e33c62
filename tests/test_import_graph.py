"""The project's import graph, read from the source: no cycle between modules or between apps.

Every import statement counts wherever it sits, since an import inside a function hides a
cycle only until someone moves it. A submodule's import of its own package (running the
package's ``__init__``) is not an edge. ``agrimon`` is the project: it wires every app
(settings, URLs, ASGI), so apps may read only its typed configuration. The demo and the
benchmarks sit above the product: no app imports them.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = (
    "vocabulary", "farm", "sensors", "alerts", "vision", "traceability", "monitoring",
    "aeration", "phone", "regional",
)  # fmt: skip
ABOVE = ("agrimon", "demo", "bench")
PROJECT_MODULES_APPS_MAY_USE = {"agrimon.config"}


def module_files() -> dict[str, Path]:
    found = {}
    for package in APPS + ABOVE:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif node.module in modules:
                    found.add(node.module)
    return found


def module_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {
        name: {t for t in imported(path, modules) if t != name and not name.startswith(t + ".")}
        for name, path in modules.items()
    }


def app_of(module: str) -> str:
    return module.split(".")[0]


def assert_acyclic(edges: dict[str, set[str]]) -> None:
    try:
        list(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None


def test_no_module_imports_another_in_a_cycle():
    assert_acyclic(module_graph())


def test_the_apps_depend_on_each_other_without_a_cycle():
    apps: dict[str, set[str]] = {app: set() for app in APPS}
    for module, targets in module_graph().items():
        if app_of(module) in APPS:
            apps[app_of(module)] |= {app_of(t) for t in targets} & set(APPS) - {app_of(module)}
    assert_acyclic(apps)
    assert apps["vocabulary"] == set() and apps["farm"] <= {"vocabulary"}


def test_apps_use_the_project_only_for_its_configuration_and_never_the_demo_or_benchmarks():
    wrong = {
        (module, target)
        for module, targets in module_graph().items()
        if app_of(module) in APPS
        for target in targets
        if app_of(target) in ABOVE and target not in PROJECT_MODULES_APPS_MAY_USE
    }
    assert wrong == set()
