"""The trusted side's result types: what a check and a question scored (data only).

They never reach the sandbox (``grader.zones.WORKER_FILES`` does not copy this
module): the worker returns plain arrays and JSON, and ``grader.scoring`` turns
them into these. Renderers (terminal, HTML, Gradescope JSON) live in
``grader.render``, never on the classes.
"""
from __future__ import annotations

import dataclasses
import enum


class Status(str, enum.Enum):
    """The closed set of outcomes of one check."""

    PASS = "pass"
    FAIL = "fail"
    NOT_IMPLEMENTED = "not implemented"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    check_id: str
    """The check's id, unique across the rubric (``affine_forward``)."""
    question: str
    """The rubric's question id (``q1``)."""
    title: str
    """The check's one-line title."""
    status: Status
    """What happened (``Status``)."""
    points: float
    """Points earned."""
    max_points: float
    """Points at stake (0 for a check the edition lacks)."""
    error: float | None = None
    """The measured error (None when nothing was compared)."""
    tolerance: float | None = None
    """The tolerance the error was held to."""
    message: str = ""
    """The diagnosis on failure, or the error's last line."""
    location: str = ""
    """The student's file and line where an exception arose."""
    seconds: float = 0.0
    """Wall-clock time of the check."""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS


@dataclasses.dataclass(frozen=True)
class QuestionResult:
    """The outcome of one question of the rubric: its checks' results."""

    question: str
    """The question id (``q1``)."""
    title: str
    """The question's title in the rubric."""
    max_points: float
    """The question's points in the rubric."""
    extra_credit: bool
    """Whether its points are on top of the total (not counted in ``max_total``)."""
    checks: tuple[CheckResult, ...]
    """One result per check, in the rubric's order."""

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def all_passed(self) -> bool:
        return all(c.passed for c in self.checks)
