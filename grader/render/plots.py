"""The summary page's plots: inline SVG histograms of the totals and of each question's points.

Drawn here, no plotting library: each plot is a few ``<rect>`` and ``<text>``
elements, every label escaped. ``entries`` are ``grader.render.summary.Entry``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from markupsafe import Markup, escape

from ..i18n import _, ngettext
from . import fmt_points


def histogram(totals: Sequence[float], max_total: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """``bins`` equal bins over [0, max_total]: (low, high, count); the last includes max_total.

    A total below 0 counts in the first bin. A total above ``max_total``
    (extra credit) is in none of them: ``above(totals, max_total)`` counts those,
    drawn as a bin of their own.
    """
    top = max_total if max_total > 0 else max([1.0, *totals])
    width = top / bins
    counts = [0] * bins
    for t in totals:
        if max_total > 0 and t > max_total + 1e-9:
            continue
        i = int(t // width) if width > 0 else 0
        counts[min(max(i, 0), bins - 1)] += 1
    return [(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def above(totals: Sequence[float], max_total: float) -> int:
    """How many totals exceed ``max_total`` (extra credit): the plots' own bin, never the top one."""
    return sum(1 for t in totals if max_total > 0 and t > max_total + 1e-9)


def score_svg(
    totals: Sequence[float],
    max_total: float,
    *,
    width: int = 640,
    height: int = 260,
    svg_id: str = "score-plot",
    label: str | None = None,
    bar_class: str = "bar",
) -> Markup:
    """The histogram of ``totals`` as an inline SVG element (id ``score-plot`` for the totals).

    Totals above ``max_total`` get a bin of their own to the right, labelled
    ``> max`` (class ``extra``), only when there are some.
    """
    label = _("total points") if label is None else label
    bins = histogram(totals, max_total)
    extra = above(totals, max_total)
    if extra:
        bins = [*bins, (max_total, float("inf"), extra)]
    left, right, top, bottom = 44, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([c for _, _, c in bins] + [1])
    bar_w = plot_w / len(bins)
    aria = escape(_("histogram of {label}").format(label=label))
    parts = [
        (
            f'<svg id="{svg_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{aria}">'
        ),
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    ticks = sorted({0, peak, *(round(peak * k / 4) for k in range(1, 4))})
    for tick in ticks:
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e1e4e8"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">{tick}</text>'
        )
    for i, (lo, hi, count) in enumerate(bins):
        h = plot_h * count / peak
        x = left + i * bar_w
        is_extra = hi == float("inf")
        if is_extra:
            span = _("above {low} (extra credit)").format(low=fmt_points(lo))
        else:
            span = _("{low} to {high}").format(low=fmt_points(lo), high=fmt_points(hi))
        tip = ngettext("{span} points: {n} submission", "{span} points: {n} submissions", count).format(
            span=span, n=count
        )
        parts.append(
            f'<rect class="{bar_class}{" extra" if is_extra else ""}" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{"#8250df" if is_extra else "#0969da"}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                f'text-anchor="middle" font-size="11">{count}</text>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="11" fill="#57606a">'
            f"{fmt_points(lo)}</text>"
        )
    last = bins[-1] if not extra else bins[-2]
    end_x = left + (len(bins) - (1 if extra else 0)) * bar_w
    parts.append(
        f'<text x="{end_x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="11" fill="#57606a">'
        f"{fmt_points(last[1])}</text>"
    )
    if extra:
        word = escape(_("extra"))
        parts.append(
            f'<text x="{end_x + bar_w / 2:.1f}" y="{top + plot_h + 28}" '
            f'text-anchor="middle" font-size="11" fill="#8250df">{word}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#57606a"/>')
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12">{escape(label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))




@dataclasses.dataclass(frozen=True)
class QuestionPlot:
    id: str
    max_points: float
    extra_credit: bool
    svg: Markup


def question_plots(entries: Sequence) -> list[QuestionPlot]:
    """Per question (first-seen order): the histogram of its points among the graded submissions."""
    values: dict[str, list[float]] = {}
    top: dict[str, float] = {}
    extra: dict[str, bool] = {}
    for e in entries:
        if e.status == "error":
            continue
        for qid, pts, mx, ec in e.questions:
            values.setdefault(qid, []).append(pts)
            top[qid] = max(top.get(qid, 0.0), mx)
            extra[qid] = extra.get(qid, False) or ec
    return [
        QuestionPlot(
            q,
            top[q],
            extra[q],
            score_svg(
                v, top[q], width=320, height=170, svg_id=f"plot-{q}",
                label=_("{question} points").format(question=q), bar_class="qbar",
            ),
        )
        for q, v in values.items()
    ]
