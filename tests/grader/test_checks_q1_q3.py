"""The checks of Q1 and Q3: their declarations, their cases, and correct alternatives that must score full marks.

A correct solution written differently from the reference (loops instead of
vectorised code, in-place updates, another way to draw a dropout mask) must
pass every check. Each alternative is a set of textual edits of the
reference, built like a mutant (``tests.mutants``), that must lose nothing.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from grader import check, fixtures
from grader.checks import registry
from grader.checks.base import Impl
from tests.mutants import Mutant, build_package

QUESTIONS = ("q1", "q3")
CHECKS = [c for q in QUESTIONS for c in registry.for_question(q)]
IDS = [c.id for c in CHECKS]


# ---------------------------------------------------------------------------
# Declarations and cases
# ---------------------------------------------------------------------------


def test_ids_are_snake_case_and_tolerances_positive():
    """Is every Q1/Q3 check id snake_case, with a positive tolerance and a title?"""
    for c in CHECKS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert c.tolerance > 0 and c.title


def test_the_rubric_gives_q1_30_points_and_q3_10():
    from grader import rubric

    r = rubric.load()
    assert r.question("q1").points == 30
    assert r.question("q3").points == 10
    assert {s.id for q in QUESTIONS for s in r.question(q).checks} == set(IDS)


@pytest.mark.parametrize("c", CHECKS, ids=IDS)
def test_public_case_is_deterministic_and_hidden_cases_differ(c):
    """Is the public case the same at every draw, and do hidden cases use other inputs?"""
    a, b = fixtures.case_for(c), fixtures.case_for(c)
    assert a.params == b.params and all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    for salt in ("s1", "s2", "s3"):
        h = fixtures.case_for(c, salt, hidden=True)
        differs = (
            h.params != a.params
            or set(h.arrays) != set(a.arrays)
            or any(h.arrays[k].shape != a.arrays[k].shape for k in a.arrays)
        )
        if differs:
            return
    pytest.fail(f"{c.id}: three hidden cases have the public case's shapes and parameters")


@pytest.mark.parametrize("c", CHECKS, ids=IDS)
def test_run_leaves_the_case_intact_and_is_reproducible(c):
    """Does run() work on copies of its inputs, and give the same outputs twice (seeded randomness)?"""
    case = fixtures.case_for(c)
    before = {k: v.copy() for k, v in case.arrays.items()}
    ref = Impl("reference")
    first = c.run(ref, case)
    second = c.run(ref, case)
    for k, v in before.items():
        assert np.array_equal(case.arrays[k], v), f"{c.id} altered its input {k}"
    assert set(first) == set(second)
    for k in first:
        assert np.array_equal(first[k], second[k]), f"{c.id}: output {k} differs between two runs"


# ---------------------------------------------------------------------------
# Correct alternatives
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Alternative:
    name: str
    edits: tuple[tuple[str, str, str], ...]  # (file, reference text occurring once, replacement)


SOFTMAX_BODY = """\
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
"""

SVM_BODY = """\
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / N
    positive = margins > 0
    dx = positive.astype(x.dtype)
    dx[rows, y] -= positive.sum(axis=1)
    dx /= N
"""

DROPOUT_MASK = "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)"

ALTERNATIVES = [
    Alternative(
        "loop-based softmax and svm",
        (
            (
                "layers.py",
                SOFTMAX_BODY,
                """\
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        row = x[i] - np.max(x[i])
        exp_row = np.exp(row)
        total = np.sum(exp_row)
        loss += np.log(total) - row[y[i]]
        for j in range(C):
            dx[i, j] = exp_row[j] / total
        dx[i, y[i]] -= 1
    loss /= N
    dx /= N
""",
            ),
            (
                "layers.py",
                SVM_BODY,
                """\
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    loss /= N
    dx /= N
""",
            ),
        ),
    ),
    Alternative(
        "softmax as the log of shifted probabilities (cs231n's usual solution)",
        (
            (
                "layers.py",
                SOFTMAX_BODY,
                """\
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
""",
            ),
        ),
    ),
    Alternative(
        "relu written with a product and np.where (x >= 0)",
        (
            ("layers.py", "out = np.maximum(x, 0)", "out = x * (x > 0)"),
            ("layers.py", "dx = dout * (x > 0)", "dx = np.where(x >= 0, dout, 0.0)"),
        ),
    ),
    Alternative(
        "in-place sgd_momentum and adam, copying rmsprop",
        (
            (
                "optim.py",
                'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
                'v *= config["momentum"]\n    v -= config["learning_rate"] * dw\n    w += v\n    next_w = w',
            ),
            (
                "optim.py",
                'next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])',
                'w -= config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])\n    next_w = w',
            ),
            (
                "optim.py",
                'next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
                'next_w = np.copy(w)\n    next_w -= config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
            ),
        ),
    ),
    Alternative(
        "FullyConnectedNet creating its parameters directly in dtype",
        (
            (
                "classifiers/fc_net.py",
                'self.params["W%d" % i] = weight_scale * np.random.randn(d_in, d_out)\n'
                '            self.params["b%d" % i] = np.zeros(d_out)',
                'self.params["W%d" % i] = (weight_scale * np.random.randn(d_in, d_out)).astype(dtype)\n'
                '            self.params["b%d" % i] = np.zeros(d_out, dtype=dtype)',
            ),
        ),
    ),
    Alternative(
        "TwoLayerNet with separate affine and relu layers",
        (
            (
                "classifiers/fc_net.py",
                "hidden, hidden_cache = affine_relu_forward(X, W1, b1)",
                "pre, pre_cache = affine_forward(X, W1, b1)\n        hidden, relu_cache = relu_forward(pre)",
            ),
            (
                "classifiers/fc_net.py",
                "_, dW1, db1 = affine_relu_backward(dhidden, hidden_cache)",
                "dpre = relu_backward(dhidden, relu_cache)\n        _, dW1, db1 = affine_backward(dpre, pre_cache)",
            ),
        ),
    ),
    Alternative(
        "dropout mask from np.random.random (the same draws)",
        (("layers.py", DROPOUT_MASK, "mask = ((np.random.random(x.shape) < p) / p).astype(x.dtype, copy=False)"),),
    ),
    Alternative(
        "dropout mask from np.random.binomial (other draws)",
        (
            (
                "layers.py",
                DROPOUT_MASK,
                "mask = (np.random.binomial(1, p, size=x.shape) / p).astype(x.dtype, copy=False)",
            ),
        ),
    ),
    Alternative(
        "dropout mask rand > 1 - p (another mask)",
        (("layers.py", DROPOUT_MASK, "mask = ((np.random.rand(*x.shape) > 1 - p) / p).astype(x.dtype, copy=False)"),),
    ),
    Alternative(
        "dropout caching the unscaled mask and dividing by p in both passes",
        (
            (
                "layers.py",
                DROPOUT_MASK + "\n        out = x * mask",
                "mask = np.random.rand(*x.shape) < p\n        out = x * mask / p",
            ),
            ("layers.py", "dx = dout * mask", "dx = dout * mask / dropout_param['p']"),
        ),
    ),
]


def build_alternative(alt: Alternative, dest: Path) -> None:
    """Copy reference/ to dest/mutant and apply every edit (each must match exactly once)."""
    (file, old, new), *rest = alt.edits
    target = build_package(Mutant(alt.name, file, old, new, breaks=()), dest)
    for file, old, new in rest:
        path = target / file
        text = path.read_text()
        assert text.count(old) == 1, f"{alt.name}: the text to replace occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new))


@pytest.mark.parametrize("alt", ALTERNATIVES, ids=[a.name for a in ALTERNATIVES])
def test_correct_alternative_scores_full_marks(alt, tmp_path):
    """Does a correct solution written differently from the reference pass every check of Q1 and Q3?"""
    build_alternative(alt, tmp_path)
    results = check.run(list(QUESTIONS), implementation="mutant", root=tmp_path)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures
