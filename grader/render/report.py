"""A submission's ``report.html`` under ``grade``, from plain data (``ReportData``).

The last step of the grading pipeline (``grader.grading.steps``) fills a
``ReportData`` and calls ``render``; nothing here knows about the job, the
sandbox or the rubric's files. ``notebook_sections`` is shared with the PDF
(``grade --pdf``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from ..i18n import _
from ..results import QuestionResult
from . import bounded, html


@dataclasses.dataclass
class ReportData:
    """Everything ``report.html`` shows, as plain values."""

    title: str
    """``<assignment>: <submission id>``."""
    results: Sequence[QuestionResult]
    """The scored questions (empty for an ``error`` row)."""
    facts: Sequence[tuple[str, str]]
    """(label, value) pairs of the header: submission, status, layout, edition, time, versions."""
    problems: Sequence[str] = ()
    """The error and the notes, one line each."""
    notebook_runs: Sequence | None = None
    """``grader.nbrunner.NotebookRun`` per executed notebook (``--execute-notebooks``), else None."""
    notebooks: Sequence[Path] = ()
    """The submission's saved notebooks (listed, not rendered, when none was executed)."""


def notebook_sections(notebook_runs: Sequence | None, notebooks: Sequence[Path]) -> list:
    """Executed notebooks (sanitized) when there are runs; else a cheap overview of the saved ones.

    Rendering a notebook through nbconvert and the HTML cleaner costs about a
    second each, several times the checks themselves, so code-only grading
    lists each saved notebook (cells run, problems ``collect`` would refuse,
    the inline answers as plain text) instead of rendering it.
    """
    from .. import notebooks as nbmod

    if notebook_runs is not None:
        return [_executed_section(run) for run in notebook_runs]
    items = []
    for path in notebooks:
        try:
            nb = read_unvalidated(path)
            items.append(html.notebook_overview(nb, path.name, nbmod.problems(nb, path.name)))
        except Exception as exc:  # noqa: BLE001 - an unreadable or malformed notebook is one line
            items.append(
                html.NotebookOverview(path.name, 0, 0, (f"not a readable notebook ({exc.__class__.__name__})",), ())
            )
    return [html.notebooks_overview_section(items)] if items else []


def _executed_section(run) -> html.Section:
    note = f"executed in the sandbox in {run.seconds:.1f} s" + (f"; {run.message}" if run.message else "")
    if run.notebook is None:
        return html.Section(title=run.name, body=html.Markup(""), note=note)
    try:
        return bounded.notebook_section(run.notebook, run.name, note=note)
    except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted, not fatal
        note = f"{note}; could not be rendered ({exc.__class__.__name__})"
        return html.Section(title=run.name, body=html.Markup(""), note=note)


def read_unvalidated(path: Path):
    """A saved notebook for the overview: JSON as is (schema validation costs more than the rest of the report)."""
    import nbformat

    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or data.get("nbformat", 0) < 4:
        return nbformat.reads(text, as_version=4)  # older formats are converted (and validated)
    return nbformat.from_dict(data)


def render(data: ReportData) -> str:
    """The report's HTML text."""
    return html.render_report(
        data.results,
        title=data.title,
        subtitle=_("Graded by python -m grader grade with hidden inputs."),
        facts=list(data.facts),
        problems=list(data.problems),
        sections=notebook_sections(data.notebook_runs, data.notebooks),
    )
