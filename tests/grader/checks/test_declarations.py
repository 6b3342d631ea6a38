"""Are the check declarations of Q1 to Q4 well formed, and are their cases deterministic and left intact?

The correct alternatives of each question are in test_q1.py ... test_q4.py.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from grader import fixtures
from grader.checks import q2, q4, registry
from grader.checks.base import Impl
from grader.fixtures import case_for
from grader.wrong_answers import WRONG_ANSWERS

QUESTIONS = ("q1", "q3")
CHECKS = [c for q in QUESTIONS for c in registry.for_question(q)]
IDS = [c.id for c in CHECKS]

# ---------------------------------------------------------------------------
# Q1 and Q3
# ---------------------------------------------------------------------------


def test_ids_are_snake_case_and_tolerances_positive():
    """Is every Q1/Q3 check id snake_case, with a positive tolerance and a title?"""
    for c in CHECKS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert c.tolerance > 0 and c.title


def test_the_rubric_gives_q1_30_points_and_q3_10():
    from grader import rubric

    r = rubric.load()
    assert r.question("q1").points == 30
    assert r.question("q3").points == 10
    assert {s.id for q in QUESTIONS for s in r.question(q).checks} == set(IDS)


@pytest.mark.parametrize("c", CHECKS, ids=IDS)
def test_public_case_is_deterministic_and_hidden_cases_differ(c):
    """Is the public case the same at every draw, and do hidden cases use other inputs?"""
    a, b = fixtures.case_for(c), fixtures.case_for(c)
    assert a.params == b.params and all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    for salt in ("s1", "s2", "s3"):
        h = fixtures.case_for(c, salt, hidden=True)
        differs = (
            h.params != a.params
            or set(h.arrays) != set(a.arrays)
            or any(h.arrays[k].shape != a.arrays[k].shape for k in a.arrays)
        )
        if differs:
            return
    pytest.fail(f"{c.id}: three hidden cases have the public case's shapes and parameters")


@pytest.mark.parametrize("c", CHECKS, ids=IDS)
def test_run_leaves_the_case_intact_and_is_reproducible(c):
    """Does run() work on copies of its inputs, and give the same outputs twice (seeded randomness)?"""
    case = fixtures.case_for(c)
    before = {k: v.copy() for k, v in case.arrays.items()}
    ref = Impl("reference")
    first = c.run(ref, case)
    second = c.run(ref, case)
    for k, v in before.items():
        assert np.array_equal(case.arrays[k], v), f"{c.id} altered its input {k}"
    assert set(first) == set(second)
    for k in first:
        assert np.array_equal(first[k], second[k]), f"{c.id}: output {k} differs between two runs"


# ---------------------------------------------------------------------------
# Q2 and Q4
# ---------------------------------------------------------------------------

CHECKS_Q2_Q4 = q2.CHECKS + q4.CHECKS


def test_check_declarations_are_well_formed():
    """Are the ids unique snake_case, the tolerances positive, the wrong answers registered?"""
    ids = [c.id for c in CHECKS_Q2_Q4]
    assert len(ids) == len(set(ids))
    for c in CHECKS_Q2_Q4:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert c.question in ("q2", "q4")
        assert c.tolerance > 0
        assert c.calls, c.id
        for name in c.wrong_answers:
            assert name in WRONG_ANSWERS, (c.id, name)
        assert registry.get(c.id) is c


@pytest.mark.parametrize("check", CHECKS_Q2_Q4, ids=[c.id for c in CHECKS_Q2_Q4])
def test_public_case_is_deterministic_and_transportable(check):
    """Is the public case the same at every draw, with JSON parameters and plain array names?"""
    a, b = case_for(check), case_for(check)
    assert sorted(a.arrays) == sorted(b.arrays)
    for k in a.arrays:
        assert "|" not in k
        assert np.array_equal(a.arrays[k], b.arrays[k])
        assert a.arrays[k].dtype.kind in "biuf"
    assert json.dumps(dict(a.params), sort_keys=True) == json.dumps(dict(b.params), sort_keys=True)


@pytest.mark.parametrize("check", CHECKS_Q2_Q4, ids=[c.id for c in CHECKS_Q2_Q4])
def test_run_does_not_alter_the_case(check):
    """Does running a check leave its input arrays untouched (inputs are copied)?"""
    case = case_for(check)
    before = {k: np.array(v, copy=True) for k, v in case.arrays.items()}
    check.run(Impl("reference"), case)
    for k, v in before.items():
        assert np.array_equal(case.arrays[k], v), k
