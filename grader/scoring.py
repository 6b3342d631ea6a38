"""Turn what came back from the untrusted side into scored check results (trusted side)."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .checks import cases as cases_mod
from .checks.base import Check
from .checks.conventions import CONVENTIONS
from .compare import VALUES_END, VALUES_START
from .diagnose import diagnose
from .fixtures import Fixture
from .i18n import _
from .results import CheckResult, QuestionResult, Status
from .rubric import CheckSpec, QuestionSpec
from .runner import Outcome

#: The values of a case in a comparison's detail, as ``grader.compare.values_part`` marks them (any language),
#: and "got X, expected Y" written by a comparator that does not mark them.
_MARKED = re.compile(re.escape(VALUES_START) + "[^" + re.escape(VALUES_END) + "]*(" + re.escape(VALUES_END) + "|$)")
_VALUES = re.compile(r"\(?got [^,()]+, expected [^,()\s]+\)?")


def without_values(message: str) -> str:
    """``message`` with the values of the case taken out (for hidden cases: no expected value is ever shown)."""
    withheld = _("(values withheld: hidden case)")
    return _VALUES.sub(withheld, _MARKED.sub(withheld, message)).replace(VALUES_START, "").replace(VALUES_END, "")


def plain(message: str) -> str:
    """``message`` as shown for a public case: the values' marks taken out, the values kept."""
    return message.replace(VALUES_START, "").replace(VALUES_END, "")


#: ``ValueError: ...``, ``numpy.linalg.LinAlgError: ...``: a message that is an exception the code raised.
_EXCEPTION = re.compile(r"returned None|[A-Za-z_][\w.]*(Error|Exception|Warning|Interrupt|Iteration)\b")


def _students_exception(outcome: Outcome) -> bool:
    """Whether an ``error`` outcome is an exception of the check's call (not a crash of the sandbox or the grader).

    The worker reports an exception raised inside ``check.run`` as ``Type: message``
    (with the student's file and line when a frame of the submission raised it);
    a dead process, a refused start or a protocol violation reads otherwise.
    """
    return bool(outcome.location) or bool(_EXCEPTION.match(outcome.message or ""))


def singleton_reshaped(got: dict, expected: dict) -> tuple[dict, list[str]]:
    """``got`` with each array whose shape is the expected one with leading singleton dimensions
    (``(1, D)`` for ``(D,)``: it broadcasts the same everywhere) reshaped to it, and one phrase per such array."""
    out, notes = dict(got), []
    for name, exp in expected.items():
        g = got.get(name)
        if isinstance(g, np.ndarray) and isinstance(exp, np.ndarray) and g.shape != exp.shape and g.size == exp.size:
            # leading singletons broadcast exactly like the expected shape; (C,) for (1, C, 1, 1) does not
            extra = g.ndim - exp.ndim
            if extra > 0 and g.shape == (1,) * extra + exp.shape:
                out[name] = g.reshape(exp.shape)
                notes.append(f"{name} has shape {g.shape}, expected {exp.shape}")
    return out, notes


#: errors that NumPy 2 raises where NumPy 1 only warned: (text of the error, what to say)
_NUMPY_2 = (
    (
        "only 0-dimensional arrays can be converted to Python scalars",
        "NumPy 2 no longer converts a 1-element array with int() or float() (NumPy 1 only warned): "
        "use arr.item() or arr[0]",
    ),
)


def _numpy_hint(message: str) -> str:
    """A line on the NumPy-version cause of an error, when the message is one NumPy 2 introduced."""
    for text, hint in _NUMPY_2:
        if text in message:
            return f" ({hint})"
    return ""


def score_check(
    check: Check, spec: CheckSpec, outcome: Outcome, fixture: Fixture | Sequence[Fixture], *, hidden: bool = False,
    strict_shapes: bool = False,
) -> CheckResult:
    """``hidden``: the fixture is a hidden case; the failure message shows no value of it
    (nor of the reference's answer).

    Unless ``strict_shapes``, right values in a shape that differs only by singleton
    dimensions pass, with a warning in the check's message.
    """
    tol = spec.tolerance if spec.tolerance is not None else check.tolerance
    title = _(check.title) if check.title else ""  # literal titles are marked N_ in the check modules

    def result(status: Status, points: float = 0.0, **kw) -> CheckResult:
        return CheckResult(
            check.id, check.question, title, status, points, spec.points,
            tolerance=tol, seconds=outcome.seconds, **kw
        )

    if outcome.status == "not_implemented":
        return result(Status.NOT_IMPLEMENTED, message=outcome.message, location=outcome.location)
    if outcome.status == "timeout":
        return result(Status.TIMEOUT, message=outcome.message)
    if outcome.status == "error" and _students_exception(outcome):
        # the student's code raised (or lacks what the check calls): a failed check, not a grading problem
        message = outcome.message if outcome.message.startswith("returned") else _("raised {error}").format(
            error=outcome.message
        )
        return result(Status.FAIL, message=message + _numpy_hint(outcome.message), location=outcome.location)
    if outcome.status != "ok" or outcome.outputs is None:
        return result(Status.ERROR, message=outcome.message or _("no result"), location=outcome.location)
    if isinstance(fixture, Fixture):
        return _score_case(check, spec, fixture, outcome.outputs, tol, result, "", hidden, strict_shapes)
    # grade: the public case then the hidden draws (grader.checks.cases); every case must pass; a failure
    # names its case by parameters and shapes, never values (grade's reports show no values at all)
    fixtures = list(fixture)
    parts = cases_mod.split(outcome.outputs, len(fixtures))
    best: CheckResult | None = None
    for i, (fx, got) in enumerate(zip(fixtures, parts, strict=False)):
        if i == cases_mod.PUBLIC:
            where = _("on the public case: ")
        else:
            # the public case (draw 0) passed, or its failure would have been reported
            described = cases_mod.describe(fx.case)
            where = _("on hidden case {i} of {n} ({described}; the public case passed): ").format(
                i=i, n=len(fixtures) - 1, described=described
            )
        one = _score_case(check, spec, fx, got, tol, result, where, hidden or i > 0, strict_shapes)
        if not one.passed:
            return one
        if best is None or (one.error or 0.0) > (best.error or 0.0):
            best = one
    return best


def _score_case(
    check, spec, fixture: Fixture, outputs, tol: float, result, where: str, hidden: bool, strict_shapes: bool
) -> CheckResult:
    shape_note = ""
    try:
        measure = check.compare(outputs, fixture.expected, fixture.case, tol)
        if not measure.passed and not strict_shapes:
            reshaped, shape_notes = singleton_reshaped(outputs, fixture.expected)
            if shape_notes:
                again = check.compare(reshaped, fixture.expected, fixture.case, tol)
                if again.passed:
                    warning = "passed with a warning: " + "; ".join(shape_notes) + " (singleton dimensions only)"
                    return result(Status.PASS, spec.points, error=again.error, message=warning)
                # The shape alone would have been forgiven: the values are what is wrong, so say that.
                measure, outputs = again, reshaped
                shape_note = "; also " + "; ".join(shape_notes)
    except Exception as exc:  # noqa: BLE001 - malformed outputs must never crash the grader
        why = where + _("the returned values could not be compared ({error})").format(
            error=f"{exc.__class__.__name__}: {exc}"
        )
        return result(Status.FAIL, message=plain(why)[:300])
    if measure.passed:
        return result(Status.PASS, spec.points, error=measure.error)
    accepted = _other_convention(check, fixture, outputs, tol)
    if accepted is not None:
        name, other = accepted
        note = _("passed under another correct convention: {note}").format(note=CONVENTIONS[name].note)
        return result(Status.PASS, spec.points, error=other.error, message=note)
    try:
        hint = diagnose(outputs, fixture.expected, fixture.wrong, fixture.messages, tol, dict(fixture.case.arrays))
    except Exception:  # noqa: BLE001 - a diagnosis is a hint; it never breaks scoring
        hint = None
    message = measure.detail or _("outputs differ from the expected values")
    if hint:
        message = _("likely: {hint} ({detail})").format(hint=hint, detail=message)
    message += shape_note
    message = without_values(message) if hidden else plain(message)
    return result(Status.FAIL, error=measure.error, message=where + message)




def passes_case(check, fixture: Fixture, outputs, tol: float) -> bool:
    """Whether ``outputs`` pass on ``fixture``'s case, under the reference's convention or another accepted one."""
    if check.compare(outputs, fixture.expected, fixture.case, tol).passed:
        return True
    return _other_convention(check, fixture, outputs, tol) is not None


def _other_convention(check, fixture: Fixture, outputs, tol: float):
    """``(name, measure)`` of the first other correct convention whose outputs these match, else None."""
    for name in check.conventions:
        expected = fixture.variants.get(name)
        if expected is None:
            continue
        try:
            measure = check.compare(outputs, expected, fixture.case, tol)
        except Exception:  # noqa: BLE001 - as for the main comparison: malformed outputs fail, never crash
            continue
        if measure.passed:
            return name, measure
    return None


def score_question(
    question: QuestionSpec, checks: dict[str, Check], outcomes: dict[str, Outcome], fixtures: dict[str, Fixture],
    *, hidden: bool = False, strict_shapes: bool = False,
) -> QuestionResult:
    results = []
    for spec in question.checks:
        outcome = outcomes.get(spec.id, Outcome("error", message=_("the check did not run")))
        check = checks[spec.id]
        results.append(score_check(check, spec, outcome, fixtures[spec.id], hidden=hidden, strict_shapes=strict_shapes))
    return QuestionResult(question.id, question.title, question.points, question.extra_credit, tuple(results))
