"""The package's modules depend downward only: no import cycle, function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "termfit"


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _with_parents(name: str, known: set[str]) -> set[str]:
    """``name`` and the packages above it that are part of the package (importing runs them)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its body (via ``ast``)."""
    files = {_module_name(p, src): p for p in (src / PACKAGE).rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    deps |= _with_parents(alias.name, known)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                deps |= _with_parents(base, known)
                for alias in node.names:  # "from termfit import export" imports a module
                    deps |= {f"{base}.{alias.name}"} & known
        deps.discard(name)
        graph[name] = {d for d in deps if not name.startswith(d + ".")}  # parents run first
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_finder_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from termfit import b\n")
    (pkg / "b.py").write_text("from termfit.sub.c import x\n")
    (pkg / "sub" / "c.py").write_text("from .. import a\n")
    graph = import_graph(tmp_path)
    assert graph["termfit.a"] == {"termfit.b"}  # its own parent package is not a dependency
    assert graph["termfit.sub.c"] == {"termfit.a"}
    assert graph["termfit.b"] == {"termfit.sub", "termfit.sub.c"}
    assert find_cycle(graph) == ["termfit.a", "termfit.b", "termfit.sub.c", "termfit.a"]


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert {"termfit.models", "termfit.export", "termfit.runtime"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_loading_side_of_exports_does_not_import_the_exporter():
    graph = import_graph()
    assert "termfit.export" not in graph["termfit.models"]
    assert "termfit.export" not in graph["termfit.runtime"]
    assert "termfit.models" not in graph["termfit.trim"]
