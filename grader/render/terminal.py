"""The terminal table of ``python -m grader check``."""
from __future__ import annotations

import shutil
from collections.abc import Sequence

from ..results import CheckResult, QuestionResult, Status
from . import fmt_number, fmt_points

_MARK = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.NOT_IMPLEMENTED: "not implemented",
    Status.ERROR: "ERROR",
    Status.TIMEOUT: "TIMEOUT",
}


def _explain(c: CheckResult) -> str:
    if c.status is Status.PASS:
        return ""
    text = c.message
    if c.location:
        text = f"{text} [at {c.location}]" if text else f"at {c.location}"
    return text


def render_question(q: QuestionResult, width: int | None = None) -> str:
    from ..optional import skipped_reason

    width = width or shutil.get_terminal_size((100, 20)).columns
    skipped = skipped_reason(q)
    if skipped:  # one line, not one per check
        return f"{q.question}: {q.title}{' (extra credit)' if q.extra_credit else ''}  -  skipped: {skipped}"
    name_w = max([len("check")] + [len(c.check_id) for c in q.checks])
    extra = " (extra credit)" if q.extra_credit else ""
    lines = [f"{q.question}: {q.title}{extra}  -  {fmt_points(q.points)} / {fmt_points(q.max_points)} points"]
    lines.append(f"  {'check':<{name_w}}  {'status':<15}  {'error':>9}  {'tolerance':>9}  {'points':>7}")
    for c in q.checks:
        lines.append(
            f"  {c.check_id:<{name_w}}  {_MARK[c.status]:<15}  {fmt_number(c.error):>9}  {fmt_number(c.tolerance):>9}  "
            f"{fmt_points(c.points) + '/' + fmt_points(c.max_points):>7}"
        )
        why = _explain(c)
        if why:
            limit = max(40, width - 6)
            lines.append(f"      {why if len(why) <= limit else why[: limit - 3] + '...'}")
    return "\n".join(lines)


def render(results: Sequence[QuestionResult]) -> str:
    parts = [render_question(q) for q in results]
    total = sum(q.points for q in results)
    possible = sum(q.max_points for q in results if not q.extra_credit)
    parts.append(
        f"total: {fmt_points(total)} / {fmt_points(possible)} points"
        + (" (+ extra credit)" if any(q.extra_credit for q in results) else "")
        + " - public checks: the grade runs hidden checks on other inputs"
    )
    return "\n\n".join(parts)
