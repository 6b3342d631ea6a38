"""Are the terminal table, the HTML report and the class summary rendered exactly as their golden files?

The inputs are fixed plain data (tests/grader/render/results.py), so no grading run is needed.
A rendering change shows as a failed comparison with a diff; when the change is intended, rewrite
the files with ``python -m pytest tests/grader/render --update-golden`` (or ``A2KIT_UPDATE_GOLDEN=1``)
and commit the diff of tests/grader/render/golden/.

The renderers are tested as they are today (``render.terminal.render``, ``render.html.render_report``,
``render.summary.render``); the pygments stylesheet inside the report is replaced by a fixed one,
since it belongs to the installed pygments release, not to the report.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup

from grader.render import html, summary, terminal
from tests.grader.render.results import CLASS, RESULTS


@pytest.fixture
def fixed_css(monkeypatch):
    monkeypatch.setattr(html, "_pygments_css", lambda: "/* pygments */")


def test_terminal_table_matches_its_golden_file(golden, monkeypatch):
    """Does ``check``'s table (statuses, errors, truncated messages, extra credit, a skipped Q5) read as before?"""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "20")
    golden("terminal.txt", terminal.render(RESULTS) + "\n")


def test_html_report_matches_its_golden_file(golden, fixed_css):
    """Does report.html (facts, problems, every check, an extra section, escaped markup) read as before?"""
    page = html.render_report(
        RESULTS,
        title="a2kit report: s001",
        subtitle="graded 2026-01-01 00:00 UTC",
        facts=[("submission", "s001"), ("rubric", "rubric.yaml <v1>")],
        problems=["the notebook did not run: <b>NameError</b>"],
        sections=[html.Section("Notebook: FullyConnectedNets.ipynb", Markup("<p>executed cells</p>"), note="ran")],
    )
    golden("report.html", page)


def test_html_fragment_matches_its_golden_file(golden):
    """Do the check tables ``show_checks`` displays in a notebook read as before?"""
    golden("fragment.html", html.render_fragment(RESULTS))


def test_class_summary_matches_its_golden_file(golden):
    """Does summary.html (counts, statistics, plots, rates, diagnoses, errors, slowest) read as before?"""
    entries = [summary.entry(data) for data in CLASS]
    golden("summary.html", summary.render(entries, title="Grading summary: test class", slowest=3))


def test_a_changed_rendering_fails_the_comparison(golden, tmp_path, monkeypatch, request):
    """Does the golden fixture fail (and not rewrite the file) when the text differs from the file?"""
    if request.config.getoption("--update-golden"):
        pytest.skip("under --update-golden every comparison rewrites")
    monkeypatch.delenv("A2KIT_UPDATE_GOLDEN", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    text = terminal.render(RESULTS) + "\n"
    with pytest.raises(AssertionError, match="differs from its golden file"):
        golden("terminal.txt", text.replace("FAIL", "FAILED", 1))
