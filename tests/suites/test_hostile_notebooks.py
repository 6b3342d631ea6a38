"""Hostile notebooks under ``grade --execute-notebooks`` (issue 11, breaches 3, 5 and 10).

One batch, graded once: a control submission whose notebook prints a private
answer, and four hostile ones. Each notebook runs in the sandbox; what an
attack may not do: read the control's notebook or a host file into its own
report (a planted ``out/nb0.ipynb`` link, then the notebook worker killed),
stall the batch (the Jupyter client stopped with SIGSTOP; a notebook of many
cells, each within the per-cell limit; output that is super-linear to render),
leave a process running, or change the control's row. The limits are lowered
for the test (per cell 6 s, per notebook 10 s, rendering 3 s); the batch must
end within the sum of what its notebooks may take plus a margin.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader import grading, nbrunner
from grader import rubric as rubric_mod
from grader.render import bounded
from grader.sandbox import Sandbox
from tests.grader.subjects import our_layout, survivors

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hostile-notebooks"
MARK = "a2kit-hostile-nb"
CELL_SECONDS, NOTEBOOK_SECONDS, RENDER_SECONDS = 6.0, 10.0, 3.0
#: Built at run time in the control's notebook, so that only its output (not its source) holds it.
PRIVATE = "PRIVATE-ANSWER-31415"
CANARY = "CANARY-OF-THE-HOST-27182"

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


def _rubric(tmp_path: Path) -> rubric_mod.Rubric:
    path = tmp_path / "nb.yaml"
    path.write_text(
        "version: 1\nassignment: nb\nquestions:\n  q1:\n    title: t\n    points: 1\n    checks:\n"
        "      - {id: affine_forward, points: 1}\n"
    )
    return rubric_mod.load(path, require_all_checks=False)


def _submission(dest: Path, *cells: str) -> Path:
    """The reference with a notebook of these cells (code, or Markdown where a cell starts with ``MD:``)."""
    sub = our_layout(dest, ROOT / "reference")
    (sub / "notebooks").mkdir()
    made = [new_markdown_cell(c[3:]) if c.startswith("MD:") else new_code_cell(c) for c in cells]
    nbformat.write(new_notebook(cells=made), str(sub / "notebooks" / "Work.ipynb"))
    return sub


def _attacks(base: Path, control_notebook: Path, canary: Path) -> dict[str, list[str]]:
    job_of_parent = (
        "import os\n"
        "argv = open(f'/proc/{os.getppid()}/cmdline', 'rb').read().split(b'\\0')\n"
        "job = next(a.decode() for a in argv if b'a2kit-nbjob' in a or b'/job' in a)\n"
    )
    return {
        "plant_notebook_link": [
            job_of_parent
            + "os.makedirs(os.path.join(job, 'out'), exist_ok=True)\n"
            + f"for name, target in (('out/nb0.ipynb', {str(control_notebook)!r}), ('out/nb1.ipynb', {str(canary)!r}),"
            + f" ('output.log', {str(canary)!r})):\n"
            "    path = os.path.join(job, name)\n"
            "    try:\n        os.unlink(path)\n    except OSError:\n        pass\n"
            "    try:\n        os.symlink(target, path)\n    except OSError:\n        pass\n"
            "import signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
        ],
        "stop_the_client": [
            f"print({MARK!r})\nimport os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n",
            "print('never reached')",
        ],
        "many_cells": [f"import time\nprint({MARK!r})"] + ["time.sleep(0.05)"] * 600,
        "slow_to_render": ["MD:" + "[" * 80000, "print('rendered?')"],  # about 25 s to render unbounded
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if not Sandbox().uses_bubblewrap():
        pytest.skip("the notebook attacks are graded under bubblewrap (it does not work here)")
    base = tmp_path_factory.mktemp("hostile-nb")
    canary = base / "canary.txt"
    canary.write_text(CANARY + "\n")
    control = _submission(base / "subs" / "control", "print('PRIVATE-' + 'ANSWER-' + str(31415))")
    subs = {"control": control}
    for name, cells in _attacks(base, control / "notebooks" / "Work.ipynb", canary).items():
        subs[name] = _submission(base / "subs" / name, *cells)
    rub = _rubric(base)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nbrunner, "NOTEBOOK_CELL_TIMEOUT", CELL_SECONDS)
        mp.setattr(nbrunner, "NOTEBOOK_SECONDS", NOTEBOOK_SECONDS)
        mp.setattr(bounded, "RENDER_SECONDS", RENDER_SECONDS)
        (clean,) = grading.grade([control], base / "clean", rubric=rub, seed=SECRET, execute_notebooks=True)
        started = time.monotonic()
        rows = grading.grade(list(subs.values()), base / "out", rubric=rub, seed=SECRET, execute_notebooks=True,
                             workers=2)
        seconds = time.monotonic() - started
    return {"base": base, "rows": {r.submission: r for r in rows}, "clean": clean, "seconds": seconds,
            "subs": subs}


def _report(batch, sid: str) -> str:
    return (batch["base"] / "out" / sid / "report.html").read_text()


def _runs(batch, sid: str) -> dict:
    meta = json.loads((batch["base"] / "out" / sid / "results.json").read_text())["a2kit"]
    return {n["name"]: n for n in meta["notebooks"]}


def test_the_control_is_graded_as_in_a_clean_batch_and_its_notebook_ran(batch):
    row, clean = batch["rows"]["control"], batch["clean"]
    assert (row.status, row.scores, row.total, row.message) == (clean.status, clean.scores, clean.total, clean.message)
    assert _runs(batch, "control")["Work.ipynb"]["ok"] is True
    assert PRIVATE in _report(batch, "control")


def test_a_planted_link_reads_neither_the_control_nor_a_host_file(batch):
    report = _report(batch, "plant_notebook_link")
    results = (batch["base"] / "out" / "plant_notebook_link" / "results.json").read_text()
    for text in (report, results):
        assert PRIVATE not in text and CANARY not in text
    run = _runs(batch, "plant_notebook_link")["Work.ipynb"]
    assert run["ok"] is False and "worker ended while running it" in run["message"], run


def test_a_stopped_client_fails_its_notebook_on_the_per_cell_limit(batch):
    run = _runs(batch, "stop_the_client")["Work.ipynb"]
    assert run["ok"] is False and "per-cell limit" in run["message"], run
    assert "never reached" not in _report(batch, "stop_the_client")


def test_many_quick_cells_stop_at_the_per_notebook_limit(batch):
    run = _runs(batch, "many_cells")["Work.ipynb"]
    assert run["ok"] is False, run
    assert f"stopped after {NOTEBOOK_SECONDS:g} s (per-notebook limit) while running the notebook" in run["message"]


def test_output_that_is_slow_to_render_is_shown_as_too_large(batch):
    run = _runs(batch, "slow_to_render")["Work.ipynb"]
    assert run["ok"] is True, run  # it ran; only its rendering is refused
    assert f"too large to render (it took more than {RENDER_SECONDS:g} s to render)" in _report(batch, "slow_to_render")


def test_the_batch_ends_in_bounded_time_and_leaves_nothing_running(batch):
    # two workers; per notebook at most its limit plus the kernel's start, the render budget, the checks
    bound = (len(batch["subs"]) / 2 + 1) * (NOTEBOOK_SECONDS + nbrunner_startup() + RENDER_SECONDS + 10)
    assert batch["seconds"] < bound, (batch["seconds"], bound)
    assert survivors(MARK, wait=1.0) == []
    for sid, row in batch["rows"].items():
        assert row.status in ("graded", "partial") and row.total == batch["clean"].total, (sid, row.message)


def nbrunner_startup() -> float:
    from grader import session

    return session.STARTUP_TIMEOUT_NB
