"""Do correct alternatives of Q3 score full marks?

A correct solution written differently from the reference (loops instead of
vectorised code, in-place updates, another way to draw a dropout mask) must
pass every check. Each alternative (tests/mutants/q3.py ``ALTERNATIVES``) is a set
of textual edits of the reference, built like a mutant (``tests.mutants``), that
must lose nothing on Q1 and Q3.
"""

from __future__ import annotations

import pytest

from grader import check
from tests.mutants import build_alternative
from tests.mutants.q3 import ALTERNATIVES

QUESTIONS = ("q1", "q3")


@pytest.mark.parametrize("alt", ALTERNATIVES, ids=[a.name for a in ALTERNATIVES])
def test_correct_alternative_scores_full_marks(alt, tmp_path):
    """Does a correct solution written differently from the reference pass every check of Q1 and Q3?"""
    build_alternative(alt, tmp_path)
    results = check.run(list(QUESTIONS), implementation="mutant", root=tmp_path)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
