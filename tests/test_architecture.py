"""The package's shape: no import cycle between its packages, and no module too long to read.

The layers themselves are import-linter contracts in pyproject.toml (`lint-imports` in
`make test`); this checks what a layers contract does not: cycles among modules it does not
place, found on the same import graph (grimp), and the size rule of the style guide.
"""

from __future__ import annotations

from pathlib import Path

import grimp

SOURCE = Path(__file__).resolve().parents[1] / "src" / "gaze"
MAX_MODULE_LINES = 450


def _package_of(module: str) -> str:
    """`gaze.jobs.store` -> `gaze.jobs`; a top-level module is its own package."""
    return ".".join(module.split(".")[:2])


def _package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("gaze")
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = _package_of(module)
        for imported in graph.find_modules_directly_imported_by(module):
            target = _package_of(imported)
            if target != source and target.startswith("gaze."):
                edges.setdefault(source, set()).add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_no_package_imports_another_that_imports_it_back() -> None:
    edges = _package_graph()
    assert len(edges) > 10, "the graph should hold every package of gaze"
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    planted = {"gaze.a": {"gaze.b"}, "gaze.b": {"gaze.c"}, "gaze.c": {"gaze.a"}, "gaze.d": set()}
    assert _cycles(planted) == [["gaze.a", "gaze.b", "gaze.c"]]


def test_no_module_is_longer_than_the_style_allows() -> None:
    too_long = {
        str(path.relative_to(SOURCE)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
