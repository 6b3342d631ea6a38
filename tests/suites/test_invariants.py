"""The invariants that matter most: the reference scores full marks; the untouched stubs score zero."""

import subprocess
import sys

from grader import check
from grader.paths import project_root
from grader.results import Status
from tests.grader.subjects import gradable_rubric


def test_reference_scores_full_marks_on_every_question():
    """Does the reference pass every check of the default rubric (Q5 only where torch is installed)?"""
    results = check.run(implementation="reference", rubric=gradable_rubric())
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
    for q in results:
        assert q.points == q.max_points


def test_untouched_stubs_score_zero_and_every_check_says_not_implemented():
    """Do the generated stubs score 0 with every check 'not implemented' (never an error or a crash)?"""
    results = check.run(implementation="student", root=project_root())
    for q in results:
        assert q.points == 0
        for c in q.checks:
            assert c.status is Status.NOT_IMPLEMENTED, (c.check_id, c.status, c.message)
            assert "not implemented" in c.message


def test_check_cli_on_stubs_prints_tables_without_traceback_and_exits_1():
    proc = subprocess.run([sys.executable, "-m", "grader", "check"], capture_output=True, text=True, cwd=project_root())
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "not implemented" in proc.stdout
    assert "total: 0 /" in proc.stdout
