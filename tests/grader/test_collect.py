"""python -m grader collect: refusals, the zip and its manifest, and the HTML report."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html.parser
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import grader
from grader import cli, collect, notebooks, stubs
from grader import rubric as rubric_mod
from grader.notebook_api import ANSWER_PLACEHOLDER, answer_metadata
from grader.paths import project_root
from grader.render import html as html_render
from grader.results import CheckResult, QuestionResult, Status
from tests.grader.subjects import gradable_rubric

ROOT = project_root()
RUBRIC = rubric_mod.load(ROOT / "rubric.yaml")
#: What the reference scores here: everything, but Q5 only where torch is installed.
REFERENCE_TOTAL = sum(q.points for q in gradable_rubric(RUBRIC).questions)
NOW = dt.datetime(2025, 3, 14, 15, 9, 26, 535, tzinfo=dt.timezone.utc)
XSS_HTML = (
    '<b>fine</b><script>alert("xss-script")</script><img src="x" onerror="alert(\'xss-onerror\')">'
    '<a href="javascript:alert(\'xss-href\')">link</a><iframe src="https://example.com/frame"></iframe>'
    '<img src="https://example.com/tracker.png"><div onclick="alert(\'xss-click\')">click</div>'
)


# -- building a project tree -------------------------------------------------------------


def saved_notebook(qid: str, *, xss: bool = False):
    """A notebook as a student saves it after 'Restart and run all', with its inline question answered."""
    outputs = [new_output("stream", name="stdout", text=f"{qid} ran <fine/>\n")]
    if xss:
        outputs.append(
            new_output(
                "display_data",
                data={"text/html": XSS_HTML, "application/javascript": "alert('xss-js')", "text/plain": "<fine/>"},
            )
        )
        outputs.append(new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"}}))
    return new_notebook(
        cells=[
            new_markdown_cell(f"# {qid}\n\nSome <em>markdown</em> and <script>alert('xss-md')</script>."),
            new_code_cell("import numpy as np", execution_count=1),
            new_code_cell("", execution_count=None),
            new_code_cell("print('ran')", execution_count=2, outputs=outputs),
            new_markdown_cell("### Inline question"),
            new_markdown_cell(f"**Your answer:** answer of {qid}", metadata=answer_metadata(f"{qid}-inline-1")),
            new_code_cell("x = 3", execution_count=3),
        ]
    )


def make_project(base: Path) -> Path:
    """A project tree where a copy of the reference stands in for the student's work."""
    root = base / "project"
    root.mkdir()
    shutil.copytree(ROOT / "reference", root / "student", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "student" / "__pycache__").mkdir()
    (root / "student" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0")
    shutil.copyfile(ROOT / "rubric.yaml", root / "rubric.yaml")
    nbdir = root / "notebooks"
    (nbdir / ".ipynb_checkpoints").mkdir(parents=True)
    (nbdir / "datasets").mkdir()
    (nbdir / "tp2").mkdir()
    for name, qid in collect.required_notebooks(RUBRIC):
        nbformat.write(saved_notebook(qid, xss=(qid == "q1")), nbdir / name)
    nbformat.write(saved_notebook("q1"), nbdir / ".ipynb_checkpoints" / "FullyConnectedNets-checkpoint.ipynb")
    unexecuted = new_notebook(
        cells=[
            new_code_cell("print(1)"),
            new_markdown_cell(ANSWER_PLACEHOLDER, metadata=answer_metadata("q5-inline-1")),
        ]
    )
    nbformat.write(unexecuted, nbdir / "PyTorch.ipynb")  # optional until Q5 is in the rubric
    nbformat.write(unexecuted, nbdir / "collect_submission.ipynb")  # never verified
    nbformat.write(saved_notebook("tp2"), nbdir / "tp2" / "TP2_Graphs.ipynb")
    (nbdir / "helpers.py").write_text("HELP = 1\n")
    (nbdir / "datasets" / "get_datasets.py").write_text("# a data set script: not the work\n")
    (nbdir / "datasets" / "cifar.npz").write_bytes(b"\0" * 100)
    (nbdir / "model.pt").write_bytes(b"\0" * 100)
    return root


def expected_files(root: Path) -> list[str]:
    student = [
        p.relative_to(root).as_posix()
        for p in (root / "student").rglob("*")
        if p.suffix in (".py", ".pyx") and "__pycache__" not in p.parts
    ]
    nbs = ["notebooks/" + name for name, _ in collect.required_notebooks(RUBRIC)]
    nbs += [
        "notebooks/PyTorch.ipynb",
        "notebooks/collect_submission.ipynb",
        "notebooks/helpers.py",
        "notebooks/tp2/TP2_Graphs.ipynb",
    ]
    return sorted(student + nbs)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    base = tmp_path_factory.mktemp("collect")
    root = make_project(base)
    out = base / "out"
    out.mkdir()
    result = collect.collect(root, out, now=NOW)
    return root, out, result


class Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


def assert_inert(page: str) -> Tags:
    """No script, frame, handler, javascript: URL or remote resource in the page."""
    doc = parse(page)
    names = {t for t, _ in doc.tags}
    assert not names & {"script", "iframe", "frame", "object", "embed", "link", "form", "base", "svg"}, names
    for tag, attrs in doc.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key, value)
            assert "javascript:" not in value.lower(), (tag, key, value)
            if key in ("src", "href") and tag != "a":
                assert not value.lower().startswith(("http:", "https:", "//")), (tag, key, value)
            if tag == "img" and key == "src":
                assert value.startswith("data:image/"), value
    for needle in ("xss-script", "xss-onerror", "xss-href", "xss-js", "xss-click", "xss-md", "example.com"):
        assert needle not in page, needle
    return doc


# -- the zip and the manifest ------------------------------------------------------------


def test_zip_holds_exactly_the_work(collected):
    """Does the zip hold MANIFEST.json, then every .py/.pyx of student/ and every notebook, and nothing else?"""
    root, out, result = collected
    with zipfile.ZipFile(result.zip_path) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert result.zip_path == out / "a2_code_submission.zip"
    assert names[0] == "MANIFEST.json"
    assert names[1:] == expected_files(root)
    assert not [
        n for n in names if n.endswith((".c", ".so", ".pyc", ".npz", ".pt")) or "checkpoint" in n or "datasets" in n
    ]
    assert "student/im2col_cython.pyx" in names and "student/classifiers/fc_net.py" in names


def test_manifest_is_exactly_as_documented(collected):
    root, _, result = collected
    with zipfile.ZipFile(result.zip_path) as zf:
        manifest = json.loads(zf.read("MANIFEST.json"))
        contents = {n: zf.read(n) for n in zf.namelist() if n != "MANIFEST.json"}
    assert list(manifest) == ["format", "version", "created", "package_version", "rubric", "files", "scores"]
    assert manifest["format"] == "a2kit-submission" and manifest["version"] == 1
    assert manifest["created"] == "2025-03-14T15:09:26Z"
    assert manifest["package_version"] == grader.__version__
    assert manifest["rubric"] == {"path": "rubric.yaml", "version": 1}
    assert sorted(manifest["files"]) == sorted(contents)
    for name, data in contents.items():
        assert manifest["files"][name] == hashlib.sha256(data).hexdigest()
        assert data == (root / name).read_bytes()
    gradable = {q.id for q in gradable_rubric(RUBRIC).questions}
    assert manifest["scores"] == {q.id: q.points if q.id in gradable else 0 for q in RUBRIC.questions}  # full marks
    assert manifest == result.manifest


def test_nothing_is_left_behind_in_the_output_folder(collected):
    _, out, _ = collected
    assert sorted(p.name for p in out.iterdir()) == ["a2_code_submission.zip", "a2_report.html"]


# -- the report --------------------------------------------------------------------------


def test_report_parses_and_has_every_question_and_notebook(collected):
    _, _, result = collected
    page = result.report_path.read_text(encoding="utf-8")
    doc = assert_inert(page)
    assert page.startswith("<!DOCTYPE html>")
    ids = {a.get("id") for _, a in doc.tags}
    text = " ".join(doc.text)
    for q in RUBRIC.questions:
        assert q.id in ids and q.title in text
        assert f"{q.points:g} / {q.points:g}" in text
        for spec in q.checks:
            assert spec.id in text
    for name, qid in collect.required_notebooks(RUBRIC):
        assert f"{name} ({qid})" in text
        assert f"answer of {qid}" in text
    assert "PyTorch.ipynb (not graded yet)" in text
    assert "fine" in text and "<fine/>" in text  # safe markup stays, plain text is escaped


def test_report_is_self_contained(collected):
    _, _, result = collected
    page = result.report_path.read_text(encoding="utf-8")
    doc = parse(page)
    assert "<style>" in page
    assert not [a for t, a in doc.tags if t in ("script", "link")]
    assert "http://" not in page and "https://" not in page


def test_report_escapes_check_results_and_extra_text():
    """Are messages, titles, facts and problems escaped, and are sections' anchors unique?"""
    bad = "<script>alert('xss-msg')</script>"
    check = CheckResult(
        "affine_forward", "q1", bad, Status.FAIL, 0, 1, error=1.0, tolerance=1e-9, message=bad, location=bad
    )
    q = QuestionResult("q1", bad, 1, False, (check,))
    page = html_render.render_report(
        [q],
        title=bad,
        subtitle=bad,
        facts=[(bad, bad)],
        problems=[bad],
        sections=[
            html_render.Section("q1", html_render.Markup("<p>a</p>")),
            html_render.Section("q1", html_render.Markup("<p>b</p>")),
        ],
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    doc = parse(page)
    ids = [a["id"] for _, a in doc.tags if "id" in a]
    assert len(ids) == len(set(ids))
    fragment = html_render.render_fragment([q])
    assert "<script>" not in fragment and "FAIL" in fragment and "0 / 1 points" in fragment


def test_notebook_html_drops_dangerous_outputs():
    nb = saved_notebook("q9", xss=True)
    body = str(html_render.notebook_html(nb))
    assert_inert(body)
    assert "<b>fine</b>" in body and "link" in body and "click" in body


def test_executed_notebook_renders_with_its_check_table(tmp_path):
    """Does a notebook executed through show_checks render its table (allow-listed markup) in the report?"""
    path = tmp_path / "Run.ipynb"
    payload = base64.b64encode(XSS_HTML.encode()).decode()  # so that the cell's source holds no needle
    script = base64.b64encode(b"alert('xss-js')").decode()
    nbformat.write(
        new_notebook(
            cells=[
                new_code_cell("from grader.notebook_api import show_checks\nr = show_checks('relu_forward')"),
                new_code_cell(
                    "import base64\nfrom IPython.display import HTML, Javascript\n"
                    f"display(HTML(base64.b64decode({payload!r}).decode()))\n"
                    f"display(Javascript(base64.b64decode({script!r}).decode()))"
                ),
                new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()"),
            ]
        ),
        path,
    )
    nb = notebooks.execute(path, implementation="reference", timeout=60)
    body = str(html_render.notebook_html(nb))
    assert_inert(body)
    assert "relu_forward" in body and "<table" in body
    assert 'src="data:image/png;base64,' in body


# -- refusals ------------------------------------------------------------------------------


def _edit(root: Path, name: str, change) -> None:
    path = root / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def _unexecuted(nb):
    nb.cells[3].execution_count = None


def _out_of_order(nb):
    nb.cells[6].execution_count = 1


def _error_output(nb):
    nb.cells[3].outputs.append(
        new_output("error", ename="ValueError", evalue="shapes (2,3) and (4,5) not aligned", traceback=[])
    )


def _empty_answer(nb):
    nb.cells[5].source = ANSWER_PLACEHOLDER


REFUSALS = {
    "missing notebook": (
        lambda r: (r / "notebooks" / "Dropout.ipynb").unlink(),
        "notebooks/Dropout.ipynb: missing (required by q3)",
    ),
    "unexecuted cell": (
        lambda r: _edit(r, "FullyConnectedNets.ipynb", _unexecuted),
        "notebooks/FullyConnectedNets.ipynb: code cell 3 was not executed",
    ),
    "out-of-order execution": (
        lambda r: _edit(r, "BatchNormalization.ipynb", _out_of_order),
        "notebooks/BatchNormalization.ipynb: code cell 4 ran out of order (execution count 1 after 2 in code cell 3",
    ),
    "error output": (
        lambda r: _edit(r, "ConvolutionalNetworks.ipynb", _error_output),
        "notebooks/ConvolutionalNetworks.ipynb: code cell 3 shows an error output "
        "(ValueError: shapes (2,3) and (4,5) not aligned)",
    ),
    "empty inline answer": (
        lambda r: _edit(r, "Dropout.ipynb", _empty_answer),
        "notebooks/Dropout.ipynb: inline question q3-inline-1 has no answer",
    ),
    "missing student file": (lambda r: (r / "student" / "layers.py").unlink(), "student/layers.py: missing"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_collect_refuses_and_writes_nothing(tmp_path, capsys, case):
    """Does each problem refuse the collection (exit 2), named on its own line, with nothing written?"""
    root = make_project(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a2_code_submission.zip").write_bytes(b"previous")
    breaks, expected = REFUSALS[case]
    breaks(root)
    code = cli.main(["collect", "--root", str(root), "--out", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert any(line.startswith(f"error: {expected}") for line in err), err
    assert err[-1] == "collect: nothing written (1 problem)"
    assert sorted(p.name for p in out.iterdir()) == ["a2_code_submission.zip"]
    assert (out / "a2_code_submission.zip").read_bytes() == b"previous"


def test_collect_refuses_the_untouched_handout(tmp_path):
    """With the stubs and the handout's notebooks as they ship, does collect refuse, naming each notebook?"""
    root = tmp_path / "handout"
    root.mkdir()
    shutil.copytree(ROOT / "student", root / "student", ignore=shutil.ignore_patterns("__pycache__"))
    if (ROOT / "notebooks").is_dir():
        shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copyfile(ROOT / "rubric.yaml", root / "rubric.yaml")
    with pytest.raises(collect.CollectRefused) as info:
        collect.collect(root, tmp_path, now=NOW)
    lines = info.value.problems
    for name, _ in collect.required_notebooks(RUBRIC):
        mine = [line for line in lines if line.startswith(f"notebooks/{name}: ")]
        assert mine and all(("not executed" in m or "missing" in m or "no answer" in m) for m in mine), lines
    assert not list(tmp_path.glob("a2_*"))


def test_skip_notebooks_turns_notebook_problems_into_warnings(tmp_path, capsys):
    root = make_project(tmp_path)
    (root / "notebooks" / "Dropout.ipynb").unlink()
    code = cli.main(["collect", "--root", str(root), "--skip-notebooks"])
    out = capsys.readouterr().out
    assert code == 0
    assert "warning: notebooks/Dropout.ipynb: missing (required by q3)" in out
    assert f"wrote {root / 'a2_code_submission.zip'}" in out and f"total: {REFERENCE_TOTAL:g} / 100 points" in out
    page = (root / "a2_report.html").read_text()
    assert "notebooks/Dropout.ipynb: missing (required by q3)" in page
    (root / "student" / "optim.py").unlink()  # a missing student file still refuses
    assert cli.main(["collect", "--root", str(root), "--skip-notebooks"]) == 2


def test_student_files_match_the_generator():
    """Is the handout's list of student files the set of files with solution regions in reference/?"""
    assert sorted(collect.STUDENT_FILES) == sorted(p.as_posix() for p in stubs.editable_files(ROOT / "reference"))
    assert collect.student_files(ROOT) == sorted(collect.STUDENT_FILES)


def test_summary_lines(collected):
    _, out, result = collected
    lines = collect.summary_lines(result)
    assert lines[0].startswith(f"wrote {out / 'a2_code_submission.zip'} (") and "files)" in lines[0]
    assert lines[1].startswith(f"wrote {out / 'a2_report.html'} (")
    assert any(line.split()[:4] == ["q1", "30", "/", "30"] for line in lines)
    assert f"total: {REFERENCE_TOTAL:g} / 100 points" in lines[-2]


def test_summary_lines_in_spanish_keep_the_numbers(collected):
    """collect's closing lines in Spanish (--lang es): the same numbers and paths, Spanish words."""
    from grader import i18n

    _, out, result = collected
    english = collect.summary_lines(result)
    i18n.set_language("es")
    try:
        spanish = collect.summary_lines(result)
    finally:
        i18n.set_language("en")
    assert len(spanish) == len(english)
    assert spanish[0].startswith(f"se escribió {out / 'a2_code_submission.zip'} (") and "archivos)" in spanish[0]
    assert any("Redes neuronales totalmente conectadas" in line for line in spanish)
    assert f"total: {REFERENCE_TOTAL:g} / 100 puntos (verificaciones públicas" in spanish[-2]
    assert spanish[-1].startswith("entregá a2_code_submission.zip")
