"""Are the Q2 and Q4 checks well formed, and do correct alternatives score full marks?

The alternatives (tests/mutants/q2.py ``ALTERNATIVES``) are correct
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
from tests.mutants.q2 import ALTERNATIVES

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


def test_a_net_without_layernorm_parameters_is_told_which_one_it_lacks(tmp_path):
    """A FullyConnectedNet that makes gamma/beta for batch norm only (real 2018-2019 work): does the layer norm
    check say which parameter is missing, instead of a bare KeyError: 'gamma1'?"""
    from tests.mutants import Mutant

    mutant = Mutant(
        "no layernorm params",
        "classifiers/fc_net.py",
        "            if self.normalization is not None and i < self.num_layers:\n",
        '            if self.normalization == "batchnorm" and i < self.num_layers:\n',
        breaks=(),
    )
    build_package(mutant, tmp_path)
    results = check_mod.run(["q2"], implementation="mutant", root=tmp_path)
    by_id = {c.check_id: c for q in results for c in q.checks}
    assert by_id["fc_net_batchnorm_loss"].passed
    failed = by_id["fc_net_layernorm_grads"]
    assert not failed.passed
    assert "FullyConnectedNet(normalization='layernorm') made no params['gamma1']" in failed.message, failed.message
