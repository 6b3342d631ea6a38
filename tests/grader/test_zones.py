"""The trust zones (grader.zones): one declaration, a generated editable list that `stubs --check` keeps current."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from grader import collect, sandbox, stubs, zones

ROOT = Path(__file__).resolve().parents[2]


def test_editable_list_is_the_generators():
    """Is zones.EDITABLE exactly the files with solution regions in reference/, in the generator's order?"""
    assert list(zones.EDITABLE) == [p.as_posix() for p in stubs.editable_files(ROOT / "reference")]
    assert collect.STUDENT_FILES == zones.EDITABLE


def test_stubs_check_fails_on_a_stale_editable_list_and_stubs_rewrites_it(tmp_path):
    """Does `stubs --check` exit 1 naming grader/editable.py when it is stale, and `stubs` make it current?"""
    artefacts = shutil.ignore_patterns("__pycache__", "*.so", "*.c")
    shutil.copytree(ROOT / "reference", tmp_path / "reference", ignore=artefacts)
    stubs.generate(tmp_path / "reference", tmp_path / "student")
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "editable.py").write_text('EDITABLE = ("layers.py",)\n')

    def run(*extra):
        argv = [sys.executable, "-m", "grader", "stubs", *extra, "--root", str(tmp_path)]
        return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)

    stale = run("--check")
    assert stale.returncode == 1 and "differs: grader/editable.py" in stale.stdout, stale.stdout + stale.stderr
    assert run().returncode == 0
    assert (tmp_path / "grader" / "editable.py").read_text() == (ROOT / "grader" / "editable.py").read_text()
    assert run("--check").returncode == 0


def test_the_sandbox_copy_holds_the_zones_but_not_the_trusted_result_types():
    """Does the worker's grader copy hold zones.py and editable.py, and neither results.py nor the result classes?"""
    copy = sandbox._grader_copy(ROOT / "grader") / "grader"
    assert (copy / "zones.py").is_file() and (copy / "editable.py").is_file()
    assert not (copy / "results.py").exists()
    base = (copy / "checks" / "base.py").read_text()
    assert "class CheckResult" not in base and "class QuestionResult" not in base and "class Status" not in base
