"""No import cycle among the modules of `functions/`.

A cycle hides behind an import inside a function as well as one at the top of a module, so
every import counts: `import a.b`, `from a import b` (b a module or a name in a) and relative
ones, wherever they are written. Modules that import each other, directly or through others,
form a strongly connected component of more than one module; the test names one of its cycles.
"""

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "functions"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module name an import in `tree` may load (a package's, or a name in it)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                anchor = package[: len(package) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *filter(None, [base])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in (ROOT / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = imported_names(tree, module, path.name == "__init__.py")
        graph[module] = {name for name in names if name in paths and name != module}
    return graph


def reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    waiting = [start]
    while waiting:
        for found in graph[waiting.pop()] - seen:
            seen.add(found)
            waiting.append(found)
    return seen


def cycle_through(graph: Mapping[str, set[str]], start: str) -> list[str]:
    """The shortest path from `start` back to itself (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for found in sorted(graph[module]):
                if found == start:
                    path = [module]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if found not in came_from:
                    came_from[found] = module
                    following.append(found)
        frontier = following
    return []


def cycles(graph: Mapping[str, set[str]]) -> list[str]:
    """One cycle for each strongly connected component of more than one module, and its
    modules."""
    reach = {module: reachable(graph, module) for module in graph}
    found, placed = [], set()
    for module in sorted(graph):
        component = {other for other in reach[module] if module in reach[other]}
        if len(component) > 1 and module not in placed:
            placed |= component
            found.append(
                " -> ".join(cycle_through(graph, module))
                + f" (the modules importing each other: {', '.join(sorted(component))})"
            )
    return found


def test_the_cycle_finder_names_a_cycle_and_passes_a_chain() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == [
        "a -> b -> c -> a (the modules importing each other: a, b, c)"
    ]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_sees_imports_inside_functions_and_relative_ones() -> None:
    graph = import_graph()

    assert "functions.publish.domain.publishing" in graph["functions.publish.workers.publisher"]
    assert (
        "functions.publish.adapters.platforms.base"
        in (graph["functions.publish.adapters.platforms.tiktok"])
    )


def test_no_module_of_functions_imports_itself_through_others() -> None:
    found = cycles(import_graph())

    assert not found, "import cycles: " + "; ".join(found)
