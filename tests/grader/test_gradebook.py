"""An instructor's week: the output folder is the gradebook, reruns go by content (grader.gradebook).

A two-check rubric keeps each grade cheap; the SIGKILL-and-rerun step of the week is
``tests/suites/test_roundtrip.test_sigkill_mid_batch_then_rerun_loses_nothing`` (the full CLI, one process killed).
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from grader import cli, gradebook, grading
from grader import rubric as rubric_mod
from grader.paths import project_root
from tests.grader.subjects import our_layout

ROOT = project_root()
SECRET = "week-secret"


def _rubric(tmp_path: Path, points: int = 1) -> rubric_mod.Rubric:
    path = tmp_path / f"week-{points}.yaml"
    path.write_text(
        f"version: 1\nassignment: week\nquestions:\n  q1:\n    title: t\n    points: {2 * points}\n    checks:\n"
        f"      - {{id: affine_forward, points: {points}}}\n      - {{id: relu_forward, points: {points}}}\n"
    )
    return rubric_mod.load(path, require_all_checks=False)


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r["submission"] for r in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids)), ids  # stable order, each once
    return {r["submission"]: r for r in rows}


def _mtimes(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}


def _zip_of(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return dest


def test_an_instructors_week(tmp_path):
    rub = _rubric(tmp_path)
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    our_layout(subs / "alice", ROOT / "reference")
    our_layout(subs / "bob", ROOT / "student")
    (subs / "carol.zip").write_bytes(b"not a zip\n")
    # Monday: three submissions
    rows = grading.grade([subs / "alice", subs / "bob", subs / "carol.zip"], out, rubric=rub, seed=SECRET)
    assert {r.submission: (r.status, r.total, r.why) for r in rows} == {
        "alice": ("graded", 2.0, "graded"),
        "bob": ("graded", 0.0, "graded"),
        "carol": ("error", 0.0, "graded"),
    }
    assert set(_gradebook(out)) == {"alice", "bob", "carol"}
    # Tuesday: two late ones into the same folder; the gradebook and the summary keep the first three
    our_layout(subs / "dave", ROOT / "reference")
    our_layout(subs / "erin", ROOT / "student")
    rows = grading.grade([subs / "dave", subs / "erin"], out, rubric=rub, seed=SECRET)
    assert [r.submission for r in rows] == ["dave", "erin"]
    book = _gradebook(out)
    assert list(book) == ["alice", "bob", "carol", "dave", "erin"]
    assert book["alice"]["total"] == "2" and book["carol"]["status"] == "error"
    page = (out / "summary.html").read_text()
    assert "5 submissions:" in page and all(f'href="{s}/report.html"' in page for s in ("alice", "bob", "dave", "erin"))
    # Wednesday: bob fixed his work, alice resubmitted the same bytes, carol sent a real zip
    shutil.rmtree(subs / "bob" / "student")
    shutil.copytree(
        ROOT / "reference", subs / "bob" / "student", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c")
    )
    (subs / "carol.zip").unlink()
    _zip_of(our_layout(tmp_path / "carol-work", ROOT / "reference"), subs / "carol.zip")
    before = _mtimes(out)
    rows = {
        r.submission: r
        for r in grading.grade([subs / "alice", subs / "bob", subs / "carol.zip"], out, rubric=rub, seed=SECRET)
    }
    assert rows["alice"].why == "unchanged" and rows["alice"].skipped
    assert rows["bob"].why == "regraded because its content changed" and rows["bob"].total == 2
    assert rows["carol"].why == "regraded because it was an error" and rows["carol"].status == "graded"
    after = _mtimes(out)
    assert after["alice"] == before["alice"] and after["bob"] != before["bob"]
    assert after["dave"] == before["dave"]  # not named, not touched, still listed
    book = _gradebook(out)
    assert len(book) == 5 and book["bob"]["total"] == "2" and book["carol"]["status"] == "graded"
    hashes = json.loads((out / "bob" / "results.json").read_text())["a2kit"]["hashes"]
    assert set(hashes) == set(gradebook.PARTS) and SECRET not in json.dumps(hashes)
    # Thursday: the rubric's points change, then the secret: everything named is regraded, with the reason
    rub2 = _rubric(tmp_path, points=2)
    rows = grading.grade([subs / "alice"], out, rubric=rub2, seed=SECRET)
    assert rows[0].why == "regraded because the rubric changed" and rows[0].total == 4
    rows = grading.grade([subs / "alice"], out, rubric=rub2, seed="another-secret")
    assert rows[0].why == "regraded because the secret changed"
    rows = grading.grade([subs / "alice"], out, rubric=rub2, seed="another-secret", force=True)
    assert rows[0].why == "regraded because --force was given"


def test_the_same_path_twice_is_graded_once(tmp_path):
    sub = our_layout(tmp_path / "alice", ROOT / "student")
    rows = grading.grade([sub, sub, tmp_path / "alice" / "."], tmp_path / "out", rubric=_rubric(tmp_path), seed=SECRET)
    assert [r.submission for r in rows] == ["alice"]
    assert not (tmp_path / "out" / "alice-2").exists()


def test_content_hash_sees_a_change_and_ignores_junk(tmp_path):
    sub = our_layout(tmp_path / "s", ROOT / "student")
    first = gradebook.content_hash(sub)
    (sub / "student" / "__pycache__").mkdir(exist_ok=True)
    (sub / "student" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert gradebook.content_hash(sub) == first
    with open(sub / "student" / "layers.py", "a") as f:
        f.write("\n# edited\n")
    assert gradebook.content_hash(sub) != first


def test_grade_exit_code_and_console_say_what_each_run_did(tmp_path, capsys):
    good = our_layout(tmp_path / "good", ROOT / "student")
    rub = tmp_path / "week-1.yaml"
    _rubric(tmp_path)
    out = str(tmp_path / "out")
    # the stubs score zero, and that is a grade: exit 0
    assert cli.main(["grade", str(good), "--out", out, "--seed", SECRET, "--rubric", str(rub)]) == 0
    assert cli.main(["grade", str(good), "--out", out, "--seed", SECRET, "--rubric", str(rub)]) == 0
    printed = capsys.readouterr().out
    assert "good: graded, 0/2" in printed and "good: unchanged, 0/2" in printed


@pytest.mark.parametrize("status", ["graded", "partial"])
def test_a_graded_or_partial_row_does_not_fail_the_command(status, tmp_path, monkeypatch, capsys):
    row = gradebook.Row("s", status, {"q1": 0.0}, 0.0, 2.0, "")
    monkeypatch.setattr(grading, "grade", lambda *a, **k: [row])
    sub = our_layout(tmp_path / "s", ROOT / "student")
    _rubric(tmp_path)
    assert (
        cli.main(
            ["grade", str(sub), "--out", str(tmp_path / "o"), "--seed", "x", "--rubric", str(tmp_path / "week-1.yaml")]
        )
        == 0
    )
    row.status = "error"
    assert (
        cli.main(
            ["grade", str(sub), "--out", str(tmp_path / "o"), "--seed", "x", "--rubric", str(tmp_path / "week-1.yaml")]
        )
        == 1
    )


def test_midway_through_a_regrade_every_row_is_still_there(tmp_path):
    """While a forced regrade runs, the gradebook written after the first submission still lists the second
    (its old row), so a batch killed at that moment loses nothing."""
    rub = _rubric(tmp_path)
    subs = [our_layout(tmp_path / name, ROOT / "student") for name in ("a", "b", "c")]
    out = tmp_path / "out"
    grading.grade(subs, out, rubric=rub, seed=SECRET)
    seen = []

    class Reporter:
        def start(self, total, skipped=0):
            pass

        def done(self, row):
            seen.append(sorted(_gradebook(out)))

        def finish(self):
            pass

    grading.grade(subs, out, rubric=rub, seed=SECRET, force=True, workers=1, reporter=Reporter())
    assert seen == [["a", "b", "c"]] * 3


def test_grading_again_as_another_edition_regrades_with_the_reason(tmp_path):
    """Is ``--edition`` (or ``--numpy-compat``) part of what a grade depends on, so a rerun with another one
    regrades instead of keeping the old row?"""
    import dataclasses

    sub = our_layout(tmp_path / "alice", ROOT / "student")
    out, rub = tmp_path / "out", _rubric(tmp_path)
    assert grading.grade([sub], out, rubric=rub, seed=SECRET)[0].why == "graded"
    assert grading.grade([sub], out, rubric=rub, seed=SECRET)[0].why == "unchanged"
    as_2017 = dataclasses.replace(rub, edition="2017")
    assert grading.grade([sub], out, rubric=as_2017, seed=SECRET)[0].why == "regraded because the rubric changed"
    compat = dataclasses.replace(as_2017, numpy_compat=True)
    assert grading.grade([sub], out, rubric=compat, seed=SECRET)[0].why == "regraded because the rubric changed"
