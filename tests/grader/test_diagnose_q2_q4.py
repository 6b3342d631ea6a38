"""Do the Q2 and Q4 diagnoses fire on their bugs, and do the hidden cases work?

Each catalogued wrong answer is fed back to the diagnosis engine as if a
student had returned it (the expected outputs with the bug's arrays in place);
the engine must name that bug. The hidden cases (other shapes, strides, group
counts, magnitudes) must score full marks against the reference.
"""

import json

import numpy as np
import pytest

from grader.checks import q2, q4
from grader.checks.base import Case, Impl
from grader.diagnose import diagnose
from grader.fixtures import case_for, compute
from grader.wrong_answers import WRONG_ANSWERS

CHECKS = q2.CHECKS + q4.CHECKS
REFERENCE = Impl("reference")
HIDDEN_SALTS = ("hidden-a", "hidden-b", "hidden-c")


def _diagnose(check, fixture, got):
    return diagnose(got, fixture.expected, fixture.wrong, fixture.messages, check.tolerance, dict(fixture.case.arrays))


#: wrong answers that show only on hidden draws (the public case has pad 1 and a square input, as cs231n's)
EDGE_ONLY = {"conv_dx_crop_empty_at_pad0": "pad 0", "convnet_w2_square_input": "a non-square input"}
PAIRS = [(check, name) for check in CHECKS for name in check.wrong_answers if name not in EDGE_ONLY]
EDGE_PAIRS = [(check, name) for check in CHECKS for name in check.wrong_answers if name in EDGE_ONLY]


def _same(outs: dict, expected: dict) -> bool:
    """Whether a wrong answer coincides with the right one on this case (the bug is invisible there)."""
    return all(
        np.shape(v) == np.shape(expected[k]) and np.allclose(v, expected[k], rtol=1e-9, atol=0) for k, v in outs.items()
    )


def _as_returned(fixture, outs: dict) -> dict:
    got = {k: np.array(v, copy=True) for k, v in fixture.expected.items()}
    got.update({k: np.asarray(v) for k, v in outs.items()})
    return got


@pytest.mark.parametrize("check,name", PAIRS, ids=[f"{c.id}:{n}" for c, n in PAIRS])
def test_catalogued_wrong_answer_is_caught_and_named_on_the_public_case(check, name):
    """Does the check fail the bug's output on the public case, and does the diagnosis name the bug?"""
    fixture = compute(check, case_for(check), REFERENCE)
    outs = fixture.wrong[name]
    assert not _same(outs, fixture.expected), f"{name} is invisible on the public case of {check.id}"
    got = _as_returned(fixture, outs)
    measure = check.compare(got, fixture.expected, fixture.case, check.tolerance)
    assert not measure.passed
    assert _diagnose(check, fixture, got) == WRONG_ANSWERS[name].message


@pytest.mark.parametrize("check,name", PAIRS, ids=[f"{c.id}:{n}" for c, n in PAIRS])
def test_catalogued_wrong_answer_is_named_on_hidden_cases(check, name):
    """On hidden cases where the bug shows, is it still caught and named?"""
    for salt in HIDDEN_SALTS:
        fixture = compute(check, case_for(check, salt, hidden=True), REFERENCE)
        outs = fixture.wrong[name]
        if _same(outs, fixture.expected):
            continue
        got = _as_returned(fixture, outs)
        if check.compare(got, fixture.expected, fixture.case, check.tolerance).passed:
            continue  # within tolerance on this case: nothing to diagnose
        hint = _diagnose(check, fixture, got)
        assert hint is not None, (salt, name)
        # Two bugs may coincide on a small hidden case; the first catalogued one is named.
        assert hint in {WRONG_ANSWERS[n].message for n in check.wrong_answers}, (salt, hint)


def test_only_the_border_differs_is_diagnosed_as_padding():
    """Does a convolution padded with edge values (not zeros) get the generic 'border' diagnosis?"""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    from reference.layers import conv_forward_naive

    expected, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    edge = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    got, _ = conv_forward_naive(edge, w, b, {"stride": 1, "pad": 0})
    hint = diagnose({"out": got}, {"out": expected}, {}, {}, 1e-8, {"x": x})
    assert hint is not None and "border 1 element wide" in hint and "padding" in hint


def test_the_border_rule_needs_a_matching_interior():
    """Is an output that differs everywhere (or on a tiny map) never called a padding problem?"""
    rng = np.random.default_rng(1)
    expected = rng.standard_normal((2, 3, 6, 6))
    got = expected + 0.1 * rng.standard_normal(expected.shape)
    assert "border" not in (diagnose({"out": got}, {"out": expected}, {}, {}, 1e-8, {}) or "")
    small = rng.standard_normal((1, 1, 3, 3))
    changed = small.copy()
    changed[..., 0, 0] += 1
    assert "border" not in (diagnose({"out": changed}, {"out": small}, {}, {}, 1e-8, {}) or "")


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_hidden_cases_score_full_marks_against_the_reference(check):
    """Do hidden cases run, and does the reference's own output pass them?"""
    for salt in HIDDEN_SALTS:
        case = case_for(check, salt, hidden=True)
        json.dumps(dict(case.params))  # the parameters travel as JSON to the worker
        fixture = compute(check, case, REFERENCE)
        measure = check.compare(check.run(REFERENCE, case), fixture.expected, case, check.tolerance)
        assert measure.passed, (salt, measure.detail)


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_hidden_cases_differ_from_the_public_case(check):
    """Do the hidden cases use other shapes or parameters than the public one?"""
    public = case_for(check)

    def signature(case: Case):
        return (
            sorted((k, np.shape(v)) for k, v in case.arrays.items()),
            json.dumps(dict(case.params), sort_keys=True),
        )

    hidden = [signature(case_for(check, salt, hidden=True)) for salt in HIDDEN_SALTS]
    assert any(h != signature(public) for h in hidden)


def test_overfit_check_measures_the_accuracy_here_from_the_returned_parameters():
    """Is the overfitting check scored from the trained weights on the trusted side, so that an accuracy the
    sandbox returns counts for nothing, with a message below the tolerance?"""
    check = next(c for c in q4.CHECKS if c.id == "convnet_overfit")
    case = case_for(check)
    expected = check.run(REFERENCE, case)
    good = check.compare(expected, expected, case, 0.9)
    assert good.passed and good.error >= 0.9
    untrained = {k: np.zeros_like(v) for k, v in expected.items()}
    claimed = check.compare({**untrained, "train_acc": np.asarray(1.0)}, expected, case, 0.9)
    assert not claimed.passed and "training accuracy" in claimed.detail
    nan = dict(expected, W1=np.full_like(expected["W1"], np.nan))
    assert not check.compare(nan, expected, case, 0.9).passed


@pytest.mark.parametrize("check,name", EDGE_PAIRS, ids=[f"{c.id}:{n}" for c, n in EDGE_PAIRS])
def test_an_edge_only_wrong_answer_is_invisible_on_the_public_case_and_named_on_its_hidden_draws(check, name):
    """A bug that shows only at an edge (pad 0, a non-square input): is it right on the public case (so it
    costs nothing under check), and caught and named on the hidden draws that reach the edge?"""
    from grader.checks import cases as cases_mod

    assert _same(compute(check, case_for(check), REFERENCE).wrong[name], {})  # nothing to name publicly
    named = 0
    for i, salt in enumerate(f"edge-{k}" for k in range(12)):
        fixture = compute(check, case_for(check, salt, hidden=cases_mod.Draw(i % 3 + 1)), REFERENCE)
        outs = fixture.wrong[name]
        if not outs:
            continue
        got = _as_returned(fixture, outs)
        assert not check.compare(got, fixture.expected, fixture.case, check.tolerance).passed, (salt, name)
        # two bugs may coincide on a case (H * W == (H // 2) ** 2): then either name is right
        same = {n for n in check.wrong_answers if set(fixture.wrong[n]) == set(outs) and _same(fixture.wrong[n], outs)}
        assert _diagnose(check, fixture, got) in {WRONG_ANSWERS[n].message for n in same}, (salt, name)
        named += 1
    assert named, f"no hidden draw of {check.id} reaches {EDGE_ONLY[name]}"
