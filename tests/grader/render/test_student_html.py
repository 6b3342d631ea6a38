"""Student HTML in a report: no id or class of the report's own, and rendering under a budget (issue 11).

A notebook could draw a fake "Scores" table with the report's ids and classes,
and a 57 KB notebook of ``"[" * 80000`` and ``"<div>" * 30000`` took the grader
about 100 s to render. ``grader.render.sanitize`` prefixes student ids and drops
the report's classes; ``grader.render.bounded`` renders in a child process that
is killed past its budget.
"""
from __future__ import annotations

import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.render import bounded, html
from grader.render.sanitize import USER_ID_PREFIX, clean_html

FAKE_SCORES = (
    '<table class="a2 a2-checks" id="scores"><tr><td class="num a2-pass">110</td></tr></table>'
    '<a href="#scores">see the scores</a><a name="top">top</a><span class="mine">kept</span>'
)


def notebook_with(markdown: str = "", html_output: str = ""):
    nb = new_notebook()
    if markdown:
        nb.cells.append(new_markdown_cell(markdown))
    if html_output:
        cell = new_code_cell("show()", execution_count=1)
        cell.outputs = [new_output("display_data", data={"text/html": html_output, "text/plain": "x"})]
        nb.cells.append(cell)
    return nb


def test_student_ids_are_prefixed_and_the_reports_classes_dropped():
    out = clean_html(FAKE_SCORES)
    assert 'id="scores"' not in out and f'id="{USER_ID_PREFIX}scores"' in out
    assert f'href="#{USER_ID_PREFIX}scores"' in out  # the student's own in-page link still works
    assert f'name="{USER_ID_PREFIX}top"' in out
    assert 'class="a2' not in out and "a2-pass" not in out and 'class="num' not in out
    assert '<span class="mine">kept</span>' in out
    assert clean_html(out) == out  # cleaning twice changes nothing


@pytest.mark.parametrize("where", ["markdown", "output"])
def test_a_notebook_cannot_use_the_reports_ids(where):
    nb = notebook_with(**({"markdown": FAKE_SCORES} if where == "markdown" else {"html_output": FAKE_SCORES}))
    body = str(html.notebook_html(nb))
    assert "110" in body  # shown, as the student's content
    assert 'id="scores"' not in body and 'class="a2 ' not in body and 'class="a2-checks' not in body


def test_a_small_notebook_renders_as_in_process():
    nb = notebook_with("# Title\n\nsome *text* [a link](https://example.org)", "<b>bold</b>")
    assert bounded.notebook_html(nb) == html.notebook_html(nb)


def test_a_super_linear_notebook_is_too_large_to_render_and_the_call_returns(monkeypatch):
    monkeypatch.setattr(bounded, "RENDER_SECONDS", 3.0)
    nb = notebook_with("[" * 80000, "<div>" * 30000)  # about 100 s unbounded
    started = time.monotonic()
    section = bounded.notebook_section(nb, "Hostile.ipynb", note="executed in the sandbox in 1.0 s")
    elapsed = time.monotonic() - started
    assert section.note == "executed in the sandbox in 1.0 s; too large to render (it took more than 3 s to render)"
    assert str(section.body) == ""
    assert elapsed < 3.0 + 20  # the budget, plus the child's start and kill; unbounded it is about 100 s


def test_a_notebook_over_the_size_cap_is_not_rendered_at_all(monkeypatch):
    monkeypatch.setattr(bounded, "MAX_NOTEBOOK_BYTES", 1000)
    nb = notebook_with("x" * 5000)
    with pytest.raises(bounded.TooLarge, match="MiB rendered"):
        bounded.notebook_html(nb)
    assert nbformat.writes(nb)  # the notebook itself is intact
