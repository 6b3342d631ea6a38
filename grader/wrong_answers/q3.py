"""Wrong answers of Q3 checks (dropout).

The train-mode checks are properties of a random mask, so their usual bugs
(kept units not scaled by 1/p, p used as the drop probability) are named by
the comparators of ``grader.checks.q3`` rather than catalogued here. The
backward producers assume the reference's mask convention
(``np.random.rand(*x.shape) < p`` after the seed) and recover the mask from
the expected output.
"""
from __future__ import annotations

from ..checks.base import Arrays, Case
from ..i18n import N_
from ._registry import wrong_answer


@wrong_answer(
    "dropout_test_mode_scaled",
    N_("test mode multiplies by p: with inverted dropout the test-time pass is the identity"),
)
def _test_scaled(case: Case, expected: Arrays) -> Arrays:
    return {f"out{i}": case["x"] * p for i, p in enumerate(case["p"])}


@wrong_answer(
    "dropout_test_mode_divided", N_("test mode divides by p: with inverted dropout the test-time pass is the identity")
)
def _test_divided(case: Case, expected: Arrays) -> Arrays:
    return {f"out{i}": case["x"] / p for i, p in enumerate(case["p"])}


@wrong_answer("dropout_backward_ignores_mask", N_("dx ignores the mask: in train mode dx = dout * mask / p"))
def _backward_ignores_mask(case: Case, expected: Arrays) -> Arrays:
    return {"dx": case["dout"]}


@wrong_answer(
    "dropout_backward_not_scaled",
    N_("dx is not scaled by 1 / p: dx = dout * mask / p, as in the forward pass"),
)
def _backward_not_scaled(case: Case, expected: Arrays) -> Arrays:
    return {"dx": case["dout"] * (expected["out"] != 0)}
