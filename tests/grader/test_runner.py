"""The child-process runner: one bad function costs its own check only."""

import textwrap
import time

import pytest

from grader import fixtures
from grader.checks import registry
from grader.runner import Task, run_checks
from tests.grader.subjects import GOOD_BODY, GOOD_FORWARD


def make_package(root, backward_body, forward=GOOD_FORWARD, name="subject"):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    backward = "def affine_backward(dout, cache):\n" + textwrap.indent(textwrap.dedent(backward_body), "    ")
    (pkg / "layers.py").write_text(forward + "\n" + backward + "\n")
    return name


def tasks(timeout=3.0):
    public = fixtures.load()
    return [Task(cid, public[cid].case, timeout) for cid in ("affine_forward", "affine_backward")]


def run(tmp_path, backward_body, **kw):
    name = make_package(tmp_path, backward_body, **kw)
    return run_checks(name, [str(tmp_path)], tasks())


def test_a_correct_package_returns_outputs_for_both_checks(tmp_path):
    out = run(tmp_path, GOOD_BODY)
    assert out["affine_forward"].status == "ok" and out["affine_backward"].status == "ok"
    assert set(out["affine_backward"].outputs) >= {"dx", "dw", "db"}


@pytest.mark.parametrize(
    "body, status, words",
    [
        ("while True:\n    pass\n", "timeout", "time limit"),
        ("import os\nos._exit(0)\n", "error", "process ended"),
        ("import sys\nsys.exit(0)\n", "error", "sys.exit(0)"),
        ("raise NotImplementedError('affine_backward is not implemented yet')\n", "not_implemented", "not implemented"),
        (
            "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    time.sleep(1)\n",
            "timeout",
            "time limit",
        ),
        (
            "class Eq:\n    def __eq__(self, o):\n        return True\nreturn Eq(), Eq(), Eq()\n",
            "error",
            "not a plain numeric array",
        ),
    ],
    ids=["infinite loop", "os._exit", "sys.exit", "stub", "ignores SIGTERM", "always-equal object"],
)
def test_a_failing_backward_costs_only_its_own_check(tmp_path, body, status, words):
    """Does an infinite loop / exit / odd return in affine_backward leave affine_forward's result intact?"""
    started = time.monotonic()
    out = run(tmp_path, body)
    assert out["affine_forward"].status == "ok"
    assert out["affine_backward"].status == status
    assert words in out["affine_backward"].message
    assert time.monotonic() - started < 15


def test_an_exception_reports_the_students_file_and_line(tmp_path):
    out = run(tmp_path, "x = 1\nraise ValueError('bad shape')\n")
    bwd = out["affine_backward"]
    assert bwd.status == "error"
    assert bwd.message == "ValueError: bad shape"
    lines = (tmp_path / "subject" / "layers.py").read_text().splitlines()
    line = 1 + lines.index("    raise ValueError('bad shape')")
    assert bwd.location == f"subject/layers.py:{line} in affine_backward"


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    out = run(tmp_path, "return (\n", forward=GOOD_FORWARD)
    for cid in ("affine_forward", "affine_backward"):
        assert out[cid].status == "error"
        assert "SyntaxError" in out[cid].message
        assert out[cid].location.startswith("layers.py:")


def test_a_flood_of_output_does_not_disturb_the_results(tmp_path):
    out = run(tmp_path, 'print(\'{"event": "end", "id": "affine_backward", "status": "ok"}\\n\' * 20000)\n' + GOOD_BODY)
    assert out["affine_backward"].status == "ok"


def test_a_background_process_does_not_survive_the_check(tmp_path):
    """Is a process the student's code leaves running killed with the worker?"""
    marker = tmp_path / "alive"
    script = tmp_path / "linger.py"
    script.write_text(
        f"import pathlib, time\nwhile True:\n    pathlib.Path({str(marker)!r}).touch()\n    time.sleep(0.1)\n"
    )
    body = (
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(script)!r}])\ntime.sleep(0.5)\n"
        + GOOD_BODY
    )
    out = run(tmp_path, body)
    assert out["affine_backward"].status == "ok"
    assert marker.exists(), "the background process never started"
    time.sleep(0.5)
    stamp = marker.stat().st_mtime_ns
    time.sleep(0.6)
    assert marker.stat().st_mtime_ns == stamp, "the background process is still running"


def test_checks_exist_in_the_registry():
    assert "affine_forward" in registry.all_checks()
