"""Where a failed check's code lives: ``student/layers.py:112 (affine_forward)`` for a FAIL row.

A wrong answer raises nothing, so no traceback names a line; the check's
``calls`` (``"layers.affine_forward"``, ``"fc_net.FullyConnectedNet.loss"``)
name the function under test, and its definition is found by parsing the
student's file (``ast``, never importing it). Used by ``check`` on the
student's own machine; a file that does not parse or a name not found gives ''.
"""
from __future__ import annotations

import ast
from pathlib import Path

from .checks.base import MODULES

#: Files larger than this are not parsed for a location.
MAX_BYTES = 2_000_000


def definition(root: Path, package: str, call: str) -> str:
    """``<package>/<module>.py:LINE (name)`` of ``call``'s definition, or ''."""
    head, _, rest = call.partition(".")
    module = MODULES.get(head, head)
    rel = Path(package.replace(".", "/"), *module.split("."))
    path = Path(root) / rel.with_suffix(".py")
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return ""
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return ""
    node: ast.AST = tree
    names = [n for n in rest.split(".") if n]
    for name in names:
        found = next(
            (
                child
                for child in getattr(node, "body", [])
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child.name == name
            ),
            None,
        )
        if found is None:
            return ""
        node = found
    if node is tree:
        return ""
    return f"{rel.with_suffix('.py').as_posix()}:{node.lineno} ({rest})"
