"""``grade`` at scale: workers, the progress bar, Dask, executed notebooks, summary.html (grader.grading)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from grader import cli, gradebook, grading
from grader import rubric as rubric_mod
from grader.paths import project_root
from grader.progress import ProgressBar
from grader.render import summary
from tests.grader.subjects import gradable_rubric_file, our_layout

ROOT = project_root()
SECRET = "scale-secret"


def _tiny_rubric(tmp_path: Path) -> rubric_mod.Rubric:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "version: 1\nassignment: tiny\nquestions:\n  q1:\n    title: t\n    points: 2\n    checks:\n"
        "      - {id: affine_forward, points: 1, timeout: 3}\n      - {id: relu_forward, points: 1}\n"
        "  q3:\n    title: u\n    points: 1\n    checks:\n      - {id: dropout_forward_test, points: 1}\n"
    )
    return rubric_mod.load(path, require_all_checks=False)


def _break(sub: Path, func: str, body: str) -> Path:
    layers = sub / "student" / "layers.py"
    text = layers.read_text()
    head = f"def {func}("
    i = text.index(head)
    j = text.index(":\n", i) + 2
    layers.write_text(text[:j] + body + text[j:])
    return sub


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Six submissions: perfect, stubs, a loop, a wrong answer, not-a-zip, and an id with markup in it."""
    base = tmp_path_factory.mktemp("scale")
    subs = base / "subs"
    subs.mkdir()
    our_layout(subs / "a-perfect", ROOT / "reference")
    our_layout(subs / "b-stubs", ROOT / "student")
    _break(our_layout(subs / "c-loop", ROOT / "reference"), "affine_forward", "    while True:\n        pass\n")
    _break(our_layout(subs / "d-wrong", ROOT / "reference"), "relu_forward", "    return x * 2.0, x\n")
    (subs / "e-broken.zip").write_bytes(b"not a zip at all\n")
    our_layout(subs / "f-<img src=x onerror=alert(1)>", ROOT / "reference")
    return base, subs


@pytest.fixture(scope="module")
def serial_and_parallel(corpus, tmp_path_factory):
    base, subs = corpus
    rub = _tiny_rubric(base)
    one = grading.grade([subs], base / "one", rubric=rub, seed=SECRET, workers=1)
    two = grading.grade([subs], base / "two", rubric=rub, seed=SECRET, workers=3)
    return base, rub, one, two


def _key(rows):
    return [(r.submission, r.status, r.scores, r.total) for r in rows]


def test_parallel_workers_give_the_serial_rows_in_submission_order(serial_and_parallel):
    base, _, one, two = serial_and_parallel
    order = ["a-perfect", "b-stubs", "c-loop", "d-wrong", "e-broken", "f-<img src=x onerror=alert(1)>"]
    assert [r.submission for r in one] == order
    assert _key(two) == _key(one)
    statuses = {r.submission: r.status for r in one}
    assert statuses == {
        "a-perfect": "graded",
        "b-stubs": "graded",
        "c-loop": "partial",
        "d-wrong": "graded",
        "e-broken": "error",
        "f-<img src=x onerror=alert(1)>": "graded",
    }
    totals = {r.submission: r.total for r in one}
    assert totals["a-perfect"] == 3 and totals["b-stubs"] == 0 and totals["c-loop"] == 2 and totals["d-wrong"] == 2
    with open(base / "two" / "gradebook.csv", newline="") as f:
        lines = list(csv.reader(f))
    assert [r[0] for r in lines[1:]] == order


def test_summary_html_counts_what_the_results_files_say(serial_and_parallel):
    base, _, one, _ = serial_and_parallel
    out = base / "two"
    page = (out / "summary.html").read_text()
    for anchor in ('id="score-plot"', 'id="check-table"', 'id="diagnoses"', 'id="errors"', 'id="slowest"'):
        assert anchor in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    # the id with markup in it is escaped, in text and in links
    assert "<img" not in page and "f-&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="f-%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/report.html"' in page
    # pass rates recomputed from the results.json files
    passed: dict[str, int] = {}
    ran: dict[str, int] = {}
    for r in one:
        for t in json.loads((out / r.submission / "results.json").read_text())["tests"]:
            name = t["name"].split(":")[0]
            ran[name] = ran.get(name, 0) + 1
            passed[name] = passed.get(name, 0) + (t["status"] == "passed")
    table = page[page.index('id="check-table"') : page.index("</table>", page.index('id="check-table"'))]
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+) / (\d+)</td>", table)
    assert {name: (int(p), int(n)) for name, p, n in rows} == {k: (passed[k], ran[k]) for k in ran}
    assert ran["q1 affine_forward"] == 5  # the broken zip ran nothing
    # the errors table holds exactly the error and partial rows
    errors = page[page.index('id="errors"') :]
    errors = errors[: errors.index("</table>")]
    assert "e-broken" in errors and "c-loop" in errors and "a-perfect" not in errors
    # the wrong relu shows up as a diagnosis of relu_forward
    diag = page[page.index('id="diagnoses"') :]
    assert "q1 relu_forward" in diag[: diag.index("</table>")]


def test_summary_histogram_bins_totals():
    bins = summary.histogram([0, 5, 10, 99.9, 100, 100, 130, -1], 100, bins=10)
    # bins are [low, high): 10 opens the second; the last bin also takes 100; above 100 is extra credit, apart
    assert [c for _, _, c in bins] == [3, 1, 0, 0, 0, 0, 0, 0, 0, 3] and summary.above([130, 100, 99], 100) == 1
    assert bins[0][:2] == (0, 10) and bins[-1][:2] == (90, 100)
    svg = summary.score_svg([50.0, 55.0, 12.0], 100)
    assert svg.startswith('<svg id="score-plot"') and svg.count('class="bar"') == 10
    assert "2 submissions" in svg and "1 submission<" in svg


def test_summary_is_rebuilt_from_results_files_on_rerun(serial_and_parallel, tmp_path):
    base, rub, one, _ = serial_and_parallel
    out = tmp_path / "out"
    shutil.copytree(base / "one", out)
    (out / "summary.html").unlink()
    again = grading.grade([base / "subs"], out, rubric=rub, seed=SECRET)
    assert all(r.skipped for r in again if r.status != "error")  # error rows are retried
    page = (out / "summary.html").read_text()
    assert f"{len(one)} submissions:" in page and "e-broken" in page


def test_progress_bar_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream, tty=False, interval=3600)
    bar.start(4, skipped=1)
    bar.done(gradebook.Row("x", "graded", {}, 1, 1))
    bar.done(gradebook.Row("y", "error", {}, 0, 1))  # throttled: not printed
    bar.done(gradebook.Row("z", "partial", {}, 0, 1))  # the last one always prints
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert "0/4 (1 unchanged)" not in lines[0] and "1/4 (1 unchanged)" in lines[0]
    assert "4/4" in lines[-1] and "2 failed" in lines[-1] and "ETA 00:00" in lines[-1]


def test_progress_bar_redraws_in_place_on_a_terminal():
    stream, out = io.StringIO(), io.StringIO()
    bar = ProgressBar(stream, tty=True)
    bar.start(2)
    bar.done(gradebook.Row("x", "graded", {}, 1, 1))
    bar.echo("x: graded", stream=out)
    bar.done(gradebook.Row("y", "graded", {}, 1, 1))
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") >= 4 and "2/2" in text and text.endswith("\n")
    assert out.getvalue() == "x: graded\n"
    assert re.search(r"\[#{14}\.{14}\] 1/2", text)


def test_cli_grade_workers_and_progress(corpus, tmp_path, capsys):
    _, subs = corpus
    out = tmp_path / "out"
    other = tmp_path / "other.zip"
    other.write_bytes(b"PK\x03\x04 truncated")
    # the CLI takes only complete rubrics: two submissions that fail before any check runs keep this quick
    code = cli.main(
        [
            "grade",
            str(subs / "e-broken.zip"),
            str(other),
            "--out",
            str(out),
            "--seed",
            SECRET,
            "--workers",
            "2",
            "--rubric",
            str(gradable_rubric_file(tmp_path)),
        ]
    )
    assert code == 1
    captured = capsys.readouterr()
    assert "e-broken: error" in captured.out and "other: error" in captured.out
    assert "grade: [" in captured.err and "2/2" in captured.err and "2 failed" in captured.err
    assert (out / "summary.html").is_file() and "e-broken" in (out / "summary.html").read_text()
    assert cli.main(["grade", str(other), "--out", str(out), "--workers", "0"]) == 2


def test_dask_scheduler_grades_like_local_workers(serial_and_parallel, tmp_path):
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (pip install 'a2kit[dask]')"
    )
    base, rub, one, _ = serial_and_parallel
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        rows = grading.grade(
            [base / "subs"], tmp_path / "out", rubric=rub, seed=SECRET, scheduler=cluster.scheduler_address
        )
    assert _key(rows) == _key(one)
    for r in rows:
        assert (tmp_path / "out" / r.submission / "results.json").is_file()
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        assert [line[0] for line in csv.reader(f)][1:] == [r.submission for r in one]


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from grader.notebook_api import load\nlayers = load('layers')\n"
            "import numpy as np\nprint('relu says', layers.relu_forward(np.array([-1.0, 2.0]))[0].tolist())"
        ),
        nbformat.v4.new_code_cell(
            # built at run time, so that only the output (not the cell's source) holds the markup
            "from IPython.display import HTML, display\n"
            "tag, host = 'scr' + 'ipt', 'http://' + 'example.com'\n"
            "display(HTML('<b>' + 'kept</b><' + tag + '>' + 'alert' + '(1)</' + tag + '>'\n"
            "             '<img src=\"' + host + '/x.png\">'))"
        ),
    ]
    nbformat.write(nb, str(path))
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_code_cell("print('before', 'the failure')"), nbformat.v4.new_code_cell("1 / 0")]
    nbformat.write(bad, str(path.parent / "Failing.ipynb"))


def test_execute_notebooks_runs_them_sandboxed_and_reports_without_score_change(tmp_path):
    sub = our_layout(tmp_path / "nbsub", ROOT / "reference")
    (sub / "notebooks").mkdir()
    _notebook(sub / "notebooks" / "Small.ipynb")
    rub = _tiny_rubric(tmp_path)
    (plain,) = grading.grade([sub], tmp_path / "plain", rubric=rub, seed=SECRET)
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rub, seed=SECRET, execute_notebooks=True)
    assert (row.status, row.scores, row.total) == (plain.status, plain.scores, plain.total)
    meta = json.loads((tmp_path / "out" / "nbsub" / "results.json").read_text())["a2kit"]
    runs = {n["name"]: n for n in meta["notebooks"]}
    assert runs["Small.ipynb"]["ok"] is True, runs
    assert runs["Failing.ipynb"]["ok"] is False
    assert "code cell 2 failed: ZeroDivisionError" in runs["Failing.ipynb"]["message"]
    report = (tmp_path / "out" / "nbsub" / "report.html").read_text()
    assert "relu says [0.0, 2.0]" in report  # executed here: the saved notebook has no outputs
    assert "before the failure" in report and "ZeroDivisionError" in report
    assert "<b>kept</b>" in report
    assert "<script" not in report and "alert(1)" not in report
    assert "http://example.com" not in report
    # without --execute-notebooks the report lists the saved notebooks and never runs them
    plain_report = (tmp_path / "plain" / "nbsub" / "report.html").read_text()
    assert 'id="notebook-table"' in plain_report and "relu says" not in plain_report


def test_cli_scheduler_without_distributed_is_a_usage_error(corpus, tmp_path, capsys, monkeypatch):
    """Does --scheduler say how to install dask.distributed when it is missing, in one line, exit 2?"""
    _, subs = corpus
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    code = cli.main(
        [
            "grade",
            str(subs / "e-broken.zip"),
            "--out",
            str(tmp_path / "out"),
            "--seed",
            SECRET,
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--rubric",
            str(gradable_rubric_file(tmp_path)),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: --scheduler needs dask.distributed: pip install 'a2kit[dask]'"
