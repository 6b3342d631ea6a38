"""The terminal table of ``python -m grader check``."""
from __future__ import annotations

import shutil
from collections.abc import Sequence

from ..i18n import N_, _
from ..results import CheckResult, QuestionResult, Status
from . import fmt_number, fmt_points

_MARK = {
    Status.PASS: N_("pass"),
    Status.FAIL: N_("FAIL"),
    Status.NOT_IMPLEMENTED: N_("not implemented"),
    Status.ERROR: N_("ERROR"),
    Status.TIMEOUT: N_("TIMEOUT"),
}


def mark(status: Status) -> str:
    """The status as the table shows it, in the current language."""
    return _(_MARK[status])


def _explain(c: CheckResult) -> str:
    if c.status is Status.PASS:
        return ""
    text = c.message
    if c.location:
        at = _("at {location}").format(location=c.location)
        text = f"{text} [{at}]" if text else at
    return text


def render_question(q: QuestionResult, width: int | None = None) -> str:
    from ..optional import skipped_reason

    width = width or shutil.get_terminal_size((100, 20)).columns
    skipped = skipped_reason(q)
    extra = " " + _("(extra credit)") if q.extra_credit else ""
    title = _(q.title)
    if skipped:  # one line, not one per check
        return f"{q.question}: {title}{extra}  -  " + _("skipped: {reason}").format(reason=skipped)
    check, status, error, tolerance, points = _("check"), _("status"), _("error"), _("tolerance"), _("points")
    name_w = max([len(check)] + [len(c.check_id) for c in q.checks])
    got = _("{points} / {max_points} points").format(points=fmt_points(q.points), max_points=fmt_points(q.max_points))
    lines = [f"{q.question}: {title}{extra}  -  {got}"]
    lines.append(f"  {check:<{name_w}}  {status:<15}  {error:>9}  {tolerance:>9}  {points:>7}")
    for c in q.checks:
        lines.append(
            f"  {c.check_id:<{name_w}}  {mark(c.status):<15}  {fmt_number(c.error):>9}  {fmt_number(c.tolerance):>9}  "
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
    line = _("total: {points} / {max_points} points").format(points=fmt_points(total), max_points=fmt_points(possible))
    if any(q.extra_credit for q in results):
        line += " " + _("(+ extra credit)")
    parts.append(line + " - " + _("public checks: the grade runs hidden checks on other inputs"))
    return "\n\n".join(parts)
