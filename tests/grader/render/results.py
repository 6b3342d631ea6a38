"""Fixed plain inputs for the renderer tests: check results and results.json data, no grading run.

Everything a rendering shows is written out here (no clock, no version, no path), so the
golden files under golden/ change only when a renderer does.
"""

from __future__ import annotations

from grader.checks.q5 import NO_TORCH
from grader.results import CheckResult, QuestionResult, Status


def _c(check_id: str, question: str, status: Status, points: float, max_points: float, **kw) -> CheckResult:
    return CheckResult(check_id, question, check_id.replace("_", " "), status, points, max_points, **kw)


#: One question per kind of row: all passed; every failing status; extra credit; Q5 skipped for a missing torch.
RESULTS: tuple[QuestionResult, ...] = (
    QuestionResult(
        "q1",
        "Fully-connected nets",
        10.0,
        False,
        (
            _c("affine_forward", "q1", Status.PASS, 2.0, 2.0, error=3.2e-10, tolerance=1e-7, seconds=0.01),
            _c(
                "affine_backward",
                "q1",
                Status.FAIL,
                0.0,
                3.0,
                error=0.5,
                tolerance=1e-7,
                message="likely: db is the mean over the batch, not the sum (db: 3 of 3 elements differ)",
                seconds=0.02,
            ),
            _c(
                "relu_forward",
                "q1",
                Status.NOT_IMPLEMENTED,
                0.0,
                1.5,
                tolerance=1e-7,
                message="relu_forward not implemented yet (layers.py)",
                location="layers.py:80",
            ),
            _c(
                "relu_backward",
                "q1",
                Status.ERROR,
                0.0,
                1.5,
                message="the worker died (signal 9) <script>alert(1)</script> & more",
            ),
            _c("svm_loss", "q1", Status.TIMEOUT, 0.0, 2.0, tolerance=1e-6, message="took longer than 20 s"),
        ),
    ),
    QuestionResult(
        "q3",
        "Dropout",
        4.0,
        False,
        (
            _c("dropout_forward_train", "q3", Status.PASS, 2.0, 2.0, error=0.0, tolerance=0.05),
            _c(
                "dropout_backward",
                "q3",
                Status.FAIL,
                0.0,
                2.0,
                error=float("inf"),
                tolerance=1e-7,
                message="raised ValueError: " + "operands could not be broadcast together " * 4,
                location="layers.py:412",
            ),
        ),
    ),
    QuestionResult(
        "q4",
        "Convolutional nets",
        3.0,
        True,
        (_c("conv_forward_naive", "q4", Status.PASS, 1.5, 3.0, error=1.0e-9, tolerance=1e-7),),
    ),
    QuestionResult(
        "q5",
        "PyTorch",
        5.0,
        True,
        (
            _c("torch_flatten", "q5", Status.NOT_IMPLEMENTED, 0.0, 2.0, message=NO_TORCH),
            _c("torch_three_layer", "q5", Status.NOT_IMPLEMENTED, 0.0, 3.0, message=NO_TORCH),
        ),
    ),
)


def results_json(sid: str, status: str, seconds: float, scores: dict[str, float], failures: dict[str, str]) -> dict:
    """A results.json as ``grade`` writes it: two questions of 5 points, ``failures`` check id -> output."""
    checks = {"q1": ["affine_forward", "relu_forward"], "q2": ["batchnorm_forward"]}
    tests = []
    if status != "error":
        for q, ids in checks.items():
            for cid in ids:
                out = failures.get(cid, "passed")
                tests.append(
                    {
                        "name": f"{q} {cid}: {cid.replace('_', ' ')}",
                        "score": 0.0 if cid in failures else 5.0 / len(ids),
                        "max_score": 5.0 / len(ids),
                        "status": "failed" if cid in failures else "passed",
                        "output": out,
                        "tags": [q],
                    }
                )
    meta = {
        "submission": sid,
        "status": status,
        "scores": scores,
        "total": sum(scores.values()),
        "max_total": 10.0,
        "message": "the notebook did not run" if status == "error" else "",
        "seconds": seconds,
    }
    return {"a2kit": meta, "tests": tests, "execution_time": seconds}


#: A class of six: full marks, a named bug twice, not implemented, an error row, a partial one.
CLASS = (
    results_json("alice", "graded", 12.5, {"q1": 5.0, "q2": 5.0}, {}),
    results_json(
        "bob", "graded", 30.0, {"q1": 2.5, "q2": 5.0}, {"relu_forward": "failed\nlikely: relu keeps negatives"}
    ),
    results_json(
        "carol", "graded", 8.0, {"q1": 2.5, "q2": 5.0}, {"relu_forward": "failed\nlikely: relu keeps negatives"}
    ),
    results_json(
        "dave",
        "graded",
        3.0,
        {"q1": 0.0, "q2": 0.0},
        {
            "affine_forward": "not implemented\naffine_forward not implemented yet (layers.py)",
            "relu_forward": "not implemented\nrelu_forward not implemented yet (layers.py)",
            "batchnorm_forward": "not implemented\nbatchnorm_forward not implemented yet (layers.py)",
        },
    ),
    results_json("eve <b>", "error", 60.0, {"q1": 0.0, "q2": 0.0}, {}),
    results_json("frank", "partial", 20.0, {"q1": 5.0, "q2": 0.0}, {"batchnorm_forward": "failed\ntook too long"}),
)
