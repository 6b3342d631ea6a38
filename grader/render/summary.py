"""``DIR/summary.html``: the batch at a glance, built from the ``results.json`` files.

``render(results)`` takes the parsed ``results.json`` objects of a batch (the
``a2kit`` field says the submission, status, total and message; the ``tests``
list says each check's outcome) and returns one self-contained page: inline
CSS, no script, nothing fetched. Its parts, each with a stable ``id`` for
tools and browser tests:

* ``#score-plot``: an inline SVG histogram of the totals (drawn here), totals
  above the maximum (extra credit) in a bin of their own; ``error`` rows are
  left out (they are no zeros) and counted apart;
* ``#question-plots``: the same per question (``#plot-q1`` ...);
* ``#check-table``: per check, how many of the graded submissions passed it,
  most failed first, with how many were "not implemented" and the most common
  diagnosis of the other failures;
* ``#heat-map``: submission by question, each cell coloured by the fraction of
  the question's points, each submission linked to its report;
* ``#diagnoses``: the most frequent diagnoses of failed checks, "not
  implemented" left out (numbers in the messages are folded so the same
  mistake with different values counts once);
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
from collections.abc import Iterable, Sequence
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..i18n import _, language, ngettext
from . import fmt_points
from .plots import above, histogram, question_plots, score_svg

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
    #: (question id, points, max points, extra credit), from the tests (results.json has no per-question maximum)
    questions: tuple[tuple[str, float, float, bool], ...] = ()
    #: the first line of each test's output ("failed", "not implemented", "timed out", ...), as ``tests``
    kinds: tuple[str, ...] = ()

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
    raw = list(data.get("tests", []))
    tests = tuple((str(t["name"]).split(":", 1)[0], t.get("status") == "passed", _diagnosis(t)) for t in raw)
    kinds = tuple((str(t.get("output", "")).splitlines() or [""])[0].strip() for t in raw)
    per_q: dict[str, list] = {}
    for t in raw:
        qid = str(t["name"]).split(" ", 1)[0]
        acc = per_q.setdefault(qid, [0.0, 0.0, "extra-credit" in (t.get("tags") or [])])
        acc[0] += float(t.get("score", 0) or 0)
        acc[1] += float(t.get("max_score", 0) or 0)
    return Entry(
        submission=str(meta["submission"]),
        status=str(meta["status"]),
        total=float(meta["total"]),
        max_total=float(meta["max_total"]),
        message=str(meta.get("message", "")),
        seconds=float(meta.get("seconds", data.get("execution_time", 0)) or 0),
        tests=tests,
        questions=tuple((q, a[0], a[1], bool(a[2])) for q, a in per_q.items()),
        kinds=kinds,
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


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _fold(message: str) -> str:
    return _NUMBER.sub("#", message)


@dataclasses.dataclass(frozen=True)
class CheckRate:
    name: str
    passed: int
    attempted: int
    not_implemented: int = 0
    diagnosis: str = ""  # the most common real diagnosis of its failures (not "not implemented")
    diagnosed: int = 0  # how many failures had that diagnosis

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.attempted if self.attempted else 0.0

    @property
    def failure_rate(self) -> float:
        return 100.0 - self.percent if self.attempted else 0.0


#: First lines of a test's output that are no diagnosis of the student's mistake.
NOT_A_DIAGNOSIS = ("not implemented",)


def check_rates(entries: Sequence[Entry]) -> list[CheckRate]:
    """Per check: how many of the graded submissions that ran it passed it; most failed first.

    ``error`` rows ran no check and are left out. Each check carries the most
    common diagnosis of its failures among those that are not "not implemented"
    (numbers folded, one example shown).
    """
    passed: dict[str, int] = {}
    attempted: dict[str, int] = {}
    stubbed: dict[str, int] = {}
    why: dict[str, collections.Counter] = {}
    example: dict[tuple[str, str], str] = {}
    for e in entries:
        if e.status == "error":
            continue
        kinds = e.kinds or ("",) * len(e.tests)
        for (name, ok, diag), kind in zip(e.tests, kinds, strict=False):
            attempted[name] = attempted.get(name, 0) + 1
            passed[name] = passed.get(name, 0) + int(ok)
            if ok:
                continue
            if kind in NOT_A_DIAGNOSIS:
                stubbed[name] = stubbed.get(name, 0) + 1
                continue
            text = diag or kind
            if text:
                key = _fold(text)
                why.setdefault(name, collections.Counter())[key] += 1
                example.setdefault((name, key), text)
    rates = []
    for n in attempted:
        top = why.get(n, collections.Counter()).most_common(1)
        diag, count = (example[(n, top[0][0])], top[0][1]) if top else ("", 0)
        rates.append(CheckRate(n, passed[n], attempted[n], stubbed.get(n, 0), diag, count))
    order = {n: i for i, n in enumerate(attempted)}
    return sorted(rates, key=lambda r: (-r.failure_rate, order[r.name]))


def _heat_colour(fraction: float) -> str:
    """Red (0) through yellow to green (1), as a CSS colour."""
    f = min(max(fraction, 0.0), 1.0)
    hue = round(120 * f)
    return f"hsl({hue}, 70%, 72%)"


@dataclasses.dataclass(frozen=True)
class HeatRow:
    entry: Entry
    cells: tuple[tuple[str, str, str], ...]  # (text, colour, title) per question


def heat_map(entries: Sequence[Entry], question_ids: Sequence[str]) -> list[HeatRow]:
    """Submission by question: each cell its points, coloured by the fraction of the question's maximum."""
    rows = []
    for e in entries:
        got = {q: (pts, mx) for q, pts, mx, _ in e.questions}
        cells = []
        for q in question_ids:
            if e.status == "error" or q not in got:
                cells.append(("-", "#eaeef2", _("{question}: not graded").format(question=q)))
                continue
            pts, mx = got[q]
            cells.append(
                (fmt_points(pts), _heat_colour(pts / mx if mx else 0.0), f"{q}: {fmt_points(pts)} / {fmt_points(mx)}")
            )
        rows.append(HeatRow(e, tuple(cells)))
    return rows


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    check: str
    example: str
    count: int


def diagnoses(entries: Sequence[Entry], limit: int = 15) -> list[Diagnosis]:
    """The most frequent (check, folded message) pairs among failed checks, with one example message.

    A stub's "not implemented" is no diagnosis (it would fill the table on a
    class that started late): those are counted per check in ``check_rates``.
    """
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    example: dict[tuple[str, str], str] = {}
    for e in entries:
        kinds = e.kinds or ("",) * len(e.tests)
        for (name, ok, why), kind in zip(e.tests, kinds, strict=False):
            if ok or not why or kind in NOT_A_DIAGNOSIS:
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
#question-plots { display: flex; flex-wrap: wrap; gap: 8px; } figure.qplot { margin: 0; }
figure.qplot figcaption { font-size: 12px; color: #57606a; } td.heat { min-width: 2.5em; }
.rate-bg { display: inline-block; width: 120px; height: 9px; background: #ffebe9; vertical-align: middle; }
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="{{ lang() }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="a2-note">{{ intro }}</p>
<h2 id="scores">{{ _("Score distribution") }}</h2>
<div id="score-plot-box">{{ plot }}</div>
<div id="question-plots">
{%- for qp in qplots %}
<figure class="qplot"><figcaption>{{ qp.id }}{{ " (extra credit)" if qp.extra_credit }}: out of {{ pts(qp.max_points) }}</figcaption>{{ qp.svg }}</figure>
{%- endfor %}
</div>
<h2 id="checks">{{ _("Checks, most failed first") }}</h2>
<table class="a2" id="check-table">
<thead><tr><th>{{ _("check") }}</th><th>{{ _("passed") }}</th><th>{{ _("rate") }}</th><th></th><th>{{ _("not implemented") }}</th><th>{{ _("most common diagnosis of the others") }}</th></tr></thead>
<tbody>
{%- for r in rates %}
<tr><td>{{ r.name }}</td><td class="num">{{ r.passed }} / {{ r.attempted }}</td><td class="num">{{ "%.0f" % r.percent }}%</td>
<td><span class="rate-bg"><span class="rate" style="width: {{ "%.0f" % (r.percent * 1.2) }}px"></span></span></td>
<td class="num">{{ r.not_implemented }}</td>
<td>{% if r.diagnosis %}{{ r.diagnosed }}&times; {{ r.diagnosis }}{% endif %}</td></tr>
{%- else %}
<tr><td colspan="6" class="a2-note">{{ _("no check ran") }}</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="heat-title">{{ _("Submissions by question") }}</h2>
<table class="a2" id="heat-map">
<thead><tr><th>{{ _("submission") }}</th><th>{{ _("status") }}</th>{% for q in question_ids %}<th>{{ q }}</th>{% endfor %}<th>{{ _("total") }}</th></tr></thead>
<tbody>
{%- for h in heat %}
<tr><td><a href="{{ h.entry.href }}">{{ h.entry.submission }}</a></td><td>{{ h.entry.status }}</td>
{%- for text, colour, tip in h.cells %}<td class="num heat" style="background: {{ colour }}" title="{{ tip }}">{{ text }}</td>{% endfor %}
<td class="num">{{ pts(h.entry.total) }} / {{ pts(h.entry.max_total) }}</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="diagnoses-title">{{ _('Most common diagnoses (not "not implemented")') }}</h2>
<table class="a2" id="diagnoses">
<thead><tr><th>{{ _("count") }}</th><th>{{ _("check") }}</th><th>{{ _("diagnosis (one example)") }}</th></tr></thead>
<tbody>
{%- for d in diags %}
<tr><td class="num">{{ d.count }}</td><td>{{ d.check }}</td><td>{{ d.example }}</td></tr>
{%- else %}
<tr><td colspan="3" class="a2-note">{{ _("no failed check with a diagnosis") }}</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="errors-title">{{ _("Errors") }}</h2>
<table class="a2" id="errors">
<thead><tr><th>{{ _("submission") }}</th><th>{{ _("status") }}</th><th>{{ _("reason") }}</th></tr></thead>
<tbody>
{%- for e in errors %}
<tr><td><a href="{{ e.href }}">{{ e.submission }}</a></td><td class="a2-fail">{{ e.status }}</td><td>{{ e.message }}</td></tr>
{%- else %}
<tr><td colspan="3" class="a2-note">{{ _("none") }}</td></tr>
{%- endfor %}
</tbody></table>
<h2 id="slowest-title">{{ _("Slowest submissions") }}</h2>
<table class="a2" id="slowest">
<thead><tr><th>{{ _("submission") }}</th><th>{{ _("seconds") }}</th><th>{{ _("status") }}</th><th>{{ _("total") }}</th></tr></thead>
<tbody>
{%- for e in slowest %}
<tr><td><a href="{{ e.href }}">{{ e.submission }}</a></td><td class="num">{{ e.seconds | round(1) }}</td>
<td>{{ e.status }}</td><td class="num">{{ pts(e.total) }} / {{ pts(e.max_total) }}</td></tr>
{%- endfor %}
</tbody></table>
</body>
</html>
"""  # noqa: E501 - an HTML template: a line break would change the page

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
_ENV.globals.update(pts=fmt_points, lang=language)
_ENV.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # the template's own labels only
_TEMPLATE = _ENV.from_string(_PAGE)

STATUS_ORDER = ("graded", "partial", "error")


def intro(n: int, counts: Sequence[tuple[str, int]], stats: dict | None, max_total: float, n_errors: int) -> str:
    """The page's first paragraph, in the current language (the status values stay as in gradebook.csv)."""
    parts = [
        ngettext("{n} submission", "{n} submissions", n).format(n=n)
        + ": " + ", ".join(f"{k} {s}" for s, k in counts) + "."
    ]
    if stats:
        parts.append(
            _(
                "Total points of the {n} graded: mean {mean}, median {median}, min {min}, max {max} "
                "(out of {max_total}; extra credit above it)."
            ).format(
                n=stats["n"], mean=fmt_points(stats["mean"]), median=fmt_points(stats["median"]),
                min=fmt_points(stats["min"]), max=fmt_points(stats["max"]), max_total=fmt_points(max_total),
            )
        )
    if n_errors:
        parts.append(
            ngettext(
                "{n} error row (not graded) is left out of the plots and statistics, not counted as zeros.",
                "{n} error rows (not graded) are left out of the plots and statistics, not counted as zeros.",
                n_errors,
            ).format(n=n_errors)
        )
    return " ".join(parts)


def render(entries: Sequence[Entry], *, title: str = "Grading summary", slowest: int = 10) -> str:
    """The whole page for ``entries`` (see the module docstring)."""
    entries = list(entries)
    graded = [e for e in entries if e.status != "error"]  # error rows are not zeros
    totals = [e.total for e in graded]
    max_total = max((e.max_total for e in entries), default=0.0)
    stats = None
    if totals:
        stats = {
            "n": len(totals),
            "mean": statistics.fmean(totals),
            "median": statistics.median(totals),
            "min": min(totals),
            "max": max(totals),
        }
    question_ids = list(dict.fromkeys(q for e in entries for q, *_ in e.questions))
    status_counts = collections.Counter(e.status for e in entries)
    counts = [(s, status_counts[s]) for s in STATUS_ORDER if status_counts[s]]
    counts += [(s, n) for s, n in sorted(status_counts.items()) if s not in STATUS_ORDER]
    return _TEMPLATE.render(
        title=title,
        css=Markup(_CSS),
        intro=intro(len(entries), counts, stats, max_total, len(entries) - len(graded)),
        entries=entries,
        counts=counts,
        stats=stats,
        max_total=max_total,
        plot=score_svg(totals, max_total),
        rates=check_rates(entries),
        diags=diagnoses(entries),
        qplots=question_plots(entries),
        heat=heat_map(entries, question_ids),
        question_ids=question_ids,
        n_errors=len(entries) - len(graded),
        errors=[e for e in entries if e.status != "graded"],
        slowest=sorted(entries, key=lambda e: (-e.seconds, e.submission))[:slowest],
    )


__all__ = [
    "Entry",
    "above",
    "check_rates",
    "diagnoses",
    "entry",
    "heat_map",
    "histogram",
    "load",
    "question_plots",
    "render",
    "score_svg",
]
