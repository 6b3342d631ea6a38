"""``results.json`` in the Gradescope autograder format, one test per check.

Top level: ``score``, ``execution_time``, ``output``, ``stdout_visibility``,
``tests`` (each ``name``, ``number``, ``score``, ``max_score``, ``status``
("passed"/"failed"), ``output``, ``visibility``, ``tags``), plus an ``a2kit``
field (Gradescope ignores unknown top-level fields) holding what
``grader.batch`` needs to rebuild the gradebook row without regrading:
``submission``, ``status``, ``scores`` (per question id), ``total``,
``max_total``, ``message``, ``notes``, ``rubric``.

Only what the student may see goes in: the check's title, its status, the
measured error against the tolerance and the diagnosis. Never the hidden
inputs, the expected values or the secret.
"""
from __future__ import annotations

from typing import Sequence

from ..checks.base import QuestionResult, Status
from . import fmt_number

STATUS_TEXT = {
    Status.PASS: "passed",
    Status.FAIL: "failed",
    Status.NOT_IMPLEMENTED: "not implemented",
    Status.ERROR: "error",
    Status.TIMEOUT: "timed out",
}


def _test_output(c) -> str:
    lines = [f"{STATUS_TEXT.get(c.status, str(c.status))}"]
    if c.error is not None:
        lines.append(f"relative error {fmt_number(c.error)} (tolerance {fmt_number(c.tolerance)})")
    if c.message:
        lines.append(c.message)
    if c.location:
        lines.append(f"at {c.location}")
    return "\n".join(lines)


def tests(results: Sequence[QuestionResult], *, visibility: str = "visible") -> list[dict]:
    out = []
    for qi, q in enumerate(results, start=1):
        for ci, c in enumerate(q.checks, start=1):
            out.append(
                {
                    "name": f"{q.question} {c.check_id}: {c.title}",
                    "number": f"{qi}.{ci}",
                    "score": float(c.points),
                    "max_score": float(c.max_points),
                    "status": "passed" if c.status is Status.PASS else "failed",
                    "output": _test_output(c),
                    "visibility": visibility,
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
    visibility: str = "visible",
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
