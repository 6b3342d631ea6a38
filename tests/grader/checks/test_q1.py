"""Do correct alternatives of Q1 score full marks?

A correct solution written differently from the reference (loops instead of
vectorised code, in-place updates, another way to draw a dropout mask) must
pass every check. Each alternative (tests/mutants/q1.py ``ALTERNATIVES``) is a set
of textual edits of the reference, built like a mutant (``tests.mutants``), that
must lose nothing on Q1 and Q3.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from grader import check
from grader.checks import registry
from grader.checks.base import Impl
from tests.mutants import build_alternative
from tests.mutants.q1 import ALTERNATIVES

QUESTIONS = ("q1", "q3")


@pytest.mark.parametrize("alt", ALTERNATIVES, ids=[a.name for a in ALTERNATIVES])
def test_correct_alternative_scores_full_marks(alt, tmp_path):
    """Does a correct solution written differently from the reference pass every check of Q1 and Q3?"""
    build_alternative(alt, tmp_path)
    results = check.run(list(QUESTIONS), implementation="mutant", root=tmp_path)
    failures = [(c.check_id, c.status.value, c.message) for q in results for c in q.checks if not c.passed]
    assert not failures


def _adam_variant(order: str):
    """An Adam step function in the given order: the reference's, the paper's efficient one, or epsilon in the root."""

    def adam(w, dw, config):
        b1, b2, lr, eps = (config[k] for k in ("beta1", "beta2", "learning_rate", "epsilon"))
        t = config.get("t", 0) + 1
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
        if order == "efficient":
            next_w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        elif order == "eps_in_root":
            next_w = w - lr * (m / (1 - b1**t)) / np.sqrt(v / (1 - b2**t) + eps)
        else:
            next_w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        config.update(t=t, m=m, v=v)
        return next_w, config

    return types.SimpleNamespace(optim=types.SimpleNamespace(adam=adam))


def test_adam_in_the_paper_s_efficient_order_passes_every_hidden_case():
    """Kingma & Ba's efficient Adam (epsilon on the uncorrected root): full marks on 60 hidden cases, where
    epsilon placed inside the root fails most of them?"""
    chk = registry.get("adam")
    ref = Impl("reference")
    failed = {"reference": 0, "efficient": 0, "eps_in_root": 0}
    for seed in range(60):
        case = chk.make_case(np.random.default_rng(seed), True)
        expected = chk.run(ref, case)
        for order in failed:
            got = chk.run(_adam_variant(order), case)
            failed[order] += not chk.compare(got, expected, case, chk.tolerance).passed
    assert failed["reference"] == 0 and failed["efficient"] == 0
    assert failed["eps_in_root"] >= 30, failed


@pytest.fixture(scope="module")
def lab():
    """One lab for the module: the hidden fixtures of its secrets are computed once."""
    from tests.mutants.escape import Lab

    return Lab()


@pytest.mark.parametrize("eps, fair", [(1e-8, True), (1e-12, True), (1e-4, False)])
def test_softmax_with_an_epsilon_inside_the_log_keeps_its_points_unless_it_is_large(lab, eps, fair):
    """-mean(log(p_y + 1e-8)) is a safety idiom of real work in every edition (one public 2021 solution lost
    softmax_loss and its stability check to it, at relative errors of 2e-8 and 8e-8): do both checks accept the
    usual epsilons on the public case and every hidden draw, and still refuse one that moves the loss (1e-4)?"""
    from tests.mutants import Mutant
    from tests.mutants.q1 import SOFTMAX_BODY

    body = f"""\
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y] + {eps!r}))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
"""
    impl = lab.impl(Mutant(f"softmax log(p + {eps})", "layers.py", SOFTMAX_BODY, body, breaks=()))
    for check_id in ("softmax_loss", "softmax_loss_stability"):
        verdicts = {lab.passes(impl, check_id, secret, 3) for secret in ("s1", "s2", "s3")}
        if fair:
            assert verdicts == {True}, check_id
        elif check_id == "softmax_loss":
            assert verdicts == {False}, check_id
