"""Is there an import cycle in grader/?

Every module of the package is parsed with `ast`; every import counts, at any depth (inside functions,
under `if TYPE_CHECKING:`, in `try:` blocks), relative imports are resolved against the importing module,
and `from pkg import mod` is an edge to `pkg.mod` when `pkg/mod` is a module of the package. An edge to a
package is an edge to its `__init__`. The cycles are the strongly connected components of that graph with
more than one module (a package's `from . import x` in its own __init__ is no edge to itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every .py under `package_dir` (a package's name is its __init__)."""
    base = package_dir.parent
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a module of the package (None when it is outside)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in its body)."""
    modules = module_names(package_dir)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
            for target in targets:
                owner = _owner(target, modules)
                if owner is not None and owner != name:
                    graph[name].add(owner)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with a cycle (Tarjan, iterative), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return sorted(found, key=lambda c: (-len(c), sorted(c)))


def _describe(component: frozenset[str], graph: dict[str, set[str]]) -> str:
    arrows = [f"{a} -> {b}" for a in sorted(component) for b in sorted(graph[a] & component)]
    return "{" + ", ".join(sorted(component)) + "}: " + "; ".join(arrows)


def test_grader_has_no_import_cycle():
    """Does any set of grader modules import each other in a circle (function-level imports included)?"""
    graph = import_graph(ROOT / "grader")
    unexpected = cycles(graph)
    assert not unexpected, "import cycle(s) in grader/:\n" + "\n".join(_describe(c, graph) for c in unexpected)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_detector_finds_a_planted_cycle_through_a_function_level_relative_import(tmp_path):
    """Does the detector see a cycle whose closing arrow is a relative import inside a function?"""
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/sub/__init__.py": "",
            "pkg/b.py": "from .sub import c\n",
            "pkg/sub/c.py": "def f():\n    from .. import a\n    return a\n",
            "pkg/d.py": "import pkg.a\n",
        },
    )
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg", "pkg.b"}
    assert graph["pkg.sub.c"] == {"pkg", "pkg.a"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.sub.c"})]


def test_detector_counts_a_package_init_and_ignores_outside_imports(tmp_path):
    """Is `from pkg.x import name` an edge to pkg.x, and are stdlib imports and acyclic graphs left alone?"""
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "import os\nfrom pkg.x import VALUE\n",
            "pkg/x.py": "import json\nVALUE = 1\n",
        },
    )
    graph = import_graph(pkg)
    assert graph == {"pkg": {"pkg.x"}, "pkg.x": set()}
    assert cycles(graph) == []
    (pkg / "x.py").write_text("from . import VALUE\n", encoding="utf-8")
    assert cycles(import_graph(pkg)) == [frozenset({"pkg", "pkg.x"})]
