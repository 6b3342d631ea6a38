"""grader.compare: relative error, validation of what came back, and mismatch messages."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.base import Case
from grader.compare import (
    VALUES_END,
    VALUES_START,
    compare_gradients,
    compare_values,
    describe_mismatch,
    numeric_gradient,
    rel_error,
    validate,
)

CASE = Case({})


def test_rel_error_is_cs231n_s_and_zero_for_empty_arrays():
    """Is rel_error max |x - y| / max(1e-8, |x| + |y|), 0 on empty arrays, and tiny where both are 0?"""
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(1 / 5)
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)


@pytest.mark.parametrize(
    "got,why",
    [
        ([1.0, 2.0], "expected a numpy array, got list"),
        (np.array(["a", "b"]), "expected a numeric array"),
        (np.zeros((2, 1)), "shape (2, 1), expected (2,)"),
        (np.array([1.0, np.nan]), "1 of 2 elements are NaN or inf"),
        (np.ma.array([1.0, 2.0]), "expected a numpy array, got MaskedArray"),
    ],
)
def test_validate_names_what_cannot_be_compared(got, why):
    """Is a list, a string array, a wrong shape, a NaN or an ndarray subclass refused with the reason?"""
    assert why in validate("dx", got, np.zeros(2))


def test_validate_accepts_a_plain_numeric_array():
    """Does validate return None for an integer array of the right shape?"""
    assert validate("y", np.array([1, 2]), np.zeros(2)) is None


def test_describe_mismatch_counts_the_differing_elements_and_points_at_the_worst():
    """Does the message say how many elements differ and the index and values of the worst one?"""
    got = np.array([[1.0, 2.0], [3.0, 9.0]])
    expected = np.array([[1.0, 2.0], [3.1, 4.0]])
    text = describe_mismatch("out", got, expected, 1e-6)
    assert text.startswith("out: 2 of 4 elements differ; max abs diff 5")
    assert f"at index (1, 1) {VALUES_START}(got 9, expected 4){VALUES_END}" in text  # the values, marked


def test_describe_mismatch_of_a_scalar_gives_both_values():
    """Is a 0-d mismatch described as got/expected values, not by index?"""
    text = describe_mismatch("loss", np.array(2.5), np.array(2.0), 1e-6)
    assert text.startswith(f"loss: {VALUES_START}got 2.5, expected 2{VALUES_END} (rel error")


def test_compare_values_passes_within_tolerance_and_reports_the_worst_key():
    """Does compare_values pass within tolerance, and on failure report the key with the largest error?"""
    compare = compare_values()
    expected = {"a": np.array([1.0, 1.0]), "b": np.array([1.0, 1.0])}
    ok = compare({"a": np.array([1.0, 1.0 + 1e-9]), "b": np.array([1.0, 1.0])}, expected, CASE, 1e-6)
    assert ok.passed and 0 < ok.error < 1e-6
    bad = compare({"a": np.array([1.0, 1.1]), "b": np.array([1.0, 3.0])}, expected, CASE, 1e-6)
    assert not bad.passed and bad.error == pytest.approx(0.5)
    assert bad.detail.startswith("b: 1 of 2 elements differ")


def test_compare_values_on_a_missing_or_invalid_output_gives_infinite_error():
    """Is a key that was not returned, or a NaN output, a failure with error inf and the reason?"""
    compare = compare_values(["dx"])
    expected = {"dx": np.zeros(2), "ignored": np.zeros(2)}
    missing = compare({}, expected, CASE, 1e-6)
    assert (missing.passed, missing.error, missing.detail) == (False, float("inf"), "dx: not returned")
    nan = compare({"dx": np.array([np.nan, 0.0])}, expected, CASE, 1e-6)
    assert not nan.passed and nan.error == float("inf") and "NaN or inf" in nan.detail
    only_dx = compare({"dx": np.zeros(2)}, expected, CASE, 1e-6)  # the unnamed key is not compared
    assert only_dx.passed


def test_compare_gradients_tells_an_inconsistent_backward_from_a_wrong_forward():
    """Does the failure say whether the analytic gradient agrees with the numeric gradient of the own forward?"""
    compare = compare_gradients({"dx": "dx_num"})
    expected = {"dx": np.array([1.0, 2.0])}
    wrong_backward = compare({"dx": np.array([5.0, 2.0]), "dx_num": np.array([1.0, 2.0])}, expected, CASE, 1e-6)
    assert not wrong_backward.passed and "does not differentiate your forward" in wrong_backward.detail
    wrong_forward = compare({"dx": np.array([5.0, 2.0]), "dx_num": np.array([5.0, 2.0])}, expected, CASE, 1e-6)
    assert not wrong_forward.passed and "the forward (or its cache) is what is wrong" in wrong_forward.detail
    no_numeric = compare({"dx": np.array([5.0, 2.0])}, expected, CASE, 1e-6)
    assert not no_numeric.passed and "numeric gradient" not in no_numeric.detail
    right = compare({"dx": np.array([1.0, 2.0]), "dx_num": np.array([9.0, 9.0])}, expected, CASE, 1e-6)
    assert right.passed  # the numeric gradient is diagnostic only


def test_numeric_gradient_of_a_square_is_twice_x_and_x_is_restored():
    """Is the centred numeric gradient of sum(x**2 * df) close to 2 x df, with x left unchanged?"""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    df = np.array([[1.0, 2.0], [3.0, 4.0]])
    grad = numeric_gradient(lambda v: v**2, x, df)
    assert np.allclose(grad, 2 * x * df, rtol=1e-6)
    assert np.array_equal(x, before)
