"""Questions skipped for a missing optional extra (Q5 without torch): reported once, never a failure.

Where torch cannot be imported every Q5 check ends ``not implemented`` with
``grader.checks.q5.NO_TORCH`` (the install command). ``check`` shows such a
question as one line, ``skipped: ...``, and its exit code ignores it: only a
check the student could pass makes ``check`` exit 1 (CONTRACT §4).
"""
from __future__ import annotations

from .checks.q5 import INSTALL, NO_TORCH
from .results import QuestionResult, Status

#: The messages that mean "this machine lacks an optional extra", with what to say instead.
MISSING_EXTRA = {NO_TORCH: f"PyTorch is not installed; install it with {INSTALL} to run it"}


def skipped_reason(q: QuestionResult) -> str | None:
    """Why ``q`` was skipped (one line), or None when it ran."""
    if not q.checks or any(c.status is not Status.NOT_IMPLEMENTED for c in q.checks):
        return None
    messages = {c.message for c in q.checks}
    if len(messages) != 1:
        return None
    return MISSING_EXTRA.get(messages.pop())


def failed(results) -> bool:
    """Whether a check the student could pass failed (skipped questions left out)."""
    return any(not q.all_passed for q in results if skipped_reason(q) is None)
