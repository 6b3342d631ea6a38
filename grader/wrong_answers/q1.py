"""Wrong answers of Q1 checks.

Each producer computes, with numpy and from the check's case alone (or from
the expected outputs where the bug is a known transform of them), what the
buggy code returns. The case layouts are those of ``grader.checks.q1``.
"""
from __future__ import annotations

import re

import numpy as np

from ..checks.base import Arrays, Case
from ..i18n import N_
from ._registry import wrong_answer

_WEIGHT = re.compile(r"W\d+")
_BIAS = re.compile(r"b\d+")


# ---------------------------------------------------------------------------
# Affine and ReLU
# ---------------------------------------------------------------------------


@wrong_answer("affine_no_reshape_bias_twice", N_("the bias is added twice"))
def _affine_bias_twice(case: Case, expected: Arrays) -> Arrays:
    return {"out": expected["out"] + case["b"]}


@wrong_answer("affine_db_mean", N_("db is the mean over the batch instead of the sum"))
def _affine_db_mean(case: Case, expected: Arrays) -> Arrays:
    return {"db": expected["db"] / case["dout"].shape[0]}


@wrong_answer("relu_backward_precedence", N_("`dout * x > 0` compares the product with 0: write dout * (x > 0)"))
def _relu_precedence(case: Case, expected: Arrays) -> Arrays:
    return {"dx": case["dout"] * case["x"] > 0}


@wrong_answer("relu_backward_no_dout", N_("dx is only the mask (x > 0): multiply it by the upstream gradient dout"))
def _relu_no_dout(case: Case, expected: Arrays) -> Arrays:
    return {"dx": (case["x"] > 0).astype(np.float64)}


# ---------------------------------------------------------------------------
# Losses (case: scores x of shape (N, C), labels y)
# ---------------------------------------------------------------------------


def _n(case: Case) -> int:
    return case["x"].shape[0]


@wrong_answer("softmax_loss_summed", N_("the loss is summed over the batch: divide the loss and dx by N"))
def _softmax_summed(case: Case, expected: Arrays) -> Arrays:
    return {"loss": expected["loss"] * _n(case), "dx": expected["dx"] * _n(case)}


@wrong_answer("softmax_dx_not_averaged", N_("dx is not divided by N (the loss is a mean over the batch)"))
def _softmax_dx_sum(case: Case, expected: Arrays) -> Arrays:
    return {"dx": expected["dx"] * _n(case)}


@wrong_answer(
    "softmax_dx_no_minus_one",
    N_("dx forgets to subtract 1 at the correct class: dx = (probs - one_hot(y)) / N"),
)
def _softmax_no_minus_one(case: Case, expected: Arrays) -> Arrays:
    x, y = case["x"], case["y"]
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return {"dx": probs / len(y)}


@wrong_answer("svm_loss_summed", N_("the loss is summed over the batch: divide the loss and dx by N"))
def _svm_summed(case: Case, expected: Arrays) -> Arrays:
    return {"loss": expected["loss"] * _n(case), "dx": expected["dx"] * _n(case)}


@wrong_answer("svm_dx_not_averaged", N_("dx is not divided by N (the loss is a mean over the batch)"))
def _svm_dx_sum(case: Case, expected: Arrays) -> Arrays:
    return {"dx": expected["dx"] * _n(case)}


@wrong_answer(
    "svm_counts_correct_class", N_("the correct class's own margin (always 1) is counted: sum over j != y_i only")
)
def _svm_correct_class(case: Case, expected: Arrays) -> Arrays:
    return {"loss": expected["loss"] + 1.0}


@wrong_answer("svm_no_margin", N_("the margin is missing: max(0, x_j - x_y + 1), with the + 1"))
def _svm_no_margin(case: Case, expected: Arrays) -> Arrays:
    x, y = case["x"], case["y"]
    n = len(y)
    rows = np.arange(n)
    margins = np.maximum(0, x - x[rows, y][:, None])
    margins[rows, y] = 0
    positive = (margins > 0).astype(np.float64)
    dx = positive.copy()
    dx[rows, y] -= positive.sum(axis=1)
    return {"loss": np.asarray(margins.sum() / n), "dx": dx / n}


# ---------------------------------------------------------------------------
# Models (case: X, y and parameters W1, b1, ... possibly under a tag "h2_";
# the outputs <tag>loss and <tag>dW1, ...; case param "reg")
# ---------------------------------------------------------------------------


def _tags(expected: Arrays) -> list[str]:
    return [k[: -len("loss")] for k in expected if k.endswith("loss")]


def _params(case: Case, tag: str, pattern: re.Pattern) -> dict[str, np.ndarray]:
    return {k[len(tag):]: v for k, v in case.arrays.items() if k.startswith(tag) and pattern.fullmatch(k[len(tag):])}


@wrong_answer("reg_without_half", N_("the L2 term lacks its factor 0.5: loss += 0.5 * reg * sum(W**2)"))
def _reg_no_half(case: Case, expected: Arrays) -> Arrays:
    reg = case["reg"]
    out = {}
    for tag in _tags(expected):
        extra = sum(np.sum(w * w) for w in _params(case, tag, _WEIGHT).values())
        out[tag + "loss"] = np.asarray(expected[tag + "loss"] + 0.5 * reg * extra)
    return out


@wrong_answer("reg_on_biases", N_("the biases are regularized too: the L2 term covers the weights only"))
def _reg_biases(case: Case, expected: Arrays) -> Arrays:
    reg = case["reg"]
    out = {}
    for tag in _tags(expected):
        extra = sum(np.sum(b * b) for b in _params(case, tag, _BIAS).values())
        out[tag + "loss"] = np.asarray(expected[tag + "loss"] + 0.5 * reg * extra)
    return out


@wrong_answer("reg_gradient_missing", N_("the regularization gradient reg * W is missing from the weight gradients"))
def _reg_grad_missing(case: Case, expected: Arrays) -> Arrays:
    reg = case["reg"]
    out = {}
    for tag in _tags(expected):
        for name, w in _params(case, tag, _WEIGHT).items():
            out[f"{tag}d{name}"] = expected[f"{tag}d{name}"] - reg * w
    return out


# ---------------------------------------------------------------------------
# Update rules (case: w, dw0..dw2, the initial state, params "hyper" and "t")
# ---------------------------------------------------------------------------


def _simulate(case: Case, step, state: dict) -> Arrays:
    """Run a (buggy) rule ``step(w, dw, state, hyper) -> next_w`` over the case's gradients."""
    hyper = case["hyper"]
    w = np.array(case["w"], dtype=np.float64)
    out: Arrays = {}
    i = 0
    while f"dw{i}" in case.arrays:
        w = step(w, case[f"dw{i}"], state, hyper)
        out[f"w{i + 1}"] = w
        i += 1
    out.update({k: np.asarray(v) for k, v in state.items()})
    return out


def _state(case: Case, *names: str) -> dict:
    state = {}
    for k in names:
        if k in case.arrays:
            state[k] = np.array(case[k], dtype=np.float64)
        elif k == "t":
            state[k] = case.params.get("t", 0)
        else:
            state[k] = np.zeros_like(case["w"], dtype=np.float64)
    return state


@wrong_answer("momentum_velocity_not_stored", N_("the new velocity is not stored back: config['velocity'] must hold v"))
def _momentum_not_stored(case: Case, expected: Arrays) -> Arrays:
    def step(w, dw, state, h):
        return w + (h["momentum"] * state["velocity"] - h["learning_rate"] * dw)

    return _simulate(case, step, _state(case, "velocity"))


@wrong_answer(
    "momentum_sign_convention",
    N_("velocity sign convention flipped: v = momentum * v - learning_rate * dw, then next_w = w + v"),
)
def _momentum_convention(case: Case, expected: Arrays) -> Arrays:
    def step(w, dw, state, h):
        state["velocity"] = h["momentum"] * state["velocity"] + h["learning_rate"] * dw
        return w - state["velocity"]

    return _simulate(case, step, _state(case, "velocity"))


@wrong_answer("momentum_step_sign", N_("the step goes uphill: next_w = w + v (v already holds - learning_rate * dw)"))
def _momentum_step_sign(case: Case, expected: Arrays) -> Arrays:
    def step(w, dw, state, h):
        state["velocity"] = h["momentum"] * state["velocity"] - h["learning_rate"] * dw
        return w - state["velocity"]

    return _simulate(case, step, _state(case, "velocity"))


@wrong_answer(
    "rmsprop_epsilon_inside_sqrt",
    N_("epsilon goes outside the square root: dw / (np.sqrt(cache) + epsilon)"),
)
def _rmsprop_eps_inside(case: Case, expected: Arrays) -> Arrays:
    def step(w, dw, state, h):
        state["cache"] = h["decay_rate"] * state["cache"] + (1 - h["decay_rate"]) * dw * dw
        return w - h["learning_rate"] * dw / np.sqrt(state["cache"] + h["epsilon"])

    return _simulate(case, step, _state(case, "cache"))


@wrong_answer("rmsprop_cache_not_stored", N_("the new cache is not stored back in config['cache']"))
def _rmsprop_not_stored(case: Case, expected: Arrays) -> Arrays:
    def step(w, dw, state, h):
        cache = h["decay_rate"] * state["cache"] + (1 - h["decay_rate"]) * dw * dw
        return w - h["learning_rate"] * dw / (np.sqrt(cache) + h["epsilon"])

    return _simulate(case, step, _state(case, "cache"))


def _adam_step(correct: bool = True, t_after: bool = False, store: bool = True):
    def step(w, dw, state, h):
        b1, b2 = h["beta1"], h["beta2"]
        t = state["t"] if t_after else state["t"] + 1
        m = b1 * state["m"] + (1 - b1) * dw
        v = b2 * state["v"] + (1 - b2) * dw * dw
        with np.errstate(all="ignore"):
            mt = m / (1 - b1**t) if correct else m
            vt = v / (1 - b2**t) if correct else v
            next_w = w - h["learning_rate"] * mt / (np.sqrt(vt) + h["epsilon"])
        if store:
            state["t"], state["m"], state["v"] = state["t"] + 1, m, v
        return next_w

    return step


@wrong_answer("adam_no_bias_correction", N_("Adam without bias correction: divide m and v by (1 - beta**t)"))
def _adam_no_correction(case: Case, expected: Arrays) -> Arrays:
    return _simulate(case, _adam_step(correct=False), _state(case, "m", "v", "t"))


@wrong_answer(
    "adam_t_incremented_after_use",
    N_("t is incremented after its use: increment it first, so the first step uses t = 1"),
)
def _adam_t_after(case: Case, expected: Arrays) -> Arrays:
    return _simulate(case, _adam_step(t_after=True), _state(case, "m", "v", "t"))


@wrong_answer("adam_state_not_stored", N_("m, v and t are not stored back in config: the next step must see them"))
def _adam_not_stored(case: Case, expected: Arrays) -> Arrays:
    out = _simulate(case, _adam_step(store=False), _state(case, "m", "v", "t"))
    return {k: v for k, v in out.items() if k.startswith("w")}
