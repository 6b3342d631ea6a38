"""Does each check's declaration sit right after the functions it uses (its case, run and compare), so a module
reads top to bottom, with ``CHECKS`` listing the declarations in order at the end?"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.checks import registry

CHECKS_DIR = Path(registry.__file__).resolve().parent
MODULES = ["q1", "q2", "q3", "q4", "q5", "tp2"]


def _declarations(tree: ast.Module):
    """(index in the module body, name, call) of every top-level ``NAME = Check(...)`` or factory call."""
    found = []
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", "")
            if name.isupper() and name != "CHECKS":
                found.append((i, name, node.value))
    return found


@pytest.mark.parametrize("module", MODULES)
def test_each_declaration_follows_the_last_function_it_uses(module):
    tree = ast.parse((CHECKS_DIR / f"{module}.py").read_text(encoding="utf-8"))
    defs = {}  # what a declaration can use: top-level functions, classes and assigned names
    for i, n in enumerate(tree.body):
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            defs[n.name] = i
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                defs.update({x.id: i for x in ast.walk(t) if isinstance(x, ast.Name)})
    declared = _declarations(tree)
    assert declared, module
    misplaced = []
    for i, name, call in declared:
        used = [defs[n.id] for n in ast.walk(call) if isinstance(n, ast.Name) and n.id in defs and defs[n.id] != i]
        if not used:
            continue
        last = max(used)
        between = [tree.body[j] for j in range(last + 1, i)]
        # only other declarations (placed at the same spot) may stand between the functions and this one
        if last > i or any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in between):
            misplaced.append(name)
    assert not misplaced, f"{module}: declarations not beside their functions: {misplaced}"


@pytest.mark.parametrize("module", MODULES)
def test_checks_comes_last_and_names_every_declaration_once(module):
    """``CHECKS`` keeps the rubric's order (the table's rows), whatever the order the declarations are written in."""
    tree = ast.parse((CHECKS_DIR / f"{module}.py").read_text(encoding="utf-8"))
    names = {name for _, name, _ in _declarations(tree)}
    last = tree.body[-1]
    assert isinstance(last, (ast.Assign, ast.AnnAssign)) and "CHECKS" in ast.unparse(last).split("=")[0], module
    listed = [e.id for e in last.value.elts if isinstance(e, ast.Name)]
    assert len(listed) == len(set(listed)) and set(listed) == names, module
