"""``python -m grader grade``: the batch pipeline, its outputs and reruns (grader.grading)."""

from __future__ import annotations

import csv
import json
import shutil
import stat
from pathlib import Path

import pytest

from grader import cli, grading
from grader import rubric as rubric_mod
from grader.checks import registry
from grader.paths import project_root
from tests.grader.subjects import (
    cs231n_zip,
    gradable_rubric,
    gradable_rubric_file,
    our_layout,
)

ROOT = project_root()
SECRET = "test-secret"
#: The documented columns, with one per question of the default rubric.
COLUMNS = ["submission", "status", *gradable_rubric().question_ids, "total", "max_total", "message"]


def _full_marks(rub: rubric_mod.Rubric) -> float:
    """What a perfect submission scores: every question's points, extra credit included."""
    return float(sum(q.points for q in rub.questions))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One batch: the reference (our layout), the stubs, a cs231n zip, a file that is not a zip."""
    base = tmp_path_factory.mktemp("batch")
    subs = base / "subs"
    subs.mkdir()
    our_layout(subs / "perfect", ROOT / "reference", notebooks=True)
    our_layout(subs / "stubs", ROOT / "student", notebooks=True)
    cs231n_zip(subs / "legacy.zip", ROOT / "reference")
    (subs / "broken.zip").write_bytes(b"this is not a zip archive\n")
    out = base / "out"
    rows = grading.grade([subs], out, rubric=gradable_rubric(), seed=SECRET)
    return subs, out, {r.submission: r for r in rows}


def test_the_folder_of_submissions_grades_each(graded):
    _, out, rows = graded
    assert sorted(rows) == ["broken", "legacy", "perfect", "stubs"]
    rub = gradable_rubric()
    for sid in ("perfect", "legacy"):
        assert rows[sid].status == "graded", rows[sid].message
        assert rows[sid].total == _full_marks(rub)
        assert rows[sid].scores == {q.id: q.points for q in rub.questions}
    assert rows["stubs"].status == "graded"
    assert rows["stubs"].total == 0
    assert rows["broken"].status == "error"
    assert "broken.zip" in rows["broken"].message and "zip" in rows["broken"].message


def test_gradebook_has_the_documented_columns(graded):
    _, out, rows = graded
    with open(out / "gradebook.csv", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == COLUMNS
    body = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in lines[1:]}
    assert set(body) == set(rows)
    rub = gradable_rubric()
    assert COLUMNS[2:-3] == [q.id for q in rub.questions] and COLUMNS[2] == "q1"
    assert float(body["perfect"]["total"]) == _full_marks(rub) and float(body["perfect"]["max_total"]) == rub.max_total
    assert body["broken"]["status"] == "error" and body["broken"]["message"]


def test_results_json_is_gradescope_format_and_adds_up(graded):
    _, out, rows = graded
    for sid, row in rows.items():
        data = json.loads((out / sid / "results.json").read_text())
        for key in ("score", "execution_time", "output", "stdout_visibility", "tests"):
            assert key in data
        assert data["score"] == row.total
        if row.status == "error":
            assert data["tests"] == [] and row.message in data["output"]
            continue
        rub = gradable_rubric()
        if data["a2kit"].get("edition"):  # a cs231n submission: the checks its edition lacks are not applicable
            from grader import editions

            rub = editions.apply_to_rubric(rub, editions.lookup(data["a2kit"]["edition"]))[0]
        assert len(data["tests"]) == sum(len(q.checks) for q in rub.questions)
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
        for t in data["tests"]:
            assert set(t) == {"name", "number", "score", "max_score", "status", "output", "visibility", "tags"}
            assert t["status"] in ("passed", "failed")
        assert (out / sid / "report.html").is_file()


def test_outputs_never_hold_the_secret(graded):
    _, out, _ = graded
    for p in out.rglob("*"):
        if p.is_file():
            assert SECRET not in p.read_text(encoding="utf-8", errors="replace"), p


def test_report_notes_a_modified_non_editable_file(tmp_path):
    sub = our_layout(tmp_path / "tampered", ROOT / "reference", notebooks=True)
    with open(sub / "student" / "solver.py", "a") as f:
        f.write("\n# changed\n")
    rub = rubric_mod.load(_tiny_rubric(tmp_path), require_all_checks=False)
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rub, seed=SECRET)
    assert row.status == "graded" and row.total == 2
    assert "solver.py" in (tmp_path / "out" / "tampered" / "report.html").read_text()
    assert any(
        "solver.py" in n
        for n in json.loads((tmp_path / "out" / "tampered" / "results.json").read_text())["a2kit"]["notes"]
    )


def test_rerun_skips_unless_forced(graded, tmp_path):
    subs, out, rows = graded
    out2 = tmp_path / "out"
    shutil.copytree(out, out2)
    results = {sid: out2 / sid / "results.json" for sid in rows}
    before = {sid: p.stat().st_mtime_ns for sid, p in results.items()}
    again = grading.grade([subs], out2, rubric=gradable_rubric(), seed=SECRET)
    assert {r.submission: (r.status, r.total, r.scores) for r in again} == {
        sid: (r.status, r.total, r.scores) for sid, r in rows.items()
    }
    # unchanged graded work is skipped; the error row is retried (and fails the same way)
    assert {r.submission for r in again if r.skipped} == {"legacy", "perfect", "stubs"}
    assert {r.submission: r.why for r in again}["broken"] == "regraded because it was an error"
    assert {sid: p.stat().st_mtime_ns for sid, p in results.items() if sid != "broken"} == {
        sid: t for sid, t in before.items() if sid != "broken"
    }
    # --force regrades (the cheap one is enough to see it)
    (forced,) = grading.grade([subs / "broken.zip"], out2, rubric=gradable_rubric(), seed=SECRET, force=True)
    assert not forced.skipped and forced.status == "error"
    assert results["broken"].stat().st_mtime_ns != before["broken"]


def _tiny_rubric(tmp_path: Path, timeout: float | None = None) -> Path:
    t = f", timeout: {timeout}" if timeout else ""
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "version: 1\nassignment: tiny\nquestions:\n  q1:\n    title: t\n    points: 2\n    checks:\n"
        f"      - {{id: affine_forward, points: 1{t}}}\n      - {{id: relu_forward, points: 1}}\n"
    )
    return path


def test_an_infinite_loop_times_out_and_the_row_is_partial(tmp_path):
    sub = our_layout(tmp_path / "looping", ROOT / "reference", notebooks=True)
    layers = sub / "student" / "layers.py"
    text = layers.read_text()
    layers.write_text(
        text.replace(
            "def affine_forward(x, w, b):\n", "def affine_forward(x, w, b):\n    while True:\n        pass\n", 1
        )
    )
    rub = rubric_mod.load(_tiny_rubric(tmp_path, timeout=2), require_all_checks=False)
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rub, seed=SECRET)
    assert row.status == "partial"
    assert row.scores == {"q1": 1.0}
    tests = json.loads((tmp_path / "out" / "looping" / "results.json").read_text())["tests"]
    assert [t["status"] for t in tests] == ["failed", "passed"]


def test_secret_from_seed_env_or_file(tmp_path, monkeypatch):
    monkeypatch.delenv(grading.SECRET_ENV, raising=False)
    assert grading.resolve_secret("given", tmp_path) == "given"
    first = grading.resolve_secret(None, tmp_path)
    path = tmp_path / grading.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) >= 32
    assert grading.resolve_secret(None, tmp_path) == first
    monkeypatch.setenv(grading.SECRET_ENV, "from-env")
    assert grading.resolve_secret(None, tmp_path) == "from-env"


def test_cli_exit_codes(tmp_path, capsys):
    good = our_layout(tmp_path / "good", ROOT / "reference", notebooks=True)
    out = str(tmp_path / "out")
    rub = str(gradable_rubric_file(tmp_path))
    assert cli.main(["grade", str(good), "--out", out, "--seed", SECRET, "--rubric", rub]) == 0
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    assert (
        cli.main(["grade", str(good), str(bad), "--out", out, "--seed", SECRET, "--rubric", rub]) == 1
    )  # good is not regraded
    assert cli.main(["grade", str(good)]) == 2  # --out is required
    assert cli.main(["grade", str(tmp_path / "missing"), "--out", out, "--seed", SECRET]) == 2
    printed = capsys.readouterr().out
    assert "good: graded" in printed and "good: unchanged" in printed and "bad: error" in printed


def test_a_loop_at_import_costs_one_timeout_not_one_per_check(tmp_path):
    """Is a module that hangs while being imported refused at once by the checks after the first timeout?"""
    sub = our_layout(tmp_path / "hangs", ROOT / "reference", notebooks=True)
    layers = sub / "student" / "layers.py"
    layers.write_text("while True:\n    pass\n" + layers.read_text())
    path = tmp_path / "three.yaml"
    path.write_text(
        "version: 1\nassignment: tiny\nvisibility: visible\n"
        "questions:\n  q1:\n    title: t\n    points: 4\n    checks:\n"
        "      - {id: affine_forward, points: 1, timeout: 3}\n      - {id: relu_forward, points: 1, timeout: 3}\n"
        "      - {id: relu_backward, points: 1, timeout: 3}\n      - {id: sgd_momentum, points: 1, timeout: 3}\n"
    )
    rub = rubric_mod.load(path, require_all_checks=False)
    (row,) = grading.grade([sub], tmp_path / "out", rubric=rub, seed=SECRET)
    tests = json.loads((tmp_path / "out" / "hangs" / "results.json").read_text())["tests"]
    outputs = [t["output"] for t in tests]
    assert "timed out" in outputs[0]
    for later in outputs[1:3]:
        assert "importing layers did not finish within 3 s" in later, later
    assert tests[3]["status"] == "passed"  # optim.py does not import layers
    assert row.scores == {"q1": 1.0} and row.status == "partial"
    assert json.loads((tmp_path / "out" / "hangs" / "results.json").read_text())["a2kit"]["seconds"] < 3 * 2 + 5


def test_a_question_the_reference_cannot_grade_here_is_a_usage_error(tmp_path, capsys, monkeypatch):
    """Without torch the reference cannot compute Q5's expected values: one line, exit 2, nothing graded."""
    real = grading.HiddenFixtures.__getitem__

    def no_torch(self, check_id):
        if registry.get(check_id).question == "q5":
            raise NotImplementedError('PyTorch is not installed: pip install -e ".[torch]"')
        return real(self, check_id)

    monkeypatch.setattr(grading.HiddenFixtures, "__getitem__", no_torch)
    grading.hidden.CACHE.clear()
    good = our_layout(tmp_path / "good", ROOT / "reference", notebooks=True)
    assert cli.main(["grade", str(good), "--out", str(tmp_path / "out"), "--seed", "no-torch-secret"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "q5 cannot be graded here: PyTorch is not installed" in err[-1]
    assert "rubric without q5" in err[-1]
    assert not (tmp_path / "out" / "good").exists()
    grading.hidden.CACHE.clear()
