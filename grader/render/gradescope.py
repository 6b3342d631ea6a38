"""``results.json`` in the Gradescope autograder format, one test per check.

Top level: ``score``, ``execution_time``, ``output``, ``stdout_visibility``,
``tests`` (each ``name``, ``number``, ``score``, ``max_score``, ``status``
("passed"/"failed"), ``output``, ``visibility``, ``tags``), plus an ``a2kit``
field (Gradescope ignores unknown top-level fields) holding what
``grader.grading`` needs to rebuild the gradebook row without regrading:
``submission``, ``status``, ``scores`` (per question id), ``total``,
``max_total``, ``message``, ``notes``, ``rubric``.

Only what the student may see goes in: the check's title, its status, the
measured error against the tolerance and the diagnosis. Never the hidden
inputs, the expected values or the secret.

Each test's ``visibility`` comes from the rubric (``CheckSpec.visibility``).
A test that is not ``visible`` gets a redacted output (``redacted_output``):
its status and the category of its diagnosis, with every number, array and
quoted value taken out, so a student who sees it after the due date learns
what kind of mistake it was and nothing of the hidden case.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..i18n import _, pgettext
from ..isolation import NOTE_START, note_start
from ..results import QuestionResult, Status
from . import fmt_number


def _status_text(status) -> str:
    """The first line of a test's output: its status in words for the student, in the current language and the
    context "test status" (Spanish: "aprobada", not the summary's plural "aprobadas"); Gradescope's own
    ``status`` field is the machine value."""
    words = {
        Status.PASS: pgettext("test status", "passed"),
        Status.FAIL: pgettext("test status", "failed"),
        Status.NOT_IMPLEMENTED: pgettext("test status", "not implemented"),
        Status.ERROR: pgettext("test status", "error"),
        Status.TIMEOUT: pgettext("test status", "timed out"),
    }
    return words.get(status, str(status))


def _test_output(c) -> str:
    lines = [_status_text(c.status)]
    if c.error is not None:
        lines.append(
            _("relative error {error} (tolerance {tolerance})").format(
                error=fmt_number(c.error), tolerance=fmt_number(c.tolerance)
            )
        )
    if c.message:
        lines.append(c.message)
    if c.location:
        lines.append(_("at {location}").format(location=c.location))
    return "\n".join(lines)


#: What a redacted diagnosis loses: arrays and tuples, quoted text, then any number.
_REDACT = (
    re.compile(r"\[[^\[\]]*\]|\([^()]*\d[^()]*\)"),
    re.compile(r"'[^']*'|\"[^\"]*\""),
    re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\b(?:nan|inf)\b", re.IGNORECASE),
)


def diagnosis_category(message: str) -> str:
    """The diagnosis without its values, on one line: arrays, quoted text and numbers replaced by '...'."""
    text = (message or "").strip()
    for _round in range(4):  # nested brackets, arrays printed over several lines
        text = _REDACT[0].sub("...", text)
    for pattern in _REDACT[1:]:
        text = pattern.sub("...", text)
    text = re.sub(r"(?:\.\.\.[\s,;x]*)+\.\.\.", "...", text)
    text = " ".join(text.split())  # one line
    for pattern in _REDACT[1:]:  # a bracket left open by a cut message still holds no number
        text = pattern.sub("...", text)
    return text[:300]


def redacted_output(c) -> str:
    """A non-visible test's output: pass/fail and the diagnosis category, no input or expected value."""
    lines = [_status_text(c.status)]
    if c.status is Status.PASS and c.message.startswith((NOTE_START, note_start())):
        lines.append(c.message)  # function names and question ids only (grader.isolation)
    elif c.status is not Status.PASS and c.message:
        category = diagnosis_category(c.message)
        if category:
            lines.append(category)
    return "\n".join(lines)


def tests(results: Sequence[QuestionResult], *, visibility: str | Mapping[str, str] = "visible") -> list[dict]:
    """One test per check; ``visibility``: one value for all, or check id -> value (default ``visible``)."""
    out = []
    for qi, q in enumerate(results, start=1):
        for ci, c in enumerate(q.checks, start=1):
            vis = visibility if isinstance(visibility, str) else visibility.get(c.check_id, "visible")
            out.append(
                {
                    "name": f"{q.question} {c.check_id}: {c.title}",
                    "number": f"{qi}.{ci}",
                    "score": float(c.points),
                    "max_score": float(c.max_points),
                    "status": "passed" if c.status is Status.PASS else "failed",
                    "output": _test_output(c) if vis == "visible" else redacted_output(c),
                    "visibility": vis,
                    "tags": [q.question] + (["extra-credit"] if q.extra_credit else []),
                }
            )
    return out


def results_json(
    results: Sequence[QuestionResult],
    *,
    execution_time: float,
    output: str,
    a2kit: dict,
    visibility: str | Mapping[str, str] = "visible",
) -> dict:
    """The whole results.json object (``score`` is the sum of the tests' scores)."""
    t = tests(results, visibility=visibility)
    return {
        "score": float(sum(x["score"] for x in t)),
        "execution_time": int(round(execution_time)),
        "output": output,
        "stdout_visibility": "hidden",
        "tests": t,
        "a2kit": a2kit,
    }
