"""The TP2 checks and rubric: full marks for the reference, zero for the stubs, hidden variants, grade and collect."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from grader import check, collect, fixtures, grading, scoring
from grader import rubric as rubric_mod
from grader.checks import registry, tp2
from grader.checks.base import Impl
from grader.paths import project_root
from grader.results import Status
from tests.mutants import build_alternative
from tests.mutants.tp2 import ALTERNATIVES as TP2_ALTERNATIVES

ROOT = project_root()
RUBRIC = ROOT / "rubrics" / "tp2.yaml"
TP2_IDS = [c.id for c in tp2.CHECKS]


@pytest.fixture(scope="module")
def rub():
    return rubric_mod.load(RUBRIC)


def test_the_rubric_lists_every_tp2_check_and_the_default_rubric_none(rub):
    assert sorted(s.id for q in rub.questions for s in q.checks) == sorted(TP2_IDS)
    assert rub.question_ids == [
        "tp2_ex1",
        "tp2_ex2",
        "tp2_ex3",
        "tp2_ex4",
        "tp2_activations",
        "tp2_layers",
        "tp2_training",
        "tp2_ex5_ex8",
        "tp2_xor",
    ]
    default = rubric_mod.load()
    assert not [s.id for q in default.questions for s in q.checks if s.id.startswith("tp2_")]
    assert set(TP2_IDS) <= set(registry.all_checks())


def test_reference_scores_full_marks_under_the_tp2_rubric(rub):
    results = check.run(implementation="reference", rubric=rub)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
    assert sum(q.points for q in results) == rub.max_total == 100


def test_stubs_score_zero_and_every_check_says_not_implemented(rub):
    results = check.run(implementation="student", root=ROOT, rubric=rub)
    for q in results:
        assert q.points == 0
        for c in q.checks:
            assert c.status is Status.NOT_IMPLEMENTED, (c.check_id, c.status, c.message)


def test_public_fixtures_hold_the_exercise_numbers():
    """Do the public expected values of exercises 1 and 2 round to the lab's published numbers?"""
    fx = fixtures.load()
    sig, tanh = fx["tp2_ex1_sigmoid"].expected, fx["tp2_ex1_tanh"].expected
    np.testing.assert_allclose([sig["f"], sig["df_db"]], [0.666, 0.222], atol=5e-4)
    np.testing.assert_allclose(sig["df_dw"], [0.623, -0.400], atol=5e-4)
    np.testing.assert_allclose([tanh["f"], tanh["df_db"]], [0.598, 0.642], atol=5e-4)
    for name in ("tp2_ex1_elu", "tp2_ex1_leaky_relu"):
        e = fx[name].expected
        np.testing.assert_allclose([e["f"], e["df_db"]], [0.690, 1.0], atol=5e-4)
    ex2 = fx["tp2_ex2_forward"].expected
    np.testing.assert_allclose(ex2["z"], [-0.380, 0.100], atol=5e-4)
    np.testing.assert_allclose(ex2["a"], [0.406, 0.525], atol=5e-4)
    # the course's MSE (sum over the two outputs, one example), target (0, 0)
    assert float(ex2["loss"]) == pytest.approx(0.441, abs=5e-4)


@pytest.mark.parametrize("check_id", TP2_IDS)
def test_hidden_cases_differ_from_the_public_one_and_the_reference_passes_them(check_id):
    c = registry.get(check_id)
    ref = Impl("reference")
    public = fixtures.case_for(c)
    differs = 0
    for salt in ("s1", "s2", "s3"):
        case = fixtures.case_for(c, salt=salt, hidden=True)
        expected = c.run(ref, case)
        assert c.compare(expected, expected, case, c.tolerance).passed
        same = set(case.arrays) == set(public.arrays) and all(
            case.arrays[k].shape == public.arrays[k].shape and np.array_equal(case.arrays[k], public.arrays[k])
            for k in case.arrays
        )
        differs += not (same and dict(case.params) == dict(public.params))
    assert differs == 3


def test_trusted_trainer_agrees_with_the_reference_fit():
    """The XOR cases' oracle (numpy, in the check module) and the reference's fit end at the same weights."""
    c = registry.get("tp2_xor_b")
    case = fixtures.case_for(c)
    got = c.run(Impl("reference"), case)
    params = {k: case[k] for k in case.arrays if k.startswith("p")}
    mine = tp2.trusted_train(params, case["spec"], case["X"], case["y"], case["lr"], case["epochs"])
    for k, v in mine.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-7, atol=1e-10)


def test_accuracy_comparator_fails_on_the_untrained_initialisation():
    c = registry.get("tp2_xor_a")
    case = fixtures.case_for(c)
    untrained = {k: case[k] for k in case.arrays if k.startswith("p")}
    m = c.compare(untrained, untrained, case, 1.0)
    assert not m.passed and "accuracy" in m.detail


@pytest.mark.parametrize(
    "orders, message",
    [
        ([list(range(23))] * 3, "original order"),
        ([[1, 0] + list(range(2, 23))] * 3, "same order"),
        ([[0] * 23] * 3, "exactly once"),
    ],
)
def test_batches_comparator_rejects_unshuffled_repeated_or_lossy_orders(orders, message):
    c = registry.get("tp2_bgd_batches")
    case = fixtures.case_for(c)
    got = {}
    for i, order in enumerate(orders):
        got[f"order{i}"] = np.array(order)
        got[f"sizes{i}"] = np.array([5, 5, 5, 5, 3])
    m = c.compare(got, {}, case, 1.0)
    assert not m.passed and message in m.detail


def test_grade_with_the_tp2_rubric_gives_the_reference_full_marks(tmp_path, rub):
    sub = tmp_path / "subs" / "alice"
    shutil.copytree(ROOT / "reference", sub / "student", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    rows = grading.grade([sub], tmp_path / "out", rubric=rub, seed="tp2-secret")
    assert [r.status for r in rows] == ["graded"]
    with open(tmp_path / "out" / "gradebook.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["submission", "status", *rub.question_ids, "total", "max_total", "message"]
    row = dict(zip(table[0], table[1], strict=True))
    assert [float(row[q]) for q in rub.question_ids] == [q.points for q in rub.questions]
    assert float(row["total"]) == 100


def test_collect_with_the_tp2_rubric_requires_the_tp2_notebooks_and_network_files(tmp_path, rub):
    shutil.copytree(ROOT / "student", tmp_path / "student", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    (tmp_path / "student" / "network" / "models.py").unlink()
    problems = collect.problems(tmp_path, rub)
    assert problems == [
        "student/network/models.py: missing (a student file; restore it from the handout)",
        "notebooks/tp2/ComputationalGraphs.ipynb: missing (required by tp2_ex1)",
        "notebooks/tp2/TwoLayerCIFAR.ipynb: missing (required by tp2_ex3)",
        "notebooks/tp2/XOR.ipynb: missing (required by tp2_xor)",
    ]


@pytest.mark.parametrize("alt", TP2_ALTERNATIVES, ids=[a.name for a in TP2_ALTERNATIVES])
def test_the_course_s_gradient_convention_scores_full_marks_with_a_note(alt, tmp_path, rub):
    """The course's 2 (S - Y) (the gradient of the loss summed over the batch, the exercise-3 solution slides):
    full marks, and the checks it reaches say which convention they graded it under."""
    build_alternative(alt, tmp_path)
    results = check.run(implementation="mutant", root=tmp_path, rubric=rub)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
    noted = [c.check_id for q in results for c in q.checks if "2 (S - Y)" in (c.message or "")]
    assert noted, "no check said it graded the course's convention"
    assert all(registry.get(cid).conventions for cid in noted)


def test_a_gradient_under_neither_convention_still_fails():
    """Accepting the course's convention beside the mean's leaves a third scale wrong: N * C (np.mean)."""
    chk = registry.get("tp2_ex3_mse")
    fx = fixtures.load()["tp2_ex3_mse"]
    got = {k: np.array(v, copy=True) for k, v in fx.expected.items()}
    S, Y = fx.case["scores"], fx.case["Y"]
    got["dscores"] = 2 * (S - Y) / S.size
    assert fx.variants["batch_sum"]["dscores"] == pytest.approx(2 * (S - Y))
    assert not scoring.passes_case(chk, fx, got, chk.tolerance)
    got["dscores"] = 2 * (S - Y)
    assert scoring.passes_case(chk, fx, got, chk.tolerance)


def test_the_narrow_parity_failure_names_the_training_not_a_comparison_error():
    """A wrong trajectory fails with the trainer's message (it once read Measure.message and said 'could not be
    compared')."""
    chk = registry.get("tp2_parity_narrow")
    fx = fixtures.load()["tp2_parity_narrow"]
    got = {k: np.asarray(v) * 1.01 for k, v in tp2._narrow_expected(fx.case).items()}
    measure = chk.compare(got, fx.expected, fx.case, chk.tolerance)
    assert not measure.passed and "tras 20 épocas" in measure.detail and "after 20 full-batch epochs" in measure.detail
