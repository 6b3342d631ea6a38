"""A TP2 submission written against the lab statement's interfaces scores full marks; its real bugs lose points.

``tp2_lab_submission/`` holds exercise 3-4 (functions, the lab's slides' bias-row convention)
and regularizers with only the lab's ``__call__`` and ``gradient``, written for these tests
independently of reference/. Each bug below is one a TP2 student makes, as a textual edit of
that submission; it must fail the check named, and the submission must still import.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import check
from grader import rubric as rubric_mod
from grader.paths import project_root

ROOT = project_root()
SUBMISSION = Path(__file__).parent / "tp2_lab_submission"
FILES = {"tp2_ex3.py": "tp2_ex3.py", "regularizers.py": "network/regularizers.py"}

#: (bug, file, the submission's text, the buggy text, the check that must fail)
BUGS = [
    (
        "L2 gradient returned as a scalar",
        "regularizers.py",
        "return self.lam * W",
        "return self.lam * np.sum(W)",
        "tp2_l2",
    ),
    (
        "L1 gradient without the sign",
        "regularizers.py",
        "return self.lam * np.sign(W)",
        "return self.lam * W",
        "tp2_l1",
    ),
    (
        "L2 penalty without the 1/2 of its gradient",
        "regularizers.py",
        "return 0.5 * self.lam * np.sum(W ** 2)",
        "return self.lam * np.sum(W ** 2)",
        "tp2_l2",
    ),
    (
        "regularizer on the last layer only",
        "tp2_ex3.py",
        "return value, gradW1 + reg * W1, gradW2 + reg * W2",
        "return value, gradW1, gradW2 + reg * W2",
        "tp2_ex3_loss_and_grads",
    ),
    (
        "last partial batch dropped",
        "tp2_ex3.py",
        "n_batches = int(np.ceil(len(X) / batch_size))",
        "n_batches = len(X) // batch_size",
        "tp2_ex3_epoch",
    ),
    (
        "sigmoid derivative from the wrong value (the layer's output)",
        "tp2_ex3.py",
        "grad = grad * grad_sigmoid(Y1)",
        "grad = grad * grad_sigmoid(S1[:, 1:])",
        "tp2_ex3_backward",
    ),
    (
        "grad_mse without the 2",
        "tp2_ex3.py",
        "return 2.0 * (scores - Y) / len(scores)",
        "return (scores - Y) / len(scores)",
        "tp2_ex3_mse",
    ),
    (
        "MSE as the mean over every element",
        "tp2_ex3.py",
        "return ((scores - Y) ** 2).sum(axis=1).mean()",
        "return ((scores - Y) ** 2).mean()",
        "tp2_ex3_mse",
    ),
    (
        "accuracy against the one-hot rows themselves",
        "tp2_ex3.py",
        "    if y.ndim == 2:\n        y = y.argmax(axis=1)\n",
        "",
        "tp2_ex3_accuracy",
    ),
    (
        "L2 penalty without its 0.5 while its gradient is lam * W",
        "regularizers.py",
        "return 0.5 * self.lam * np.sum(W ** 2)",
        "return self.lam * np.sum(W ** 2)",
        "tp2_l2",
    ),
    (
        "grad_softmax divided by every element (N * C), not by the batch",
        "tp2_ex3.py",
        "return (e / e.sum(axis=1)[:, None] - Y) / len(scores)",
        "return (e / e.sum(axis=1)[:, None] - Y) / scores.size",
        "tp2_ex4_softmax",
    ),
    (
        "bias column dropped from the wrong end",
        "tp2_ex3.py",
        "grad = grad[:, 1:]",
        "grad = grad[:, :-1]",
        "tp2_ex3_backward",
    ),
    ("weights updated up the gradient", "tp2_ex3.py", "W1 -= lr * gradW1", "W1 += lr * gradW1", "tp2_ex3_epoch"),
]


@pytest.fixture(scope="module")
def rub():
    return rubric_mod.load(ROOT / "rubrics" / "tp2.yaml")


def _package(tmp: Path, bug=None) -> Path:
    target = tmp / "labsub"
    shutil.copytree(ROOT / "reference", target, ignore=shutil.ignore_patterns("__pycache__", "*.c"))
    for name, dest in FILES.items():
        text = (SUBMISSION / name).read_text()
        if bug is not None and bug[1] == name:
            assert text.count(bug[2]) == 1, f"{bug[0]}: the text to replace must occur once in {name}"
            text = text.replace(bug[2], bug[3])
        (target / dest).write_text(text)
    return tmp


def test_the_lab_style_submission_scores_full_marks(tmp_path, rub):
    results = check.run(implementation="labsub", root=_package(tmp_path), rubric=rub)
    failed = [(c.check_id, c.message) for q in results for c in q.checks if not c.passed]
    assert not failed
    assert sum(q.points for q in results) == rub.max_total


#: The course's own convention, not a bug (grader.checks.conventions): the gradients of the losses summed over
#: the batch, 2 (S - Y) and softmax(S) - Y, as the exercise-3 solution slides write them.
COURSE = [
    ("tp2_ex3.py", "return 2.0 * (scores - Y) / len(scores)", "return 2.0 * (scores - Y)"),
    ("tp2_ex3.py", "return (e / e.sum(axis=1)[:, None] - Y) / len(scores)", "return e / e.sum(axis=1)[:, None] - Y"),
]


def test_the_course_s_unaveraged_gradients_score_full_marks(tmp_path, rub):
    """grad_mse = 2 (S - Y) and grad_softmax = softmax - Y (no 1 / N, the course's slides): full marks."""
    root = _package(tmp_path)
    path = root / "labsub" / "tp2_ex3.py"
    text = path.read_text()
    for _, old, new in COURSE:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)
    results = check.run(implementation="labsub", root=root, rubric=rub)
    failed = [(c.check_id, c.message) for q in results for c in q.checks if not c.passed]
    assert not failed
    assert sum(q.points for q in results) == rub.max_total


@pytest.mark.parametrize("bug", BUGS, ids=[b[0] for b in BUGS])
def test_each_real_tp2_bug_loses_points_on_its_check(tmp_path, rub, bug):
    results = check.run(implementation="labsub", root=_package(tmp_path, bug), rubric=rub)
    by_id = {c.check_id: c for q in results for c in q.checks}
    assert not by_id[bug[4]].passed, f"{bug[0]}: {bug[4]} passed"
    assert sum(q.points for q in results) < rub.max_total
