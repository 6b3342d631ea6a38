"""Does every case builder say, in one line, which arrays it returns and their shapes?

A case builder is any function whose name ends in ``_case`` in grader/checks/*.py, at module
level or nested (a factory such as ``_two_layer_case(reg)`` counts by its own name).
"""

from __future__ import annotations

import ast
from pathlib import Path

CHECKS_DIR = Path(__file__).resolve().parents[3] / "grader" / "checks"


def _builders() -> list[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for path in sorted(CHECKS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.endswith("_case"):
                found.append((path, node))
    return found


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(CHECKS_DIR.parents[1])}:{node.lineno}:{node.name}"


def test_there_are_case_builders():
    """Does the scan find the case builders at all (so that the tests below are not vacuous)?"""
    assert len(_builders()) >= 60


def test_every_case_builder_has_a_docstring():
    """Has every case builder a docstring whose first line is not empty?"""
    offenders = []
    for path, node in _builders():
        doc = ast.get_docstring(node, clean=False)
        if doc is None or not doc.strip() or not doc.splitlines()[0].strip():
            offenders.append(_where(path, node))
    assert not offenders, "case builders without a one-line docstring:\n" + "\n".join(offenders)


def test_every_case_builder_docstring_is_one_line():
    """Is every case builder's docstring a single line?"""
    offenders = []
    for path, node in _builders():
        doc = ast.get_docstring(node, clean=False)
        if doc is not None and "\n" in doc:
            offenders.append(_where(path, node))
    assert not offenders, "case builders whose docstring spans several lines:\n" + "\n".join(offenders)
