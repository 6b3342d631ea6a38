"""The Gradescope autograder bundle, run as Gradescope runs it.

``export gradescope`` builds autograder.zip; each test unpacks it into a
temporary root laid out like Gradescope's container (``source/``,
``submission/``, ``results/``, ``submission_metadata.json``), runs
``source/run_autograder`` with this test's Python (``A2KIT_PYTHON``) and the
root overridden (``A2KIT_AUTOGRADER_ROOT``), and validates results.json with
tests/grader/gradescope_schema.py. A two-question rubric subset (q1's affine
and ReLU checks) keeps each run a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import cli
from grader.export import gradescope
from tests.grader import gradescope_schema
from tests.grader.subjects import ROOT, edit_file, our_layout

SECRET = "gradescope-bundle-secret-5c1e"
RUBRIC = """version: 1
assignment: Bundle test
questions:
  q1:
    title: Fully-connected networks
    points: 4
    visibility: visible
    checks:
      - {id: affine_forward, points: 1}
      - {id: affine_backward, points: 1, visibility: after_due_date}
      - {id: relu_forward, points: 1, visibility: hidden}
      - {id: relu_backward, points: 1}
late:
  deadline: "2026-03-20 23:59"
  timezone: America/Argentina/Buenos_Aires
  penalty: 25
  per: day
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bundle")
    rubric = base / "small.yaml"
    rubric.write_text(RUBRIC)
    assert (
        cli.main(["export", "gradescope", "--out", str(base / "out"), "--rubric", str(rubric), "--seed", SECRET]) == 0
    )
    return base / "out" / "autograder.zip"


def gradescope_root(tmp: Path, bundle: Path, *, created_at: str = "2026-03-20T10:00:00-03:00") -> Path:
    root = tmp / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():  # zipfile drops the modes; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps({"created_at": created_at, "id": 1, "users": []}))
    return root


def run_autograder(root: Path, python: str = sys.executable) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("A2KIT_") or k == "A2KIT_SANDBOX"}
    env.update(A2KIT_AUTOGRADER_ROOT=str(root), A2KIT_PYTHON=python)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_schema.validate(data) == [], (gradescope_schema.validate(data), done.stderr[-2000:])
    return data


def test_the_bundle_has_setup_and_run_autograder_at_its_root_and_the_secret_inside(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        assert zf.read(".a2kit-secret").decode().strip() == SECRET
    assert {"setup.sh", "run_autograder", "a2kit_autograder.json", "a2kit_rubric.yaml"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111 and modes[".a2kit-secret"] == 0o600
    assert "reference/layers.py" in names and "grader/export/gradescope.py" in names
    assert not [n for n in names if n.endswith((".so", ".c", ".pyc")) or "__pycache__" in n]
    # no torch extra for a rubric without q5; the apt line installs exactly the declared packages
    assert "[torch]" not in setup
    apt = [ln for ln in setup.splitlines() if ln.startswith("apt-get install")]
    assert apt and apt[0].split("--no-install-recommends ")[1].split() == list(gradescope.APT_PACKAGES)
    pips = [ln for ln in setup.splitlines() if "pip install" in ln]
    assert pips[-1].endswith('-e "/autograder/source"'), pips


def test_setup_and_run_autograder_pass_bash_n(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    for name in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(tmp_path / name)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, (name, done.stderr)


def test_a_rubric_with_q5_installs_the_torch_extra(tmp_path):
    path = gradescope.build(tmp_path, rubric_path=ROOT / "rubric.yaml", secret="s", root=ROOT)
    with zipfile.ZipFile(path) as zf:
        setup = zf.read("setup.sh").decode()
        assert json.loads(zf.read("a2kit_autograder.json"))["torch"] is True
    assert '-e "/autograder/source[torch]"' in setup and "download.pytorch.org/whl/cpu" in setup


def test_the_reference_scores_full_marks_on_time_and_visibility_follows_the_rubric(bundle, tmp_path):
    root = gradescope_root(tmp_path, bundle)
    our_layout(root / "submission", ROOT / "reference")
    data = run_autograder(root)
    assert data["score"] == 4 and data["a2kit"]["status"] == "graded"
    public = [t for t in data["tests"] if "public" in t["tags"]]
    assert [t["name"].split(":")[0] for t in public] == [
        "q1 affine_forward (public case)",
        "q1 affine_backward (public case)",
        "q1 relu_forward (public case)",
        "q1 relu_backward (public case)",
    ]
    assert all(t["visibility"] == "visible" and t["status"] == "passed" and t["max_score"] == 0 for t in public)
    vis = {t["name"].split(":")[0]: t["visibility"] for t in data["tests"] if "public" not in t["tags"]}
    assert vis == {
        "q1 affine_forward": "visible",
        "q1 affine_backward": "after_due_date",
        "q1 relu_forward": "hidden",
        "q1 relu_backward": "visible",
    }
    assert data["a2kit"]["late"]["percent"] == 0 and "on time" in data["output"]
    assert SECRET not in json.dumps(data)


def test_stubs_score_zero_and_a_late_zip_loses_its_penalty(bundle, tmp_path):
    root = gradescope_root(tmp_path, bundle, created_at="2026-03-21T08:00:00-03:00")  # 1 day late
    our_layout(tmp_path / "stubs", ROOT / "student")
    shutil.make_archive(str(root / "submission" / "a2_code_submission"), "zip", tmp_path / "stubs")
    data = run_autograder(root)
    assert data["score"] == 0 and data["a2kit"]["status"] == "graded"
    assert all(t["status"] == "failed" for t in data["tests"])  # the public cases too
    assert len([t for t in data["tests"] if "public" in t["tags"]]) == 4
    hidden = [t for t in data["tests"] if t["visibility"] != "visible"]
    assert hidden and all(not any(ch.isdigit() for ch in t["output"]) for t in hidden)

    root2 = gradescope_root(tmp_path / "late", bundle, created_at="2026-03-21T08:00:00-03:00")
    our_layout(root2 / "submission", ROOT / "reference")
    late = run_autograder(root2)
    assert late["a2kit"]["late"]["percent"] == 25 and late["score"] == 3.0
    assert sum(t["score"] for t in late["tests"]) == 4  # the tests keep the raw points


def test_a_hostile_submission_is_contained(bundle, tmp_path):
    root = gradescope_root(tmp_path, bundle)
    sub = our_layout(root / "submission", ROOT / "reference")
    edit_file(
        sub / "student" / "layers.py",
        append=f"""
import json as _j, os as _o
_root = {str(root)!r}
for _p in (_root + "/source/.a2kit-secret", "/autograder/source/.a2kit-secret"):
    try:
        _leak = open(_p).read()
        raise SystemExit("leaked " + _leak)
    except OSError:
        pass
for _p in (_root + "/results/results.json", _root + "/source/a2kit_rubric.yaml"):
    try:
        with open(_p, "w") as _f:
            _f.write(_j.dumps({{"score": 1000, "tests": []}}))
    except OSError:
        pass
""",
    )
    data = run_autograder(root)
    assert data["score"] <= 4 and SECRET not in json.dumps(data)
    assert "leaked" not in json.dumps(data)
    assert (root / "source" / "a2kit_rubric.yaml").read_text() == RUBRIC


def test_a_crashing_submission_and_a_crashing_grader_still_write_a_valid_file(bundle, tmp_path):
    root = gradescope_root(tmp_path / "a", bundle)
    sub = our_layout(root / "submission", ROOT / "reference")
    edit_file(sub / "student" / "layers.py", append="import os\nos._exit(3)\n")
    data = run_autograder(root)
    assert data["score"] == 0 and data["tests"] and all(t["status"] == "failed" for t in data["tests"])

    broken = gradescope_root(tmp_path / "b", bundle)
    (broken / "submission" / "a2_code_submission.zip").write_bytes(b"not a zip at all")
    data = run_autograder(broken)
    assert data["score"] == 0 and "could not be graded" in data["output"]

    grader_crash = gradescope_root(tmp_path / "c", bundle)
    (grader_crash / "source" / "a2kit_autograder.json").unlink()
    data = run_autograder(grader_crash)
    assert data["score"] == 0 and data["tests"] == [] and "course staff" in data["output"]

    no_python = gradescope_root(tmp_path / "d", bundle)
    data = run_autograder(no_python, python="/bin/false")
    assert data["score"] == 0 and "could not start Python" in data["output"]


def test_a_cs231n_layout_zip_scores_full_marks(bundle, tmp_path):
    from tests.grader.subjects import cs231n_zip

    root = gradescope_root(tmp_path, bundle)
    cs231n_zip(root / "submission" / "assignment2.zip", ROOT / "reference")
    data = run_autograder(root)
    assert data["score"] == 4 and data["a2kit"]["status"] == "graded", data["output"]
