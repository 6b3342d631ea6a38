"""grader.scoring: from an outcome of the untrusted side to a scored check result."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import registry
from grader.checks.base import Impl
from grader.fixtures import case_for, compute
from grader.results import Status
from grader.rubric import CheckSpec, QuestionSpec
from grader.runner import Outcome
from grader.scoring import score_check, score_question, singleton_reshaped, without_values

CHECK = registry.get("affine_forward")
SPEC = CheckSpec("affine_forward", 2.0, None, None)


@pytest.fixture(scope="module")
def fixture():
    return compute(CHECK, case_for(CHECK), Impl("reference"))


def _ok(outputs: dict) -> Outcome:
    return Outcome("ok", outputs=outputs, seconds=0.25)


def test_right_outputs_get_the_rubric_points_and_the_check_tolerance(fixture):
    """Do the reference's outputs score the spec's points, with the check's tolerance and the outcome's time?"""
    r = score_check(CHECK, SPEC, _ok(dict(fixture.expected)), fixture)
    assert (r.status, r.points, r.max_points, r.tolerance, r.seconds) == (Status.PASS, 2.0, 2.0, CHECK.tolerance, 0.25)


def test_the_rubric_tolerance_overrides_the_check_s(fixture):
    """With a rubric tolerance of 0.5, does an output 10% off pass?"""
    got = {k: v * 1.1 for k, v in fixture.expected.items()}
    assert score_check(CHECK, SPEC, _ok(got), fixture).status is Status.FAIL
    loose = CheckSpec("affine_forward", 2.0, 0.5, None)
    r = score_check(CHECK, loose, _ok(got), fixture)
    assert r.status is Status.PASS and r.tolerance == 0.5


@pytest.mark.parametrize(
    "outcome,status,message",
    [
        (Outcome("not_implemented", message="not yet", location="layers.py:3"), Status.NOT_IMPLEMENTED, "not yet"),
        (Outcome("timeout", message="took longer than 20 s"), Status.TIMEOUT, "took longer than 20 s"),
        (Outcome("error", message="ValueError: bad shape"), Status.FAIL, "raised ValueError: bad shape"),
        (Outcome("error", message="the worker died (signal 9)"), Status.ERROR, "the worker died (signal 9)"),
        (Outcome("ok", outputs=None), Status.ERROR, "no result"),
    ],
)
def test_each_outcome_maps_to_its_status_with_no_points(fixture, outcome, status, message):
    """Is a student's exception a failed check, but a dead worker an error of the grading, each with 0 points?"""
    r = score_check(CHECK, SPEC, outcome, fixture)
    assert (r.status, r.points, r.message) == (status, 0.0, message)


def test_an_exception_located_in_the_submission_is_the_student_s(fixture):
    """Does a message that is not an exception name still count as the student's failure when it has a location?"""
    r = score_check(CHECK, SPEC, Outcome("error", message="oops", location="layers.py:9 in f"), fixture)
    assert r.status is Status.FAIL and r.location == "layers.py:9 in f"


def test_extra_leading_singleton_dimensions_pass_with_a_warning_unless_strict(fixture):
    """Does a right answer shaped (1, N, M) for (N, M) pass with a warning, and fail under strict_shapes?"""
    got = {k: v[None] for k, v in fixture.expected.items()}
    r = score_check(CHECK, SPEC, _ok(got), fixture)
    assert r.status is Status.PASS and r.message.startswith("passed with a warning: ")
    strict = score_check(CHECK, SPEC, _ok(got), fixture, strict_shapes=True)
    assert strict.status is Status.FAIL and strict.points == 0.0


def test_wrong_values_in_a_forgivable_shape_are_reported_as_wrong_values(fixture):
    """Values 10% off, shaped (1, N, M) for (N, M): does the failure name the values, then the shape?"""
    got = {k: (v * 1.1)[None] for k, v in fixture.expected.items()}
    r = score_check(CHECK, SPEC, _ok(got), fixture)
    flat = score_check(CHECK, SPEC, _ok({k: v * 1.1 for k, v in fixture.expected.items()}), fixture)
    assert r.status is Status.FAIL and r.points == 0.0 and r.error == flat.error
    shape = fixture.expected["out"].shape
    assert r.message.startswith(flat.message)
    assert r.message.endswith(f"; also out has shape {(1, *shape)}, expected {shape}")


def test_singleton_reshaped_ignores_shapes_that_broadcast_differently():
    """Is (5, 1) for (5,) left alone (it does not broadcast like (5,)), while (1, 5) is reshaped?"""
    expected = {"a": np.zeros(5), "b": np.zeros(5)}
    out, notes = singleton_reshaped({"a": np.zeros((1, 5)), "b": np.zeros((5, 1))}, expected)
    assert out["a"].shape == (5,) and out["b"].shape == (5, 1)
    assert notes == ["a has shape (1, 5), expected (5,)"]


def test_a_hidden_failure_shows_no_value_of_the_case(fixture):
    """On a hidden case, is "got X, expected Y" taken out of the failure message?"""
    got = {k: v + 1.0 for k, v in fixture.expected.items()}
    public = score_check(CHECK, SPEC, _ok(got), fixture)
    hidden = score_check(CHECK, SPEC, _ok(got), fixture, hidden=True)
    assert "expected" in public.message and "(got " in public.message
    assert "(got " not in hidden.message and "values withheld: hidden case" in hidden.message


def test_without_values_keeps_the_rest_of_the_message():
    """Does without_values replace only the values?"""
    text = "out: 3 of 6 elements differ at index (0, 1) (got 0.5, expected 0.25)"
    assert without_values(text) == "out: 3 of 6 elements differ at index (0, 1) (values withheld: hidden case)"


def test_score_question_reports_a_check_that_never_ran_as_an_error(fixture):
    """When the outcome of a check is missing, is it an ERROR "the check did not run" (and the others scored)?"""
    relu = registry.get("relu_forward")
    relu_fx = compute(relu, case_for(relu), Impl("reference"))
    q = QuestionSpec("q1", "Fully-connected nets", 3.0, False, None, (SPEC, CheckSpec("relu_forward", 1.0, None, None)))
    result = score_question(
        q,
        {"affine_forward": CHECK, "relu_forward": relu},
        {"affine_forward": _ok(dict(fixture.expected))},
        {"affine_forward": fixture, "relu_forward": relu_fx},
    )
    assert [c.status for c in result.checks] == [Status.PASS, Status.ERROR]
    assert result.checks[1].message == "the check did not run"
    assert (result.points, result.max_points) == (2.0, 3.0)


def test_an_error_numpy_2_introduced_says_so():
    """int(np.array([1])) was a warning in NumPy 1 and is a TypeError in NumPy 2 (real 2019 pooling code):
    does the failure say that the NumPy version is the cause, and what to write instead?"""
    from grader.checks import registry
    from grader.rubric import CheckSpec
    from grader.scoring import score_check
    from grader.session import Outcome

    check = registry.get("max_pool_backward_naive")
    outcome = Outcome("error", message="TypeError: only 0-dimensional arrays can be converted to Python scalars")
    result = score_check(check, CheckSpec(check.id, 3, None, None), outcome, fixtures_for(check))
    assert not result.passed and "NumPy 2 no longer converts a 1-element array" in result.message
    other = Outcome("error", message="TypeError: unsupported operand type(s)")
    assert "NumPy 2" not in score_check(check, CheckSpec(check.id, 3, None, None), other, fixtures_for(check)).message


def fixtures_for(check):
    from grader import fixtures
    from grader.checks.base import Impl

    return fixtures.compute(check, fixtures.case_for(check), Impl("reference"))


@pytest.mark.parametrize(
    "lang, got_word, withheld", [("en", "(got ", "values withheld"), ("es", "(se obtuvo ", "valores reservados")]
)
def test_the_values_are_withheld_by_their_marks_in_every_language(fixture, lang, got_word, withheld):
    """The comparator marks the case's values (grader.compare.values_part), so a translated message is redacted as
    well as the English one; a public message keeps the values, and no mark reaches any message."""
    from grader import i18n

    got = {k: v + 1.0 for k, v in fixture.expected.items()}
    try:
        i18n.set_language(lang)
        public = score_check(CHECK, SPEC, _ok(got), fixture)
        hidden = score_check(CHECK, SPEC, _ok(got), fixture, hidden=True)
    finally:
        i18n.set_language("en")
    assert got_word in public.message and withheld not in public.message
    assert got_word not in hidden.message and withheld in hidden.message
    for message in (public.message, hidden.message):
        assert "\x02" not in message and "\x03" not in message
    if lang == "es":
        assert "elementos difieren" in public.message and "elementos difieren" in hidden.message


def test_a_mark_left_open_still_withholds_to_the_end():
    """A detail cut short inside its values (a comparator's message truncated) loses the rest, never shows it."""
    from grader.compare import values_part

    text = "dx: " + values_part("got 0.5, expected 0.25")[:-1]
    assert without_values(text) == "dx: (values withheld: hidden case)"
