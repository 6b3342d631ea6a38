"""grader.notebooks: headless execution, and the checks collect makes on saved notebooks.

The assignment notebooks themselves are executed against the reference in fast
mode by ``test_every_notebook_runs_against_the_reference`` (slow, runs by
default), which prints each notebook's time and the total.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader import notebooks
from grader.notebook_api import ANSWER_PLACEHOLDER, answer_metadata
from grader.paths import project_root

NOTEBOOKS = project_root() / "notebooks"
#: Runs `collect` itself; tested in test_collect.py, not executed here.
NOT_EXECUTED_HERE = {"collect_submission.ipynb"}


def write(path: Path, *cells) -> Path:
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def small_notebook(path: Path) -> Path:
    return write(
        path,
        new_markdown_cell("# A small notebook"),
        new_code_cell(
            "import os\nfrom grader.notebook_api import load, fast_mode, implementation, show_checks\n"
            "layers = load('layers')\nprint(implementation(), fast_mode(), os.environ.get('A2KIT_EXTRA'))"
        ),
        new_code_cell(""),
        new_code_cell(
            "import numpy as np\n"
            "out, _ = layers.affine_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))\nfloat(out.sum())"
        ),
        new_code_cell("results = show_checks('affine_forward')"),
        new_code_cell("os.getcwd()"),
    )


def text_of(cell) -> str:
    parts = []
    for o in cell.outputs:
        parts.append(o.get("text", ""))
        parts.append(o.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_execute_runs_top_to_bottom_against_the_reference(tmp_path):
    """Does a notebook run in the notebook's folder, with the switches and extra variables in the kernel's
    environment?
    """
    path = small_notebook(tmp_path / "small.ipynb")
    before = path.read_text()
    nb = notebooks.execute(path, implementation="reference", fast=True, timeout=60, env={"A2KIT_EXTRA": "here"})
    code = [c for c in nb.cells if c.cell_type == "code"]
    # the setup cell's load() first says which folder is under test (issue 15)
    assert text_of(code[0]).strip().splitlines() == [f"testing {project_root() / 'reference'}", "reference True here"]
    assert code[1].execution_count is None  # a blank cell is skipped by the kernel
    assert text_of(code[2]) == "24.0"
    shown = code[3].outputs[0]
    assert shown.output_type == "display_data"
    assert "affine_forward" in shown.data["text/plain"] and "<table" in shown.data["text/html"]
    assert text_of(code[4]) == repr(str(tmp_path))
    assert notebooks.problems(nb, "small.ipynb") == []
    assert path.read_text() == before  # the file itself is not modified


def test_execute_against_the_stubs_names_notebook_cell_and_error(tmp_path):
    """Does a stub fail the run with '<name>: code cell <n> failed: <last line>'?"""
    path = small_notebook(tmp_path / "small.ipynb")
    with pytest.raises(notebooks.NotebookError) as info:
        notebooks.execute(path, implementation="student", timeout=60)
    err = info.value
    assert str(err) == (
        "small.ipynb: code cell 3 failed: NotImplementedError: affine_forward is not implemented yet (layers.py)"
    )
    assert err.cell == 3 and err.cell_index == 3
    assert "\n" not in str(err)
    assert err.notebook.cells[1].execution_count == 1


def test_execute_reports_a_cell_timeout(tmp_path):
    path = write(tmp_path / "slow.ipynb", new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(60)"))
    start = time.perf_counter()
    with pytest.raises(notebooks.NotebookError, match=r"^slow.ipynb: code cell 2 failed: timed out after 2 s"):
        notebooks.execute(path, implementation="reference", timeout=2)
    assert time.perf_counter() - start < 45


def test_execute_reports_the_last_line_of_a_multiline_error(tmp_path):
    path = write(tmp_path / "boom.ipynb", new_code_cell("raise ValueError('first line\\nsecond line')"))
    with pytest.raises(notebooks.NotebookError) as info:
        notebooks.execute(path, implementation="reference", timeout=30)
    assert str(info.value) == "boom.ipynb: code cell 1 failed: ValueError: second line"


def test_execute_missing_or_unreadable_notebook(tmp_path):
    with pytest.raises(notebooks.NotebookError, match="^nope.ipynb: failed: no such notebook$"):
        notebooks.execute(tmp_path / "nope.ipynb")
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(notebooks.NotebookError, match="^bad.ipynb: failed: not a readable notebook"):
        notebooks.execute(tmp_path / "bad.ipynb")


def test_kernel_env_puts_the_project_first_on_the_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = notebooks.kernel_env("reference", False, tmp_path, {"X": "1"})
    parts = env["PYTHONPATH"].split(":")
    assert parts[0] == str(tmp_path) and parts[-1] == "/somewhere/else"
    assert env["A2KIT_IMPL"] == "reference" and env["A2KIT_FAST"] == "0" and env["A2KIT_ROOT"] == str(tmp_path)
    assert env["X"] == "1"


# -- what collect refuses in a saved notebook -----------------------------------------


def executed(*cells):
    return new_notebook(cells=list(cells))


def ran(source: str, count: int | None, *outputs):
    return new_code_cell(source, execution_count=count, outputs=list(outputs))


def answer(qid: str, text: str = ANSWER_PLACEHOLDER):
    return new_markdown_cell(text, metadata=answer_metadata(qid))


def test_problems_accepts_a_notebook_run_top_to_bottom():
    nb = executed(ran("a = 1", 1), ran("", None), answer("q1-inline-1", "**Your answer:** it halves"), ran("a", 2))
    assert notebooks.problems(nb, "N.ipynb") == []


def test_problems_unexecuted_cells_are_one_line():
    nb = executed(ran("a = 1", 1), ran("b = 2", None), ran("c = 3", None))
    assert notebooks.problems(nb, "N.ipynb") == [
        "N.ipynb: 2 code cells (2, 3) were not executed (run the notebook top to bottom, then save it)"
    ]
    nb = executed(ran("a = 1", 1), ran("b = 2", None))
    assert notebooks.problems(nb, "N.ipynb")[0].startswith("N.ipynb: code cell 2 was not executed")


def test_problems_in_spanish_keep_the_names_and_numbers():
    """collect's refusals follow --lang: the same cells, counts and file names, Spanish words."""
    from grader import i18n

    nb = executed(ran("a = 1", 3), ran("b = 2", 2), ran("c = 3", None), ran("d = 4", None))
    english = notebooks.problems(nb, "N.ipynb")
    i18n.set_language("es")
    try:
        spanish = notebooks.problems(nb, "N.ipynb")
        one = notebooks.problems(executed(ran("a = 1", 1), ran("b = 2", None)), "N.ipynb")
    finally:
        i18n.set_language("en")
    assert len(spanish) == len(english) == 2
    assert spanish[0] == (
        "N.ipynb: 2 celdas de código (3, 4) no se ejecutaron (ejecutá el notebook de principio a fin y guardalo)"
    )
    assert spanish[1].startswith("N.ipynb: la celda de código 2 se ejecutó fuera de orden (número de ejecución 2")
    assert one == ["N.ipynb: 1 celda de código (2) no se ejecutó (ejecutá el notebook de principio a fin y guardalo)"]


def test_problems_out_of_order():
    nb = executed(ran("a = 1", 3), ran("b = 2", 2), ran("c = 3", 4))
    assert notebooks.problems(nb, "N.ipynb") == [
        "N.ipynb: code cell 2 ran out of order "
        "(execution count 2 after 3 in code cell 1; restart the kernel and run all cells)"
    ]
    nb = executed(ran("a = 1", 1), ran("b = 2", 1))
    assert "code cell 2 ran out of order" in notebooks.problems(nb, "N.ipynb")[0]


def test_problems_error_output():
    err = new_output("error", ename="NameError", evalue="name 'x' is not defined", traceback=["..."])
    nb = executed(ran("a = 1", 1), ran("x", 2, err))
    assert notebooks.problems(nb, "N.ipynb") == [
        "N.ipynb: code cell 2 shows an error output (NameError: name 'x' is not defined)"
    ]


def test_problems_empty_answer():
    nb = executed(
        ran("a = 1", 1),
        answer("q2-inline-1"),
        answer("q2-inline-2", "**Your answer:**  \n"),
        answer("q2-inline-3", "yes"),
    )
    assert notebooks.problems(nb, "N.ipynb") == [
        "N.ipynb: inline question q2-inline-1 has no answer (replace '*fill this in*' with your answer)",
        "N.ipynb: inline question q2-inline-2 has no answer (replace '*fill this in*' with your answer)",
    ]


# -- the assignment notebooks ----------------------------------------------------------


def assignment_notebooks() -> list[Path]:
    found = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("tp2/*.ipynb"))
    return [p for p in found if p.name not in NOT_EXECUTED_HERE]


@pytest.fixture
def synthetic_data(monkeypatch, tmp_path) -> dict[str, str]:
    """Kernel variables that make data_utils use the synthetic set even where CIFAR-10 was downloaded."""
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


@pytest.mark.slow
def test_every_notebook_runs_against_the_reference(capsys, synthetic_data):
    """Does every assignment notebook execute top to bottom against the reference in fast mode?"""
    paths = assignment_notebooks()
    if not paths:
        pytest.skip("no notebooks in notebooks/ yet")
    failures, lines, total = [], [], 0.0
    for path in paths:
        start = time.perf_counter()
        try:
            nb = notebooks.execute(path, implementation="reference", fast=True, timeout=300, env=synthetic_data)
            leftover = [p for p in notebooks.problems(nb, path.name) if "inline question" not in p]
            failures += leftover
        except notebooks.NotebookError as exc:
            failures.append(str(exc))
        seconds = time.perf_counter() - start
        total += seconds
        lines.append(f"  {path.relative_to(NOTEBOOKS).as_posix():<32} {seconds:6.1f} s")
    with capsys.disabled():
        print("\nnotebooks against the reference, fast mode:")
        print("\n".join(lines))
        print(f"  {'total':<32} {total:6.1f} s")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_fully_connected_nets_stops_at_the_first_stub(synthetic_data):
    """Against the untouched stubs, does FullyConnectedNets fail at the first stub with 'not implemented'?"""
    path = NOTEBOOKS / "FullyConnectedNets.ipynb"
    if not path.exists():
        pytest.skip("notebooks/FullyConnectedNets.ipynb does not exist yet")
    with pytest.raises(notebooks.NotebookError) as info:
        notebooks.execute(path, implementation="student", fast=True, timeout=300, env=synthetic_data)
    message = str(info.value)
    assert message.startswith("FullyConnectedNets.ipynb: code cell ")
    assert "NotImplementedError" in message and "not implemented" in message, message
    # the first stub a notebook reaches in order is affine_forward
    assert "affine_forward" in message, message


@pytest.mark.slow
def test_tp2_computational_graphs_stops_at_the_first_stub(synthetic_data):
    """Against the untouched stubs, does the first TP2 notebook stop at sigmoid_forward with 'not implemented'?"""
    path = NOTEBOOKS / "tp2" / "ComputationalGraphs.ipynb"
    with pytest.raises(notebooks.NotebookError) as info:
        notebooks.execute(path, implementation="student", fast=True, timeout=300, env=synthetic_data)
    message = str(info.value)
    assert message.startswith("ComputationalGraphs.ipynb: code cell 2 failed: NotImplementedError"), message
    assert "sigmoid_forward is not implemented yet (layers.py)" in message, message


def test_the_python3_kernel_is_this_interpreter():
    """Is the kernel the grader's own interpreter, whatever python3 kernelspec is installed elsewhere?"""
    import sys

    km = notebooks._kernel_manager("python3")
    assert km.kernel_spec.argv[0] == sys.executable
    assert km.kernel_spec.argv[1:3] == ["-m", "ipykernel_launcher"]


@pytest.mark.slow
def test_pytorch_notebook_prints_the_best_validation_accuracy_and_the_q5_table(synthetic_data):
    """Does PyTorch.ipynb run against the reference in fast mode, print the line the report shows, and the Q5 table?

    Without torch the same notebook must still run, every part saying it was skipped.
    """
    import importlib.util

    nb = notebooks.execute(
        NOTEBOOKS / "PyTorch.ipynb", implementation="reference", fast=True, timeout=300, env=synthetic_data
    )
    text = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    if importlib.util.find_spec("torch") is None:
        assert "PyTorch is not installed" in text
        return
    assert "Data source: synthetic" in text
    assert re.search(
        r"^Q5 best validation accuracy: [01]\.\d{4} \(data: synthetic, 500 training images", text, re.MULTILINE
    ), text
    assert "q5: PyTorch on CIFAR-10 (extra credit)  -  10 / 10 points" in text
