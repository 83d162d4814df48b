"""Imports point one way: no import cycle among the modules of baton, orchestration (its top level and
orchestration/asl) and quality.

The graph is read from the source with ``ast`` (no module is imported): every ``import`` and
``from ... import`` that runs, at module level or inside a function, between modules of these
packages. Imports under ``if TYPE_CHECKING:`` never run and are left out, so a type annotation may
name a class of a module that imports this one (the executor's state visit names its run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("baton", "orchestration/asl", "quality")  # with their subpackages
TOP_LEVELS = ("orchestration",)  # their own modules only (not orchestration/cli, deploy, views)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    paths = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    paths += [path for package in TOP_LEVELS for path in sorted((ROOT / package).glob("*.py"))]
    return {module_name(path): path for path in paths}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST, package: str) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every import that runs, relative imports resolved against ``package``."""
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for imported, names in runtime_imports(ast.parse(path.read_text(), str(path)), package):
            submodules = {f"{imported}.{item}" for item in names} & modules.keys()
            targets |= submodules or ({imported} & modules.keys())
        graph[name] = targets - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_in_baton_orchestration_and_quality():
    graph = import_graph(package_modules())
    assert {"orchestration.asl.executor", "orchestration.asl.states", "quality.report",
            "quality.predicates", "quality.compiled.plan", "baton.stage", "baton.stage_context",
            "orchestration.generate", "orchestration.local", "orchestration.executions"} <= graph.keys()
    assert "orchestration.asl.state_base" in graph["orchestration.asl.states"]
    assert {"baton.stage_context", "baton.stage_args"} <= graph["baton.stage"]
    assert "orchestration.pipeline_states" in graph["orchestration.generate"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("source, cycle", [
    ({"a": "import b", "b": "from . import c", "c": "from a import x"}, ["a", "b", "c", "a"]),
    ({"a": "import b", "b": "if TYPE_CHECKING:\n    import a"}, None),
    ({"a": "def f():\n    import b", "b": "import a"}, ["a", "b", "a"]),
])
def test_the_cycle_finder_sees_runtime_imports_only(tmp_path, source, cycle):
    modules = {}
    for name, text in source.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        modules[name] = path
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, names in runtime_imports(ast.parse(path.read_text()), ""):
            graph[name] |= ({imported, *names} & modules.keys()) - {name}
    assert find_cycle(graph) == cycle
