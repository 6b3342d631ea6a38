"""Does every known bug lose points on the check it breaks, and only in its own question?"""

import ast
import dataclasses

import pytest

from grader import check
from grader import rubric as rubric_mod
from tests.mutants import ROOT, all_mutants, build_package

MUTANTS = all_mutants()

#: Q5's module imports nothing from the package (test below), so a mutant of
#: another file cannot reach Q5: those mutants skip its checks, which cost
#: about 6 s per run (torch's import and first optimizer step).
ISOLATED = {"q5": "pytorch_models.py"}


def test_isolated_questions_import_nothing_from_the_package():
    for path in ISOLATED.values():
        tree = ast.parse((ROOT / "reference" / path).read_text())
        local = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
        assert not local, f"{path} imports from the package: {[ast.unparse(n) for n in local]}"


def rubric_for(mutant):
    rubric = rubric_mod.load(ROOT / mutant.rubric) if mutant.rubric else rubric_mod.load()
    keep = tuple(q for q in rubric.questions if ISOLATED.get(q.id, mutant.file) == mutant.file)
    return dataclasses.replace(rubric, questions=keep)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points_where_it_should(mutant, tmp_path):
    build_package(mutant, tmp_path)
    results = check.run(implementation="mutant", root=tmp_path, rubric=rubric_for(mutant))
    failed = {c.check_id: c for q in results for c in q.checks if not c.passed}
    missing = [cid for cid in mutant.breaks if cid not in failed]
    assert not missing, f"{mutant.name}: these checks did not catch it: {missing}"
    own_questions = {c.question for c in failed.values() if c.check_id in mutant.breaks}
    elsewhere = {cid: c.question for cid, c in failed.items() if c.question not in own_questions}
    assert not elsewhere, f"{mutant.name}: lost points in other questions: {elsewhere}"
    for q in results:
        if q.question not in own_questions:
            assert q.points == q.max_points
    if mutant.diagnosis:
        first = failed[mutant.breaks[0]]
        assert mutant.diagnosis in first.message, first.message
