"""Are the Q2 and Q4 checks well formed, and do correct alternatives score full marks?

The alternatives (tests/mutants/q4.py ``ALTERNATIVES``) are correct
implementations written another way: the computation graph against the closed
form of the batchnorm backward, loops against vectorized convolutions, an
equality mask in the max-pool backward, pooling in float32, layer norm as the
batch norm of the transpose. Each is built with the mutant mechanism and must
pass every Q2 and Q4 check, on the public cases (through the real child
process) and on hidden cases.
"""

import itertools
import sys

import pytest

from grader import check as check_mod
from grader.checks import q2, q4
from grader.checks.base import Impl
from grader.fixtures import case_for, compute
from tests.mutants import build_package
from tests.mutants.q4 import ALTERNATIVES

CHECKS = q2.CHECKS + q4.CHECKS
_PACKAGE_IDS = itertools.count()


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


def test_dx_cropped_with_pad_minus_pad_is_named_on_the_hidden_case_with_pad_0():
    """Does the conv backward bug most common in real work (dx_pad[:, :, pad:-pad, pad:-pad], empty when pad is 0:
    4 of 8 public solutions, 2017-2022) fail with a message that names it, on the hidden draw with pad 0?"""
    import numpy as np

    from grader.checks import registry
    from grader.rubric import CheckSpec
    from grader.scoring import score_check
    from grader.session import Outcome
    from tests.mutants import a2_edges
    from tests.mutants.escape import Lab

    (mutant,) = [m for m in a2_edges.MUTANTS if "empty at pad 0" in m.name]
    lab, check = Lab(), registry.get("conv_backward_naive")
    impl = lab.impl(mutant)
    for secret in ("s1", "s2", "s3"):
        fixtures = lab.fixtures(secret, check.id, 3)
        assert any(int(f.case["pad"]) == 0 for f in fixtures)
        got = [{k: np.asarray(v) for k, v in check.run(impl, f.case).items()} for f in fixtures]
        pairs = zip(got, fixtures, strict=True)
        failed = [i for i, (g, f) in enumerate(pairs) if not check.compare(g, f.expected, f.case, 1e-7).passed]
        assert failed and all(int(fixtures[i].case["pad"]) == 0 for i in failed)
        i = failed[0]
        result = score_check(check, CheckSpec(check.id, 6, None, None), Outcome("ok", outputs=got[i]), fixtures[i])
        assert not result.passed and "is empty when pad is 0" in result.message, result.message


def test_a_w2_that_assumes_a_square_input_is_named_on_a_non_square_hidden_case():
    """ThreeLayerConvNet sizing W2 as F * (H // 2) ** 2 (2 of 8 public solutions: right for cs231n's 32x32,
    wrong for input_dim (C, H, W) with H != W): is the bug named where a hidden draw is not square?"""
    import numpy as np

    from grader.checks import registry
    from grader.rubric import CheckSpec
    from grader.scoring import score_check
    from grader.session import Outcome
    from tests.mutants import Mutant
    from tests.mutants.escape import Lab

    mutant = Mutant(
        "W2 for a square input",
        "classifiers/cnn.py",
        "        pooled_dim = num_filters * (H // 2) * (W // 2)\n",
        "        pooled_dim = num_filters * (H // 2) ** 2\n",
        breaks=("convnet_init",),
    )
    lab, check = Lab(), registry.get("convnet_init")
    impl = lab.impl(mutant)
    named = 0
    for secret in ("s1", "s2", "s3", "s4"):
        for f in lab.fixtures(secret, check.id, 3):
            c, h, w = (int(v) for v in f.case["input_dim"])
            got = {k: np.asarray(v) for k, v in check.run(impl, f.case).items()}
            result = score_check(check, CheckSpec(check.id, 2, None, None), Outcome("ok", outputs=got), f)
            if h // 2 == w // 2:
                assert result.passed
            elif h * w == (h // 2) ** 2:  # the same shape as another bug (W2 not pooled): either name is fair
                assert not result.passed
            else:
                assert not result.passed and "W2 assumes a square input" in result.message, result.message
                named += 1
    assert named  # some hidden draw is not square
