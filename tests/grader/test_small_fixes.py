"""Issue 15's small fixes, one test each: what a user would expect of check, collect and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from grader import check as check_mod
from grader import cli, collect, preflight
from grader.paths import project_root
from grader.results import Status
from tests.grader.test_collect import NOW, make_project

ROOT = project_root()


def test_check_an_unknown_implementation_is_one_line_exit_2(capsys):
    assert cli.main(["check", "--implementation", "nosuchpkg"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nosuchpkg" in err[0] and err[0].startswith("error: ")


def test_check_runs_a_single_check_by_id_and_says_what_is_under_test(capsys):
    assert cli.main(["check", "affine_backward", "--implementation", "reference"]) == 0
    out = capsys.readouterr().out
    assert f"testing {ROOT / 'reference'}" in out
    assert "affine_backward" in out and "affine_forward " not in out and "2 / 2 points" in out


def test_a_fail_row_gives_the_file_and_line_of_the_function(tmp_path):
    impl = tmp_path / "buggy"
    shutil.copytree(ROOT / "reference", impl, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    layers = impl / "layers.py"
    text = layers.read_text()
    layers.write_text(text.replace("def relu_forward(x):\n", "def relu_forward(x):\n    return x * 2, x\n", 1))
    line = 1 + text[: text.index("def relu_forward(x):")].count("\n")
    (q,) = check_mod.run_ids(["relu_forward"], implementation="buggy", root=tmp_path)
    (c,) = q.checks
    assert c.status is Status.FAIL
    assert c.location == f"buggy/layers.py:{line} (relu_forward)"


def test_version_and_the_console_script_name(monkeypatch, capsys):
    from grader import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"a2kit {__version__}"
    monkeypatch.setattr(sys, "argv", ["/venv/bin/a2grader", "--help"])
    assert cli.main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: a2grader ")
    monkeypatch.setattr(sys, "argv", ["/x/grader/__main__.py", "--help"])
    assert cli.main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m grader ")


def test_what_collect_writes_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(
        ["git", "check-ignore", "a2_code_submission.zip", "a2_report.html"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.split() == ["a2_code_submission.zip", "a2_report.html"]


def test_collect_refuses_a_syntax_error_naming_the_file_and_line(tmp_path):
    root = make_project(tmp_path)
    layers = root / "student" / "layers.py"
    layers.write_text(layers.read_text() + "\ndef broken(:\n")
    line = layers.read_text().count("\n")
    with pytest.raises(collect.CollectRefused) as info:
        collect.collect(root, tmp_path / "out", now=NOW, check_notebooks=False)
    assert any(p.startswith(f"student/layers.py:{line}: syntax error") for p in info.value.problems), (
        info.value.problems
    )
    assert not (tmp_path / "out" / collect.ZIP_NAME).exists()


def test_collect_out_creates_the_folder(tmp_path):
    from grader import rubric as rubric_mod

    root = make_project(tmp_path)
    tiny = tmp_path / "tiny.yaml"  # two checks: the folder is the point, not the checks
    tiny.write_text(
        "version: 1\nassignment: t\nquestions:\n  q1:\n    title: t\n    points: 1\n    checks:\n"
        "      - {id: relu_forward, points: 1}\n"
    )
    out = tmp_path / "new" / "folder"
    result = collect.collect(root, out, rubric=rubric_mod.load(tiny), now=NOW, check_notebooks=False)
    assert result.zip_path == out / collect.ZIP_NAME and result.zip_path.is_file()


def test_inside_another_project_folder_check_refuses_in_one_line(tmp_path, monkeypatch, capsys):
    other = tmp_path / "clone2"
    (other / "grader").mkdir(parents=True)
    (other / "grader" / "__init__.py").write_text("")
    (other / "student").mkdir()
    (other / "rubric.yaml").write_text("")
    monkeypatch.delenv("A2KIT_ROOT", raising=False)
    monkeypatch.chdir(other / "student")
    assert preflight.mismatch() and str(other) in preflight.mismatch()
    assert cli.main(["check", "q1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(other) in err[0] and str(ROOT) in err[0]
    monkeypatch.chdir(ROOT)
    assert preflight.mismatch() is None


def test_a_warning_is_one_clean_line(capsys):
    """The limits-only warning (any warning) under the CLI: `warning: ...` on one line, no source line."""
    import warnings

    from grader.sandbox import SandboxWarning

    cli_warn = cli._one_line_warning
    cli_warn(
        SandboxWarning("grading without bubblewrap:\n  resource limits only"),
        SandboxWarning,
        "/x/grader/sandbox.py",
        287,
    )
    err = capsys.readouterr().err
    assert err == "warning: grading without bubblewrap: resource limits only\n"
    assert warnings.showwarning is not cli_warn  # main() restores the previous one when it returns
    cli.main(["--version"])
    assert warnings.showwarning is not cli_warn


def test_a_timeout_says_where_the_time_went(tmp_path):
    from grader import grading
    from grader import rubric as rubric_mod
    from tests.grader.subjects import our_layout

    sub = our_layout(tmp_path / "slow", ROOT / "reference")
    layers = sub / "student" / "layers.py"
    layers.write_text(
        layers.read_text().replace("def relu_forward(x):\n", "def relu_forward(x):\n    while True:\n        pass\n", 1)
    )
    path = tmp_path / "r.yaml"
    path.write_text(
        "version: 1\nassignment: t\nquestions:\n  q1:\n    title: t\n    points: 1\n    checks:\n"
        "      - {id: relu_forward, points: 1, timeout: 2}\n"
    )
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rubric_mod.load(path), seed="s")
    assert row.status == "partial"
    import json

    (test,) = json.loads((tmp_path / "out" / "slow" / "results.json").read_text())["tests"]
    assert "(time limit) while running the check's call into the submission" in test["output"], test["output"]


def test_the_notebooks_setup_cell_says_what_is_under_test(monkeypatch, capsys):
    """`load("layers")` (the notebooks' setup cell) prints the folder once, and refuses another clone's notebook."""
    from grader import notebook_api

    monkeypatch.setattr(notebook_api, "_ANNOUNCED", set())
    monkeypatch.setenv(notebook_api.IMPL_ENV, "reference")
    monkeypatch.delenv("A2KIT_ROOT", raising=False)
    monkeypatch.chdir(ROOT / "notebooks")
    notebook_api.load("layers")
    notebook_api.load("optim")
    assert capsys.readouterr().out == f"testing {ROOT / 'reference'}\n"
    monkeypatch.setattr(notebook_api, "_ANNOUNCED", set())
    monkeypatch.setattr(preflight, "mismatch", lambda cwd=None: "you are in the project /other but ...")
    with pytest.raises(RuntimeError, match="you are in the project /other"):
        notebook_api.load("layers")
