"""Can every check id of the rubrics be found by grepping grader/checks/?"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
RUBRICS = [ROOT / "rubric.yaml", *sorted((ROOT / "rubrics").glob("*.yaml"))]


def _rubric_ids() -> set[str]:
    ids = set()
    for path in RUBRICS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for q in (data.get("questions") or {}).values():
            ids.update(c["id"] for c in q.get("checks") or ())
    return ids


def _string_constants() -> set[str]:
    out = set()
    for path in (ROOT / "grader" / "checks").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def test_every_rubric_id_is_a_literal_string_in_grader_checks():
    """Does every check id listed in rubric.yaml and rubrics/*.yaml appear as a whole string constant
    (not an f-string piece) in grader/checks/*.py?"""
    ids = _rubric_ids()
    assert len(ids) > 50, "the rubrics' check ids were not read"
    missing = sorted(ids - _string_constants())
    assert not missing, f"check ids not written out literally in grader/checks/: {missing}"
