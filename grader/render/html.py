"""Self-contained HTML: check tables, reports, and executed notebooks rendered safely.

* ``render_fragment(results)``: the check tables alone (what ``show_checks``
  displays in a notebook);
* ``render_report(results, title=..., facts=..., problems=..., sections=...)``:
  a whole page (inline CSS, no script, nothing fetched from the network) with
  the score per question, every check with its error and diagnosis, and extra
  sections, such as executed notebooks (``notebook_section``). ``collect``
  writes one for the student; the instructor's per-submission report uses the
  same function.

Everything the student controls is escaped (jinja2 autoescape) or, for
notebook markup, cleaned: outputs lose every mimetype but plain text, LaTeX,
PNG/JPEG/GIF images, HTML and Markdown (nbconvert's ``SanitizeHTML``), and the
converted notebook is passed through an allow-list cleaner (bleach) that keeps
structural tags, ``class``/``id``/``title`` attributes, links to http(s),
mailto and anchors, and images only as ``data:image/...`` URIs. Scripts, event
handlers, ``javascript:`` URLs, iframes, forms, styles and remote resources
are removed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence

import jinja2
from markupsafe import Markup

from ..answers import answer_id
from ..i18n import N_, _, language, ngettext
from ..results import QuestionResult, Status
from . import fmt_number, fmt_points
from .sanitize import clean_html, sanitize_notebook, strip_dangerous_blocks

STATUS_LABEL = {  # English; the templates translate them
    Status.PASS: N_("pass"),
    Status.FAIL: N_("FAIL"),
    Status.NOT_IMPLEMENTED: N_("not implemented"),
    Status.ERROR: N_("ERROR"),
    Status.TIMEOUT: N_("TIMEOUT"),
}
STATUS_CLASS = {
    Status.PASS: "a2-pass",
    Status.FAIL: "a2-fail",
    Status.NOT_IMPLEMENTED: "a2-todo",
    Status.ERROR: "a2-fail",
    Status.TIMEOUT: "a2-fail",
}


@dataclasses.dataclass(frozen=True)
class Section:
    """An extra part of a report: a title, an optional plain-text note, and HTML that is already safe."""

    title: str
    body: Markup
    anchor: str = ""
    note: str = ""


# -- templates ------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 1100px; padding: 1.5em 2em; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.1em; margin: 1.4em 0 .4em; }
table.a2 { border-collapse: collapse; margin: .4em 0 1em; font-size: 13px; }
table.a2 th, table.a2 td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
table.a2 th { background: #f6f8fa; } table.a2 td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.a2 tr.a2-total td { font-weight: bold; }
.a2-pass { color: #1a7f37; } .a2-fail { color: #cf222e; font-weight: bold; } .a2-todo { color: #9a6700; }
.a2-why { color: #57606a; font-size: 12px; } .a2-loc { font-family: monospace; }
.a2-facts td:first-child { color: #57606a; } .a2-note { color: #57606a; }
ul.a2-problems li { color: #cf222e; }
nav.a2-toc ul { columns: 2; }
.a2-nb { border: 1px solid #d0d7de; border-radius: 4px; padding: .5em 1em; overflow-x: auto; }
.a2-nb .cell { margin: .6em 0; } .a2-nb .input_prompt, .a2-nb .output_prompt { color: #57606a; font: 12px monospace; }
.a2-nb .input_area { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 3px; }
.a2-nb pre { margin: 0; padding: 4px 6px; white-space: pre-wrap; word-wrap: break-word; font: 12px/1.4 monospace; }
.a2-nb .output_area { margin-left: 1em; } .a2-nb img { max-width: 100%; }
.a2-nb .output_stderr pre { background: #fff5f5; } .a2-nb .output_error pre { background: #ffebe9; }
.a2-nb table { border-collapse: collapse; } .a2-nb td, .a2-nb th { border: 1px solid #d0d7de; padding: 2px 6px; }
.a2-nb .anchor-link { display: none; }
pre.a2-answer { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 4px 6px; white-space: pre-wrap; }
.ansi-red-fg { color: #cf222e; } .ansi-green-fg { color: #1a7f37; } .ansi-blue-fg { color: #0969da; }
.ansi-cyan-fg { color: #1b7c83; } .ansi-yellow-fg { color: #9a6700; } .ansi-bold { font-weight: bold; }
"""

_TABLES = """\
{%- macro num(x) -%}{{ fmt(x) }}{%- endmacro -%}
{%- macro question_table(q) -%}
<h3 id="{{ q.question }}">{{ q.question }}: {{ tr(q.title) }}{% if q.extra_credit %} {{ _("(extra credit)") }}{% endif %}
 &mdash; {{ _("%(points)s / %(max_points)s points", points=pts(q.points), max_points=pts(q.max_points)) }}</h3>
<table class="a2 a2-checks">
<thead><tr><th>{{ _("check") }}</th><th>{{ _("status") }}</th><th>{{ _("error") }}</th><th>{{ _("tolerance") }}</th><th>{{ _("points") }}</th></tr></thead>
<tbody>
{%- for c in q.checks %}
<tr><td>{{ c.check_id }}<br><span class="a2-why">{{ c.title }}</span></td>
<td class="{{ status_class[c.status] }}">{{ tr(status_label[c.status]) }}</td>
<td class="num">{{ num(c.error) }}</td><td class="num">{{ num(c.tolerance) }}</td>
<td class="num">{{ pts(c.points) }}/{{ pts(c.max_points) }}</td></tr>
{%- if c.status.value != "pass" and (c.message or c.location) %}
<tr><td colspan="5" class="a2-why">{{ c.message }}{% if c.location %} <span class="a2-loc">[{{ _("at %(location)s", location=c.location) }}]</span>{% endif %}</td></tr>
{%- endif %}
{%- endfor %}
</tbody></table>
{%- endmacro -%}
"""  # noqa: E501 - an HTML template: a line break would change the page

_FRAGMENT = (
    _TABLES
    + """\
<div class="a2-results">
{%- for q in results %}{{ question_table(q) }}{% endfor %}
<p><b>{{ _("total: %(points)s / %(max_points)s points", points=pts(total), max_points=pts(possible)) }}</b></p>
</div>
"""  # noqa: E501 - an HTML template: a line break would change the page
)

_PAGE = (
    _TABLES
    + """\
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
{%- if subtitle %}<p class="a2-note">{{ subtitle }}</p>{% endif %}
{%- if facts %}
<table class="a2 a2-facts">
{%- for key, value in facts %}<tr><td>{{ key }}</td><td>{{ value }}</td></tr>{% endfor %}
</table>
{%- endif %}
{%- if problems %}
<h2 id="problems">{{ _("Problems") }}</h2>
<ul class="a2-problems">{% for p in problems %}<li>{{ p }}</li>{% endfor %}</ul>
{%- endif %}
<h2 id="scores">{{ _("Scores") }}</h2>
<table class="a2 a2-summary" id="score-table">
<thead><tr><th>{{ _("question") }}</th><th>{{ _("title") }}</th><th>{{ _("points") }}</th><th>{{ _("checks passed") }}</th></tr></thead>
<tbody>
{%- for q in results %}
<tr><td><a href="#{{ q.question }}">{{ q.question }}</a></td><td>{{ tr(q.title) }}{% if q.extra_credit %} {{ _("(extra credit)") }}{% endif %}</td>
<td class="num">{{ pts(q.points) }} / {{ pts(q.max_points) }}</td>
<td class="num">{{ q.checks | selectattr("passed") | list | length }} / {{ q.checks | length }}</td></tr>
{%- endfor %}
<tr class="a2-total"><td colspan="2">{{ _("total") }}{% if extra %} {{ _("(+ extra credit)") }}{% endif %}</td>
<td class="num">{{ pts(total) }} / {{ pts(possible) }}</td><td></td></tr>
</tbody></table>
{%- if sections %}
<nav class="a2-toc"><ul>{% for s in sections %}<li><a href="#{{ s.anchor }}">{{ s.title }}</a></li>{% endfor %}</ul></nav>
{%- endif %}
<h2 id="checks">{{ _("Checks") }}</h2>
<div id="check-table">
{%- for q in results %}{{ question_table(q) }}{% endfor %}
</div>
{%- for s in sections %}
<h2 id="{{ s.anchor }}">{{ s.title }}</h2>
{%- if s.note %}<p class="a2-note">{{ s.note }}</p>{% endif %}
<div class="a2-section">{{ s.body }}</div>
{%- endfor %}
</body>
</html>
"""  # noqa: E501 - an HTML template: a line break would change the page
)


_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"fragment.html": _FRAGMENT, "page.html": _PAGE}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
    extensions=["jinja2.ext.i18n"],
)
_ENV.globals.update(fmt=fmt_number, pts=fmt_points, status_label=STATUS_LABEL, status_class=STATUS_CLASS, lang=language)
# tr: a translation of data (a rubric title), a plain string that autoescape escapes; the newstyle _() marks
# its result safe, so it is only for the templates' own messages
_ENV.globals["tr"] = _
_ENV.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)


def _totals(results: Sequence[QuestionResult]) -> dict:
    return {
        "results": list(results),
        "total": sum(q.points for q in results),
        "possible": sum(q.max_points for q in results if not q.extra_credit),
        "extra": any(q.extra_credit for q in results),
    }


def render_fragment(results: Sequence[QuestionResult]) -> str:
    """The check tables of ``results`` and the total, as an HTML fragment."""
    return _ENV.get_template("fragment.html").render(**_totals(results))


def render_report(
    results: Sequence[QuestionResult],
    *,
    title: str,
    subtitle: str = "",
    facts: Sequence[tuple[str, str]] = (),
    problems: Sequence[str] = (),
    sections: Sequence[Section] = (),
) -> str:
    """A whole self-contained page: scores, every check, then ``sections`` in order.

    ``facts`` are (label, value) rows shown under the title; ``problems`` are
    one-line messages listed before the scores. All text is escaped; section
    bodies must already be safe (``notebook_section`` makes them so).
    """
    used: set[str] = {"problems", "scores", "checks"} | {q.question for q in results}
    fixed = []
    for i, s in enumerate(sections):
        anchor = _slug(s.anchor or s.title) or f"section-{i + 1}"
        while anchor in used:
            anchor += "-x"
        used.add(anchor)
        fixed.append(dataclasses.replace(s, anchor=anchor))
    return _ENV.get_template("page.html").render(
        title=title,
        subtitle=subtitle,
        facts=list(facts),
        problems=list(problems),
        sections=fixed,
        css=Markup(_CSS + _pygments_css()),
        **_totals(results),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower()


@functools.lru_cache(maxsize=1)
def _pygments_css() -> str:
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:  # pragma: no cover - nbconvert depends on pygments
        return ""
    return HtmlFormatter(style="default").get_style_defs(".a2-nb .highlight")


# -- notebooks ------------------------------------------------------------------


def notebook_html(nb) -> Markup:
    """The executed notebook as a safe HTML fragment (nbconvert's ``basic`` template, then cleaned)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_anchor_links=True)
    body, _ = exporter.from_notebook_node(sanitize_notebook(nb))
    return Markup(f'<div class="a2-nb">{clean_html(strip_dangerous_blocks(body))}</div>')


def notebook_section(nb, name: str, *, note: str = "", body: Markup | None = None) -> Section:
    """A report section holding the rendered notebook ``name`` (``body``: rendered already, e.g. under a budget)."""
    return Section(title=name, body=notebook_html(nb) if body is None else body, anchor=f"nb-{_slug(name)}", note=note)


@dataclasses.dataclass(frozen=True)
class NotebookOverview:
    """A saved notebook in brief: code cells run, what ``collect`` would refuse, the inline answers."""

    name: str
    code_cells: int
    executed: int
    problems: tuple[str, ...]
    answers: tuple[tuple[str, str], ...]  # (question id, answer text as written)


def notebook_overview(nb, name: str, problems: Sequence[str] = ()) -> NotebookOverview:
    """The overview of ``nb`` (cheap: no nbconvert); ``problems`` as ``grader.notebooks.problems`` lists them."""
    code = [c for c in nb.cells if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()]
    answers = []
    for cell in nb.cells:
        qid = answer_id(cell)
        if qid is not None:
            answers.append((str(qid), "".join(cell.get("source", ""))[:5000]))
    return NotebookOverview(
        name, len(code), sum(1 for c in code if c.get("execution_count") is not None), tuple(problems), tuple(answers)
    )


_OVERVIEW = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """\
<p class="a2-note">The notebooks as saved by the student (not executed here; grade with
--execute-notebooks to run them in the sandbox and include them).</p>
<table class="a2" id="notebook-table">
<thead><tr><th>notebook</th><th>code cells run</th><th>problems</th></tr></thead>
<tbody>
{%- for n in items %}
<tr><td>{{ n.name }}</td><td class="num">{{ n.executed }} / {{ n.code_cells }}</td>
<td>{% for p in n.problems %}{{ p }}{% if not loop.last %}<br>{% endif %}{% else %}none{% endfor %}</td></tr>
{%- endfor %}
</tbody></table>
{%- for n in items if n.answers %}
<h3>{{ n.name }}: inline answers</h3>
{%- for qid, text in n.answers %}
<p><b>{{ qid }}</b></p><pre class="a2-answer">{{ text }}</pre>
{%- endfor %}
{%- endfor %}
"""
)


def notebooks_overview_section(items: Sequence[NotebookOverview]) -> Section:
    """One report section listing the saved notebooks (``notebook_overview``), all text escaped."""
    return Section(title="Notebooks", body=Markup(_OVERVIEW.render(items=list(items))), anchor="notebooks")


__all__ = [
    "NotebookOverview",
    "Section",
    "clean_html",
    "notebook_html",
    "notebook_overview",
    "notebook_section",
    "notebooks_overview_section",
    "render_fragment",
    "render_report",
    "sanitize_notebook",
]
