"""A bug costs points once, where it is (issue 13, item 2; ``grader.isolation``).

Every q1-q4 mutant whose bug reaches another question's checks (its ``breaks``
span questions), and every third of the others (all with ``A2KIT_ALL_MUTANTS=1``),
is graded through ``grade`` in one batch beside the reference: with the
rubric's ``isolate: true`` (the default) every question but the mutant's own
scores exactly what the reference scores, and its own loses points; with
``isolate: false`` the cross-question mutants lose points elsewhere as before.
A hostile submission that prints the supplied code from the second run shows
none of it to the student.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from grader import grading, isolation
from grader import rubric as rubric_mod
from tests.grader.subjects import our_layout
from tests.mutants import ROOT, all_mutants, build_package

SECRET = "isolation"
pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


def _rubric(isolate: bool = True) -> rubric_mod.Rubric:
    full = rubric_mod.load()
    kept = tuple(q for q in full.questions if q.id != "q5")  # Q5 imports nothing from the package
    return dataclasses.replace(full, questions=kept, isolate=isolate)


QUESTION_OF = {s.id: q.id for q in _rubric().questions for s in q.checks}


def _home(mutant) -> str:
    return QUESTION_OF[mutant.breaks[0]]


def _crosses(mutant) -> bool:
    return len({QUESTION_OF[c] for c in mutant.breaks if c in QUESTION_OF}) > 1


def _selection() -> list:
    mutants = sorted(
        (m for m in all_mutants() if m.rubric is None and m.breaks and m.breaks[0] in QUESTION_OF),
        key=lambda m: m.name,
    )
    if os.environ.get("A2KIT_ALL_MUTANTS"):
        return mutants
    rest = [m for m in mutants if not _crosses(m)]
    return [m for m in mutants if _crosses(m)] + rest[::3]


MUTANTS = _selection()
HOSTILE = "prints_the_supplied_code"


def _hostile(dest: Path) -> Path:
    """batchnorm_forward wrong (a Q2 unit), and spatial_batchnorm_forward (Q4) raising with its module's tail."""
    sub = our_layout(dest, ROOT / "reference")
    layers = sub / "student" / "layers.py"
    text = layers.read_text()
    text = text.replace("var = (centered ** 2).mean(axis=0)", "var = (centered ** 2).sum(axis=0) / (N - 1)", 1)
    head = "def spatial_batchnorm_forward(x, gamma, beta, bn_param):\n"
    assert head in text and "var = (centered ** 2).sum(axis=0)" in text
    leak = (
        "    import sys as _sys\n"
        "    _src = open(_sys.modules[__name__].__file__).read()\n"
        "    raise ValueError(_src[-3000:])\n"
    )
    text = text.replace(head, head + leak, 1)
    layers.write_text(text)
    return sub


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("isolation")
    subs = {"correct": our_layout(base / "correct", ROOT / "reference"), HOSTILE: _hostile(base / HOSTILE)}
    for k, m in enumerate(MUTANTS):
        subs[f"m{k:03d}"] = build_package(m, base / f"m{k:03d}", package="student").parent
    out = {}
    for isolate in (True, False):
        rows = grading.grade(list(subs.values()), base / f"out-{isolate}", rubric=_rubric(isolate), seed=SECRET)
        out[isolate] = {r.submission: r for r in rows}
    return {"base": base, "rows": out}


@pytest.mark.parametrize("k", range(len(MUTANTS)), ids=[m.name for m in MUTANTS])
def test_a_bug_costs_points_only_in_its_own_question(batch, k):
    mutant, rows = MUTANTS[k], batch["rows"][True]
    good, row = rows["correct"].scores, rows[f"m{k:03d}"].scores
    home = _home(mutant)
    assert row[home] < good[home], f"{mutant.name}: not caught in {home}"
    elsewhere = {q: (v, good[q]) for q, v in row.items() if q != home and v != good[q]}
    assert not elsewhere, f"{mutant.name} (a bug of {home}) costs points in {elsewhere}"


def test_isolate_false_keeps_the_strict_behaviour(batch):
    rows = batch["rows"][False]
    good = rows["correct"].scores
    crossing = [k for k, m in enumerate(MUTANTS) if _crosses(m)]
    assert crossing, "no mutant reaches another question: the test would show nothing"
    for k in crossing:
        row = rows[f"m{k:03d}"].scores
        home = _home(MUTANTS[k])
        assert any(v < good[q] for q, v in row.items() if q != home), MUTANTS[k].name


def test_the_report_says_which_checks_were_graded_with_working_functions(batch):
    k = next(k for k, m in enumerate(MUTANTS) if m.name == "affine_backward db averaged instead of summed")
    sid = f"m{k:03d}"
    data = json.loads((batch["base"] / "out-True" / sid / "results.json").read_text())
    passed = [t for t in data["tests"] if "passed when graded with a working affine_backward" in t["output"]]
    assert passed and all("so that bug is counted once, in q1" in t["output"] for t in passed)
    assert all(t["score"] == t["max_score"] for t in passed)
    report = (batch["base"] / "out-True" / sid / "report.html").read_text()
    assert "isolate: true" in report and "bugs counted once (rubric isolate: true)" in report
    strict = (batch["base"] / "out-False" / sid / "report.html").read_text()
    assert "isolate: false" in strict and "passed when graded with a working" not in strict


def test_nothing_of_the_supplied_code_reaches_the_student(batch):
    rows = batch["rows"][True]
    good = rows["correct"].scores
    assert rows[HOSTILE].scores["q4"] < good["q4"]  # spatial batchnorm raises in both runs
    for name in ("report.html", "results.json"):
        text = (batch["base"] / "out-True" / HOSTILE / name).read_text()
        assert isolation.MARK not in text and isolation.PREFIX not in text, name
    # the instructor's log may hold it: the second run's output goes there
    assert (batch["base"] / "out-True" / HOSTILE / "worker.log").is_file()
