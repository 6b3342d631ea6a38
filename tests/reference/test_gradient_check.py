"""Tests of reference/gradient_check.py against functions with known derivatives.

Tolerances: the centred difference (f(x+h) - f(x-h)) / 2h with h = 1e-5 has
a truncation error h**2 / 6 * |f'''| and a rounding error about
1e-16 * |f| / h. For the cubic used here (|x| <= 2, so |f'''| = 6 and
|f| <= 8 per entry) both are below 1e-10; ``CUBIC_ATOL`` = 1e-8 leaves a
100x margin. Linear functions have no truncation error at all, only
rounding: ``LINEAR_ATOL`` = 1e-9.
"""

import random

import numpy as np
import pytest

from reference.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    eval_numerical_gradient_blobs,
    grad_check_sparse,
)

#: Absolute tolerance for the numeric derivative of the cubic (see the module docstring).
CUBIC_ATOL = 1e-8
#: Absolute tolerance for linear functions, where only rounding error remains.
LINEAR_ATOL = 1e-9


@pytest.fixture
def x():
    return np.random.default_rng(1).uniform(-2, 2, size=(3, 4))


def test_eval_numerical_gradient_of_a_cubic(x):
    """Is the numeric gradient of sum(x**3) equal to 3 x**2?"""
    grad = eval_numerical_gradient(lambda a: np.sum(a**3), x, verbose=False)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, 3 * x**2, rtol=0, atol=CUBIC_ATOL)


def test_eval_numerical_gradient_restores_x(x):
    """Is x bit-for-bit unchanged after the probes?"""
    before = x.copy()
    eval_numerical_gradient(lambda a: np.sum(np.sin(a)), x, verbose=False)
    np.testing.assert_array_equal(x, before)


def test_eval_numerical_gradient_restores_x_when_f_raises(x):
    """Is the probed entry restored even when f raises mid-probe?"""
    before = x.copy()
    calls = []

    def f(a):
        calls.append(1)
        if len(calls) == 3:  # the first probe of the second entry
            raise RuntimeError("boom")
        return float(np.sum(a))

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, x, verbose=False)
    np.testing.assert_array_equal(x, before)


def test_eval_numerical_gradient_uses_h(x):
    """Is h the step used (a function with a kink shows it)?

    For f = sum(|a - c|) with c 0.5e-3 away from x[0, 0], a step h = 1e-3
    straddles the kink and gives slope 0.5 * sign, while h = 1e-5 gives sign.
    """
    c = x.copy()
    c[0, 0] = x[0, 0] - 0.5e-3
    f = lambda a: np.sum(np.abs(a - c))  # noqa: E731
    small = eval_numerical_gradient(f, x, verbose=False, h=1e-5)
    large = eval_numerical_gradient(f, x, verbose=False, h=1e-3)
    # f is piecewise linear: only rounding error, about 1e-16 * |f| / h <= 1e-10
    assert small[0, 0] == pytest.approx(1.0, abs=1e-8)
    assert large[0, 0] == pytest.approx(0.5, abs=1e-8)


def test_eval_numerical_gradient_prints_when_verbose(capsys):
    """Does verbose=True print one line per entry (and verbose=False none)?"""
    x = np.zeros((2, 3))
    eval_numerical_gradient(lambda a: np.sum(a), x, verbose=True)
    assert len(capsys.readouterr().out.strip().splitlines()) == 6
    eval_numerical_gradient(lambda a: np.sum(a), x, verbose=False)
    assert capsys.readouterr().out == ""


def test_eval_numerical_gradient_array_of_a_linear_map(x):
    """Is the numeric pull-back of df through x @ W equal to df @ W.T?"""
    rng = np.random.default_rng(2)
    W = rng.standard_normal((4, 5))
    df = rng.standard_normal((3, 5))
    before = x.copy()
    grad = eval_numerical_gradient_array(lambda a: a @ W, x, df)
    np.testing.assert_allclose(grad, df @ W.T, rtol=0, atol=LINEAR_ATOL)
    np.testing.assert_array_equal(x, before)


def test_eval_numerical_gradient_array_when_f_returns_its_input(x):
    """Is an f that returns x itself (an alias) still differentiated correctly?

    Without a copy of f(x + h) the two probes would read the same, restored
    array and the gradient would be zero.
    """
    df = np.random.default_rng(3).standard_normal(x.shape)
    grad = eval_numerical_gradient_array(lambda a: a, x, df)
    np.testing.assert_allclose(grad, df, rtol=0, atol=LINEAR_ATOL)


def test_eval_numerical_gradient_array_of_an_elementwise_cubic(x):
    """Is the pull-back of df through x**3 equal to 3 x**2 * df?"""
    df = np.random.default_rng(4).standard_normal(x.shape)
    grad = eval_numerical_gradient_array(lambda a: a**3, x, df)
    np.testing.assert_allclose(grad, 3 * x**2 * df, rtol=0, atol=CUBIC_ATOL * 3)


class Blob:
    def __init__(self, vals):
        self.vals = vals
        self.diffs = np.zeros_like(vals)


def test_eval_numerical_gradient_blobs_of_a_product():
    """Are the blob gradients of out = a * b equal to (b * dout, a * dout)?"""
    rng = np.random.default_rng(5)
    a, b = Blob(rng.standard_normal(4)), Blob(rng.standard_normal(4))
    out = Blob(np.zeros(4))
    out.diffs = rng.standard_normal(4)

    def f(a_blob, b_blob, out_blob):
        out_blob.vals = a_blob.vals * b_blob.vals

    da, db = eval_numerical_gradient_blobs(f, (a, b), out)
    np.testing.assert_allclose(da, b.vals * out.diffs, rtol=0, atol=LINEAR_ATOL)
    np.testing.assert_allclose(db, a.vals * out.diffs, rtol=0, atol=LINEAR_ATOL)


def test_grad_check_sparse_reports_small_errors_for_a_right_gradient(x, capsys):
    """Does grad_check_sparse print num_checks lines and find tiny errors for 3 x**2?

    The relative error |num - ana| / (|num| + |ana|) stays below
    CUBIC_ATOL / (2 * min |3 x**2|); entries near x = 0 are excluded by
    shifting x away from zero.
    """
    x = x + np.sign(x) * 0.5  # |x| >= 0.5, so |3 x**2| >= 0.75
    random.seed(0)
    before = x.copy()
    errors = grad_check_sparse(lambda a: np.sum(a**3), x, 3 * x**2, num_checks=7)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 7 and all("relative error" in line for line in lines)
    assert len(errors) == 7 and max(errors) < 1e-8
    np.testing.assert_array_equal(x, before)


def test_grad_check_sparse_flags_a_wrong_gradient(x, capsys):
    """Does a gradient off by a factor 2 show relative errors of 1/3?"""
    x = x + np.sign(x) * 0.5
    random.seed(1)
    errors = grad_check_sparse(lambda a: np.sum(a**3), x, 6 * x**2, num_checks=5)
    np.testing.assert_allclose(errors, 1 / 3, rtol=1e-6)
