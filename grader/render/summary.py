"""``DIR/summary.html``: the batch at a glance, built from the ``results.json`` files.

``render(results)`` takes the parsed ``results.json`` objects of a batch (the
``a2kit`` field says the submission, status, total and message; the ``tests``
list says each check's outcome) and returns one self-contained page: inline
CSS, no script, nothing fetched. Its parts, each with a stable ``id`` for
tools and browser tests:

* ``#score-plot``: an inline SVG histogram of the totals (drawn here);
* ``#check-table``: per check, how many of the graded submissions passed it;
* ``#diagnoses``: the most frequent diagnoses of failed checks (numbers in the
  messages are folded so the same mistake with different values counts once);
* ``#errors``: submissions whose status is ``error`` or ``partial``, with the reason;
* ``#slowest``: the submissions that took longest (``execution_time``).

Every text that comes from a submission (its id, messages) is escaped by
jinja2's autoescape; links to ``<id>/report.html`` are percent-encoded.
``load(out, ids)`` reads the files back, skipping unreadable ones, so a rerun
rebuilds the page from what is on disk.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import re
import statistics
import urllib.parse
from pathlib import Path
from typing import Iterable, Sequence

import jinja2
from markupsafe import Markup, escape

from . import fmt_points

RESULTS = "results.json"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One submission as the summary sees it."""

    submission: str
    status: str
    total: float
    max_total: float
    message: str
    seconds: float
    tests: tuple[tuple[str, bool, str], ...]  # (check name, passed, diagnosis)

    @property
    def href(self) -> str:
        return urllib.parse.quote(self.submission, safe="") + "/report.html"


def _diagnosis(test: dict) -> str:
    """The message part of a test's output: what follows the status and error lines."""
    lines = str(test.get("output", "")).splitlines()[1:]
    keep = [ln for ln in lines if not ln.startswith("relative error ") and not ln.startswith("at ")]
    return " ".join(keep).strip()


def entry(data: dict) -> Entry:
    """An ``Entry`` from one parsed ``results.json`` (KeyError/TypeError/ValueError when malformed)."""
    meta = data["a2kit"]
    tests = tuple(
        (str(t["name"]).split(":", 1)[0], t.get("status") == "passed", _diagnosis(t)) for t in data.get("tests", [])
    )
    return Entry(
        submission=str(meta["submission"]),
        status=str(meta["status"]),
        total=float(meta["total"]),
        max_total=float(meta["max_total"]),
        message=str(meta.get("message", "")),
        seconds=float(meta.get("seconds", data.get("execution_time", 0)) or 0),
        tests=tests,
    )


def load(out: Path, ids: Iterable[str]) -> list[Entry]:
    """The entries of ``out/<id>/results.json`` for each id, in order; unreadable files are left out."""
    entries = []
    for sid in ids:
        try:
            entries.append(entry(json.loads((Path(out) / sid / RESULTS).read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return entries


# -- the pieces -------------------------------------------------------------------


def histogram(totals: Sequence[float], max_total: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """``bins`` equal bins over [0, max_total]: (low, high, count); the last includes max_total.

    Totals outside the range (extra credit above, nothing below 0) go to the
    nearest end bin.
    """
    top = max_total if max_total > 0 else max([1.0, *totals])
    width = top / bins
    counts = [0] * bins
    for t in totals:
        i = int(t // width) if width > 0 else 0
        counts[min(max(i, 0), bins - 1)] += 1
    return [(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def score_svg(totals: Sequence[float], max_total: float, *, width: int = 640, height: int = 260) -> Markup:
    """The histogram of ``totals`` as an inline SVG element with id ``score-plot``."""
    bins = histogram(totals, max_total)
    left, right, top, bottom = 44, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([c for _, _, c in bins] + [1])
    bar_w = plot_w / len(bins)
    parts = [
        (
            f'<svg id="score-plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="histogram of total scores">'
        ),
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    ticks = sorted({0, peak, *(round(peak * k / 4) for k in range(1, 4))})
    for tick in ticks:
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e1e4e8"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">{tick}</text>')
    for i, (lo, hi, count) in enumerate(bins):
        h = plot_h * count / peak
        x = left + i * bar_w
        label = f"{fmt_points(lo)} to {fmt_points(hi)} points: {count} submission{'s' if count != 1 else ''}"
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
            f'fill="#0969da"><title>{escape(label)}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" font-size="11">{count}</text>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="11" fill="#57606a">{fmt_points(lo)}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="11" fill="#57606a">'
        f"{fmt_points(bins[-1][1])}</text>"
    )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#57606a"/>')
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12">total points</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _fold(message: str) -> str:
    return _NUMBER.sub("#", message)


@dataclasses.dataclass(frozen=True)
class CheckRate:
    name: str
    passed: int
    attempted: int

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.attempted if self.attempted else 0.0


def check_rates(entries: Sequence[Entry]) -> list[CheckRate]:
    """Per check name (in first-seen order): how many of the submissions that ran it passed it."""
    passed: dict[str, int] = {}
    attempted: dict[str, int] = {}
    for e in entries:
        for name, ok, _ in e.tests:
            attempted[name] = attempted.get(name, 0) + 1
            passed[name] = passed.get(name, 0) + int(ok)
    return [CheckRate(n, passed[n], attempted[n]) for n in attempted]


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    check: str
    example: str
    count: int


def diagnoses(entries: Sequence[Entry], limit: int = 15) -> list[Diagnosis]:
    """The most frequent (check, folded message) pairs among failed checks, with one example message."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    example: dict[tuple[str, str], str] = {}
    for e in entries:
        for name, ok, why in e.tests:
            if ok or not why:
                continue
            key = (name, _fold(why))
            counts[key] += 1
            example.setdefault(key, why)
    return [Diagnosis(k[0], example[k], n) for k, n in counts.most_common(limit)]


# -- the page ---------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 1100px; padding: 1.5em 2em; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #d0d7de; }
table.a2 { border-collapse: collapse; margin: .4em 0 1em; font-size: 13px; }
table.a2 th, table.a2 td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
table.a2 th { background: #f6f8fa; } table.a2 td.num { text-align: right; font-variant-numeric: tabular-nums; }
.a2-note { color: #57606a; } .a2-fail { color: #cf222e; font-weight: bold; }
.rate { display: block; height: 9px; background: #1a7f37; }
.rate-bg { display: inline-block; width: 120px; height: 9px; background: #ffebe9; vertical-align: middle; }
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="a2-note">{{ entries | length }} submission{{ "s" if entries | length != 1 }}:
{% for s, n in counts %}{{ n }} {{ s }}{% if not loop.last %}, {% endif %}{% endfor %}.
{%- if stats %} Total points: mean {{ pts(stats.mean) }}, median {{ pts(stats.median) }},
min {{ pts(stats.min) }}, max {{ pts(stats.max) }} (out of {{ pts(max_total) }}).{% endif %}</p>
<h2 id="scores">Score distribution</h2>
<div id="score-plot-box">{{ plot }}</div>
<h2 id="checks">Pass rate per check</h2>
<table class="a2" id="check-table">
<thead><tr><th>check</th><th>passed</th><th>rate</th><th></th></tr></thead>
<tbody>
{%- for r in rates %}
<tr><td>{{ r.name }}</td><td class="num">{{ r.passed }} / {{ r.attempted }}</td><td class="num">{{ "%.0f" % r.percent }}%</td>
<td><span class="rate-bg"><span class="rate" style="width: {{ "%.0f" % (r.percent * 1.2) }}px"></span></span></td></tr>
{%- else %}
<tr><td colspan="4" class="a2-note">no check ran</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="diagnoses-title">Most common diagnoses</h2>
<table class="a2" id="diagnoses">
<thead><tr><th>count</th><th>check</th><th>diagnosis (one example)</th></tr></thead>
<tbody>
{%- for d in diags %}
<tr><td class="num">{{ d.count }}</td><td>{{ d.check }}</td><td>{{ d.example }}</td></tr>
{%- else %}
<tr><td colspan="3" class="a2-note">no failed check with a diagnosis</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="errors-title">Errors</h2>
<table class="a2" id="errors">
<thead><tr><th>submission</th><th>status</th><th>reason</th></tr></thead>
<tbody>
{%- for e in errors %}
<tr><td><a href="{{ e.href }}">{{ e.submission }}</a></td><td class="a2-fail">{{ e.status }}</td><td>{{ e.message }}</td></tr>
{%- else %}
<tr><td colspan="3" class="a2-note">none</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="slowest-title">Slowest submissions</h2>
<table class="a2" id="slowest">
<thead><tr><th>submission</th><th>seconds</th><th>status</th><th>total</th></tr></thead>
<tbody>
{%- for e in slowest %}
<tr><td><a href="{{ e.href }}">{{ e.submission }}</a></td><td class="num">{{ e.seconds | round(1) }}</td>
<td>{{ e.status }}</td><td class="num">{{ pts(e.total) }} / {{ pts(e.max_total) }}</td></tr>
{%- endfor %}
</tbody></table>
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_ENV.globals.update(pts=fmt_points)
_TEMPLATE = _ENV.from_string(_PAGE)

STATUS_ORDER = ("graded", "partial", "error")


def render(entries: Sequence[Entry], *, title: str = "Grading summary", slowest: int = 10) -> str:
    """The whole page for ``entries`` (see the module docstring)."""
    entries = list(entries)
    totals = [e.total for e in entries]
    max_total = max((e.max_total for e in entries), default=0.0)
    stats = None
    if totals:
        stats = {"mean": statistics.fmean(totals), "median": statistics.median(totals), "min": min(totals), "max": max(totals)}
    status_counts = collections.Counter(e.status for e in entries)
    counts = [(s, status_counts[s]) for s in STATUS_ORDER if status_counts[s]]
    counts += [(s, n) for s, n in sorted(status_counts.items()) if s not in STATUS_ORDER]
    return _TEMPLATE.render(
        title=title,
        css=Markup(_CSS),
        entries=entries,
        counts=counts,
        stats=stats,
        max_total=max_total,
        plot=score_svg(totals, max_total),
        rates=check_rates(entries),
        diags=diagnoses(entries),
        errors=[e for e in entries if e.status != "graded"],
        slowest=sorted(entries, key=lambda e: (-e.seconds, e.submission))[:slowest],
    )


__all__ = ["Entry", "check_rates", "diagnoses", "entry", "histogram", "load", "render", "score_svg"]
