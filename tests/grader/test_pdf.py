"""``collect --pdf``: the executed notebooks as one PDF, printed by the system's Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from grader import collect, pdf
from grader import rubric as rubric_mod
from tests.grader.test_collect import make_project

needs_chromium = pytest.mark.skipif(
    pdf.browser() is None, reason="chromium is not installed (apt-get install chromium)"
)
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


@needs_chromium
@needs_pdftotext
def test_the_pdf_holds_the_notebook_titles_and_inline_answers_and_no_script(tmp_path):
    root = make_project(tmp_path)
    rub = rubric_mod.load(root / "rubric.yaml")
    sections = collect.notebook_sections(root, rub)
    page = pdf.notebooks_page(sections, title="A2: notebooks")
    assert "<script" not in page.lower()  # the same sanitization as the HTML report
    target = pdf.write(page, tmp_path / "out.pdf")
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and b"/JavaScript" not in data and b"/JS" not in data
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    for name, qid in collect.required_notebooks(rub):
        assert name in text and f"answer of {qid}" in text, (name, text[:2000])
    assert "alert(" not in text  # the markdown's script was dropped, not printed


def test_without_a_converter_the_reason_is_one_line_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("A2KIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(pdf.PdfUnavailable) as info:
        pdf.write("<p>x</p>", tmp_path / "out.pdf")
    assert "no PDF converter" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "out.pdf").exists()


@needs_chromium
@needs_pdftotext
def test_grade_pdf_writes_each_submissions_notebooks(tmp_path):
    import nbformat

    from grader import grading
    from tests.grader.subjects import ROOT, our_layout
    from tests.grader.test_collect import saved_notebook

    sub = our_layout(tmp_path / "ana", ROOT / "reference")
    (sub / "notebooks").mkdir()
    nbformat.write(saved_notebook("q3"), sub / "notebooks" / "Dropout.ipynb")
    rub_file = tmp_path / "r.yaml"
    rub_file.write_text(
        "version: 1\nassignment: t\nquestions:\n  q1:\n    title: t\n    points: 1\n    checks:\n"
        "      - {id: affine_forward, points: 1}\n"
    )
    rub = rubric_mod.load(rub_file, require_all_checks=False)
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rub, seed="s", workers=1, pdf=True)
    assert row.status == "graded"
    target = tmp_path / "out" / "ana" / pdf.PDF_NAME
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Dropout.ipynb" in text and "answer of q3" in text
