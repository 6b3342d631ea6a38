"""Are the Q2 and Q4 checks well formed, and do correct alternatives score full marks?

The alternatives (tests/mutants/a2_q2_q4.py ``ALTERNATIVES``) are correct
implementations written another way: the computation graph against the closed
form of the batchnorm backward, loops against vectorized convolutions, an
equality mask in the max-pool backward, pooling in float32, layer norm as the
batch norm of the transpose. Each is built with the mutant mechanism and must
pass every Q2 and Q4 check, on the public cases (through the real child
process) and on hidden cases.
"""

import itertools
import json
import re
import sys

import numpy as np
import pytest

from grader import check as check_mod
from grader.checks import q2, q4, registry
from grader.checks.base import Impl
from grader.fixtures import case_for, compute
from grader.wrong_answers import WRONG_ANSWERS
from tests.mutants import a2_q2_q4, build_package

CHECKS = q2.CHECKS + q4.CHECKS
ALTERNATIVES = a2_q2_q4.ALTERNATIVES
_PACKAGE_IDS = itertools.count()


def test_check_declarations_are_well_formed():
    """Are the ids unique snake_case, the tolerances positive, the wrong answers registered?"""
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    for c in CHECKS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert c.question in ("q2", "q4")
        assert c.tolerance > 0
        assert c.calls, c.id
        for name in c.wrong_answers:
            assert name in WRONG_ANSWERS, (c.id, name)
        assert registry.get(c.id) is c


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_public_case_is_deterministic_and_transportable(check):
    """Is the public case the same at every draw, with JSON parameters and plain array names?"""
    a, b = case_for(check), case_for(check)
    assert sorted(a.arrays) == sorted(b.arrays)
    for k in a.arrays:
        assert "|" not in k
        assert np.array_equal(a.arrays[k], b.arrays[k])
        assert a.arrays[k].dtype.kind in "biuf"
    assert json.dumps(dict(a.params), sort_keys=True) == json.dumps(dict(b.params), sort_keys=True)


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_run_does_not_alter_the_case(check):
    """Does running a check leave its input arrays untouched (inputs are copied)?"""
    case = case_for(check)
    before = {k: np.array(v, copy=True) for k, v in case.arrays.items()}
    check.run(Impl("reference"), case)
    for k, v in before.items():
        assert np.array_equal(case.arrays[k], v), k


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_scores_full_marks(alternative, tmp_path):
    """Does a correct implementation written another way pass every Q2 and Q4 check?"""
    build_package(alternative, tmp_path, package="alternative")
    results = check_mod.run(["q2", "q4"], implementation="alternative", root=tmp_path)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
    for q in results:
        assert q.points == q.max_points


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_passes_hidden_cases(alternative, tmp_path, monkeypatch):
    """On hidden cases too (other shapes and magnitudes), is the alternative within every tolerance?"""
    package = f"a2kit_alternative_{next(_PACKAGE_IDS)}"
    build_package(alternative, tmp_path, package=package)
    monkeypatch.syspath_prepend(str(tmp_path))
    impl, reference = Impl(package), Impl("reference")
    try:
        for c in CHECKS:
            if c.id == "convnet_overfit":
                continue  # trains for a while; the public run above covers it
            for salt in ("alt-a", "alt-b"):
                case = case_for(c, salt, hidden=True)
                expected = compute(c, case, reference).expected
                measure = c.compare(c.run(impl, case), expected, case, c.tolerance)
                assert measure.passed, (c.id, salt, measure.detail)
    finally:
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
