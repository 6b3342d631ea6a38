"""``python -m grader release``: the student handout (grader.release).

The handout is built from a copy of the project made in a temporary folder
(reference/, grader/, notebooks/, the rubrics and packaging files, with
student/ freshly generated from that reference/), so the tests do not depend
on whether the working tree's student/ is current, and so secrets and build
artefacts can be planted in it.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import cli, release, stubs
from tests.grader.subjects import gradable_rubric

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so", "*.c", ".ipynb_checkpoints")
#: Reference functions whose solution text must not reach the handout (file, function).
WATCHED = [
    ("layers.py", "affine_backward"),
    ("layers.py", "batchnorm_backward"),
    ("layers.py", "conv_forward_naive"),
    ("optim.py", "adam"),
    ("classifiers/fc_net.py", "loss"),
]


def make_project(dest: Path) -> Path:
    """A copy of the project with student/ generated from its reference/, and things that must not ship."""
    for name in ("reference", "grader", "notebooks", "rubrics"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=ARTEFACTS)
    for name in ("rubric.yaml", "pyproject.toml", "setup.py", "README.md"):
        shutil.copyfile(ROOT / name, dest / name)
    stubs.generate(dest / "reference", dest / "student")
    # secrets, hidden data, build artefacts, caches, environments, links: none may ship
    (dest / ".a2kit-secret").write_text("top secret seed\n")
    (dest / "grader" / ".a2kit-secret").write_text("top secret seed\n")
    (dest / "grader" / "fixtures" / "hidden.npz").write_bytes(b"hidden inputs")
    (dest / "student" / "__pycache__").mkdir()
    (dest / "student" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0")
    (dest / "student" / "im2col_cython.c").write_text("/* generated */\n")
    (dest / "student" / "im2col_cython.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    (dest / "notebooks" / ".ipynb_checkpoints").mkdir()
    (dest / "notebooks" / ".ipynb_checkpoints" / "Dropout-checkpoint.ipynb").write_text("{}")
    venv = dest / "notebooks" / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "site.py").write_text("x = 1\n")
    (dest / "notebooks" / "link.py").symlink_to(dest / "reference" / "layers.py")
    (dest / "tests").mkdir()
    (dest / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    return dest


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    project = make_project(base / "project")
    done = release.release(base / "handout", root=project)
    return project, done


def split_regions(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    """(function name -> the code lines inside its solution regions, the lines outside), read without grader.stubs."""
    inner: dict[str, list[str]] = {}
    outer: list[str] = []
    current, inside = None, False
    for line in path.read_text().splitlines():
        m = re.match(r"\s*def (\w+)\(", line)
        if m and not inside:
            current = m.group(1)
        if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = line.strip() == "# BEGIN SOLUTION"
        elif inside and line.strip() and not line.strip().startswith("#"):
            inner.setdefault(current, []).append(line.strip())
        else:
            outer.append(line.strip())
    return inner, outer


def test_the_handout_holds_what_students_need(handout):
    """Are the stubs, notebooks, grader, rubrics, public fixtures and packaging files all there?"""
    project, done = handout
    files = set(done.files)
    assert files == {p.relative_to(done.out).as_posix() for p in done.out.rglob("*") if p.is_file()}
    for rel in (
        "student/layers.py",
        "student/classifiers/fc_net.py",
        "student/im2col_cython.pyx",
        "grader/__main__.py",
        "grader/cli.py",
        "grader/checks/registry.py",
        "grader/fixtures/public.npz",
        "rubric.yaml",
        "pyproject.toml",
        "setup.py",
        "README.md",
    ):
        assert rel in files, rel
    assert {f for f in files if f.startswith("rubrics/")} == {
        f"rubrics/{p.name}" for p in (project / "rubrics").iterdir() if p.is_file()
    }
    notebooks = {
        p.relative_to(project).as_posix()
        for p in (project / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    }
    assert notebooks and notebooks <= files


def test_nothing_secret_or_built_ships(handout):
    """Are reference/, wrong_answers/, hidden fixtures, secrets, caches, .so/.c, venvs, links and tests left out?"""
    _, done = handout
    for rel in done.files:
        parts = rel.split("/")
        assert parts[0] in ("student", "notebooks", "grader", "rubrics") or len(parts) == 1, rel
        assert not rel.startswith(("reference", "grader/wrong_answers", "tests")), rel
        assert "__pycache__" not in parts and ".ipynb_checkpoints" not in parts and "venv" not in parts, rel
        assert not rel.endswith((".pyc", ".so", ".c")) and not parts[-1].startswith("."), rel
        assert rel != "notebooks/link.py"
    assert [f for f in done.files if f.startswith("grader/fixtures/")] == ["grader/fixtures/public.npz"]
    assert not any(p.is_symlink() for p in done.out.rglob("*"))
    for p in done.out.rglob("*"):
        if p.is_file():
            assert b"top secret seed" not in p.read_bytes(), p
            assert oct(p.stat().st_mode & 0o777) in ("0o644", "0o755"), p


def test_no_reference_solution_text_in_any_file(handout):
    """Does any handout file hold a line of the solution of a few reference functions, or a BEGIN SOLUTION body?"""
    project, done = handout
    texts = {rel: (done.out / rel).read_text(errors="replace") for rel in done.files if not rel.endswith(".npz")}
    reference = project / "reference"
    # what students may see: every reference line outside the solution regions
    public = {line for p in reference.rglob("*.py") for line in split_regions(p)[1]}
    checked = 0
    for rel, func in WATCHED:
        regions = split_regions(reference / rel)[0]
        assert func in regions, f"{rel} has no solution region in {func}: update WATCHED"
        for line in regions[func]:
            if len(line) < 20 or any(line in p for p in public):
                continue  # too short, or also outside the regions: proves nothing
            for name, body in texts.items():
                assert line not in body, f"{name} holds {func}'s solution line {line!r}"
            checked += 1
    assert checked >= 10, "too few distinctive solution lines to make the test meaningful"
    for name, body in texts.items():
        if name.startswith("student/"):  # no marker line: every region was replaced by its stub
            assert not {"# BEGIN SOLUTION", "# END SOLUTION"} & {ln.strip() for ln in body.splitlines()}, name


def test_student_tree_equals_the_generated_stubs(handout):
    """Is the handout's student/ exactly the project's student/, i.e. what `stubs` makes from reference/?"""
    project, done = handout
    assert stubs.diff_trees(project / "student", done.out / "student") == []
    assert stubs.check_student_tree(project / "reference", done.out / "student") == []
    for rel in done.files:
        if rel.startswith(("student/", "grader/", "notebooks/")) or ("/" not in rel and rel not in release.GENERATED):
            assert filecmp.cmp(project / rel, done.out / rel, shallow=False), rel


def _check_in(handout_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "A2KIT_ROOT")}
    env["PYTHONPATH"] = str(handout_dir)
    return subprocess.run(
        [sys.executable, "-m", "grader", "check", "--json", *args],
        cwd=handout_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_runs_in_the_handout_and_gives_zeros_on_the_stubs(handout):
    """Without reference/ and wrong_answers/, does `check` run on the stubs, score 0 and crash nowhere?"""
    _, done = handout
    assert not (done.out / "reference").exists() and not (done.out / "grader" / "wrong_answers").exists()
    proc = _check_in(done.out)
    assert proc.returncode == 1, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    checks = [c for q in data["questions"] for c in q["checks"]]
    assert len(checks) >= 40 and data["total"] == 0
    assert {c["status"] for c in checks} == {"not implemented"}, {
        c["id"]: c["status"] for c in checks if c["status"] != "not implemented"
    }
    assert "Traceback" not in proc.stderr


def test_check_in_the_handout_gives_full_marks_and_diagnoses_without_wrong_answers(handout, tmp_path):
    """Does the handout's grader pass a complete student tree, and still diagnose a known bug from the public
    fixtures?
    """
    project, done = handout
    work = tmp_path / "handout"
    shutil.copytree(done.out, work)
    shutil.rmtree(work / "student")
    shutil.copytree(project / "reference", work / "student", ignore=ARTEFACTS)
    proc = _check_in(work, *gradable_rubric().question_ids)  # Q5 only where torch is installed
    data = json.loads(proc.stdout)
    statuses = {c["id"]: c["status"] for q in data["questions"] for c in q["checks"]}
    assert set(statuses.values()) == {"pass"}, {k: v for k, v in statuses.items() if v != "pass"}
    assert proc.returncode == 0 and data["total"] == sum(q["max_points"] for q in data["questions"]) > 0
    layers = work / "student" / "layers.py"
    text = layers.read_text()
    assert text.count("db = dout.sum(axis=0)") == 1
    layers.write_text(text.replace("db = dout.sum(axis=0)", "db = dout.mean(axis=0)"))
    proc = _check_in(work, "q1")
    checks = {c["id"]: c for q in json.loads(proc.stdout)["questions"] for c in q["checks"]}
    assert checks["affine_backward"]["status"] == "fail" and checks["affine_forward"]["status"] == "pass"
    assert "likely" in checks["affine_backward"]["message"], checks["affine_backward"]["message"]


def test_a_reference_file_hidden_in_the_notebooks_refuses_the_release(tmp_path):
    """Is a copy of reference code anywhere in the handout caught before anything is written?"""
    project = make_project(tmp_path / "project")
    shutil.copyfile(project / "reference" / "optim.py", project / "notebooks" / "helpers.py")
    with pytest.raises(release.ReleaseError, match=r"reference code found in the handout: notebooks/helpers.py"):
        release.release(tmp_path / "out", root=project)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["project"]  # no temporary folder left behind


def test_a_stale_student_tree_refuses_the_release(tmp_path):
    project = make_project(tmp_path / "project")
    with open(project / "reference" / "optim.py", "a") as fh:
        fh.write("\n# a change after the stubs were generated\n")
    with pytest.raises(release.ReleaseError, match="stale"):
        release.release(tmp_path / "out", root=project)


def test_out_inside_the_project_or_not_empty_is_refused_unless_forced(handout, tmp_path, capsys):
    project, _ = handout
    for inside in (project / "handout", project, project.parent):
        assert cli.main(["release", "--out", str(inside), "--root", str(project)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and str(inside) in err, err
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    assert cli.main(["release", "--out", str(out), "--root", str(project)]) == 2
    assert "not empty" in capsys.readouterr().err and (out / "old.txt").exists()
    assert cli.main(["release", "--out", str(out), "--root", str(project), "--force"]) == 0
    assert "wrote the handout" in capsys.readouterr().out
    assert not (out / "old.txt").exists() and (out / "student" / "layers.py").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old folder left behind
    (tmp_path / "file").write_text("x")
    assert cli.main(["release", "--out", str(tmp_path / "file"), "--root", str(project)]) == 2


def test_the_handout_readme_is_a_students(handout):
    """Is the handout's README the student one: set-up, check, collect, statuses, diagnoses; no grading, secrets,
    mutants?
    """
    from grader import rubric
    from grader.handout import student_readme

    project, done = handout
    text = (done.out / "README.md").read_text()
    assert text == student_readme(rubric.load(project / "rubric.yaml"), "en")
    assert "- Q1: Fully-connected networks (30 points)" in text and "(10 points, extra credit)" in text
    for needed in (
        "pip install -e .",
        "python -m grader check",
        "python -m grader collect",
        "not implemented",
        "TIMEOUT",
        "likely:",
    ):
        assert needed in text, needed
    lowered = text.lower()
    for word in ("secret", "mutant", "hidden", "grader grade", "--seed", "reference", "instructor", "../"):
        assert word not in lowered, word


def test_release_in_spanish_writes_the_spanish_readme_with_the_statements_titles(handout, tmp_path, capsys):
    """``release --lang es``: the README in Spanish, with the questions' Spanish titles and points."""
    from grader import i18n

    project, _ = handout
    out = tmp_path / "es"
    try:
        assert cli.main(["release", "--out", str(out), "--root", str(project), "--lang", "es"]) == 0
    finally:
        i18n.set_language("en")
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# Assignment 2: redes totalmente conectadas y convolucionales")
    assert "- Q1: Redes neuronales totalmente conectadas (30 puntos)" in text
    assert "- Q5: PyTorch en CIFAR-10 (10 puntos, crédito extra)" in text
    assert "python -m grader check --lang es" in text and "no implementado" in text and "{questions}" not in text
    lowered = text.lower()
    for word in ("secret", "mutant", "hidden", "grader grade", "--seed", "reference", "instructor", "../"):
        assert word not in lowered, word
    bodies = release.solution_bodies(project / "reference", project / "student")
    assert release.find_leaks(out, ["README.md"], bodies) == []


@pytest.mark.parametrize(
    "lang, title, question",
    [
        ("es", "# Práctica 2: Introducción a las redes neuronales", "- TP2_EX3: Ejercicio 3: red de dos capas sin POO"),
        ("en", "# Lab 2 (TP2): introduction to neural networks", "- TP2_EX3: "),
    ],
)
def test_release_with_the_tp2_rubric_writes_tp2_s_own_readme(handout, tmp_path, lang, title, question):
    """``release --rubric rubrics/tp2.yaml``: the lab's README (its files, notebooks, conventions and
    TP2's check and collect lines), listing the TP2 rubric's questions, in either language; nothing of
    Assignment 2's."""
    from grader import i18n

    project, _ = handout
    out = tmp_path / lang
    args = ["release", "--out", str(out), "--root", str(project), "--rubric", str(project / "rubrics" / "tp2.yaml")]
    try:
        assert cli.main([*args, "--lang", lang]) == 0
    finally:
        i18n.set_language("en")
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith(title)
    assert question in text and "- Q1:" not in text and "{questions}" not in text
    for needed in ("check --rubric rubrics/tp2.yaml", "collect --rubric rubrics/tp2.yaml", "2 (S - Y)", "x1 * x2"):
        assert needed in text, needed
    assert (out / "notebooks" / "tp2" / "XOR.ipynb").is_file() and (out / "student" / "tp2_ex3.py").is_file()


def test_release_with_a_missing_rubric_is_one_line_naming_it(handout, tmp_path, capsys):
    project, _ = handout
    missing = tmp_path / "nope.yaml"
    assert cli.main(["release", "--out", str(tmp_path / "o"), "--root", str(project), "--rubric", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.count(str(missing)) == 1, err
    assert not (tmp_path / "o").exists()


def _one_line_body(project: Path) -> str:
    bodies = release.solution_bodies(project / "reference", project / "student")
    return next(text for text, one in bodies.values() if one and len(text) >= 12)


def test_a_one_line_solution_is_caught_in_the_readme_and_in_a_notebook(handout, tmp_path):
    """Does the leak scan cover one-line solution regions, in the README as in any other file?"""
    project, done = handout
    line = _one_line_body(project)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "README.md").write_text(f"# Hints\n\n    {line}\n")
    (tree / "clean.md").write_text("nothing here\n")
    bodies = release.solution_bodies(project / "reference", project / "student")
    assert [leak.split(":")[0] for leak in release.find_leaks(tree, ["README.md", "clean.md"], bodies)] == ["README.md"]
    assert release.find_leaks(done.out, done.files, bodies) == []  # the real handout: clean, README included
    other = make_project(tmp_path / "project")
    nb = other / "notebooks" / "Dropout.ipynb"
    data = json.loads(nb.read_text())
    data["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [line + "\n"]})
    nb.write_text(json.dumps(data))
    with pytest.raises(release.ReleaseError, match=r"notebooks/Dropout.ipynb"):
        release.release(tmp_path / "out", root=other)


def _venv(tmp_path: Path) -> tuple[str, dict]:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "A2KIT_ROOT")}
    return str(venv / "bin" / "python"), env


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("A2KIT_FRESH_VENV"), reason="pip install -e in a fresh venv takes ~35 s: A2KIT_FRESH_VENV=1"
)
def test_the_handout_quick_start_setup_exits_0(handout, tmp_path):
    """The handout README's set-up, `pip install -e .`, in a fresh venv (offline: the backend is installed here)."""
    _, done = handout
    work = tmp_path / "handout"
    shutil.copytree(done.out, work)
    py, env = _venv(tmp_path)
    setup = subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-e", "."],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr[-2000:]
    proc = subprocess.run(
        [py, "-m", "grader", "check", "q1"], cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert f"testing {work / 'student'}" in proc.stdout and "ERROR" not in proc.stdout, proc.stdout[-2000:]


def test_the_handout_quick_start_check_and_instructor_verbs_are_refused(handout, tmp_path):
    """In a copy of the handout, from a fresh venv: the Quick start's `check` scores the stubs 0 without an ERROR
    row and says it tests the handout's student/; `grade` and `fixtures` are refused in one line (no internal error)."""
    from grader.handout import STUDENT_README

    _, done = handout
    assert "pip install -e .\n" in STUDENT_README and "    python -m grader check\n" in STUDENT_README
    work = tmp_path / "handout"
    shutil.copytree(done.out, work)
    py, env = _venv(tmp_path)
    proc = subprocess.run(
        [py, "-m", "grader", "check", "--json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    data = json.loads(proc.stdout)
    statuses = {c["status"] for q in data["questions"] for c in q["checks"]}
    assert data["total"] == 0 and statuses == {"not implemented"}, statuses
    assert f"testing {work / 'student'}" in proc.stderr and "Traceback" not in proc.stderr
    for argv in (["grade", "x.zip", "--out", "o"], ["fixtures"]):
        refused = subprocess.run(
            [py, "-m", "grader", *argv], cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 2 and len(lines) == 1 and "student handout" in lines[0], refused.stderr
        assert "internal error" not in refused.stderr
