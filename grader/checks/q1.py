"""Q1: fully-connected networks (affine and ReLU layers, losses, TwoLayerNet,
FullyConnectedNet, the update rules and the Solver).

Conventions shared by the checks of this module (and of q3.py):

* ``run`` copies every input it hands over (``case.copy``) and seeds numpy's
  global generator from the case (``np.random.seed``) before any code that
  may draw random numbers, so the reference and the submission see the same
  draws;
* a loss is returned as a 0-d float64 array under ``loss`` (a 1-element array
  is accepted); gradients under ``d<name>`` and the numeric gradient of the
  submission's *own* forward / loss under ``d<name>_num``. Scoring compares
  the analytic gradients with the reference; the numeric ones only sharpen
  the failure message (see ``grader.compare.compare_gradients``);
* models get their parameters from the case (``W1``, ``b1``, ... with non-zero
  biases, so that a regularization of the biases shows), after construction,
  so that the loss checks do not depend on the initialisation, which has its
  own checks.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..compare import compare_gradients, compare_values, numeric_gradient, validate
from ..i18n import N_
from .base import Arrays, Case, Check, Comparator, Impl, Measure
from .common import (
    SIGMAS,
    both_signs,
    clusters,
    compare_all_gradients,
    edge,
    model_loss_outputs,
    nonzero_normal,
    param_names,
    scalar,
    set_params,
    trained_accuracies,
)

Q = "q1"

def _layer_params(rng: np.random.Generator, dims: list[int], tag: str = "") -> Arrays:
    """Weights scaled by 1/sqrt(fan-in), so that activations stay of order 1, and non-zero biases."""
    out = {}
    for i in range(1, len(dims)):
        out[f"{tag}W{i}"] = rng.standard_normal((dims[i - 1], dims[i])) / math.sqrt(dims[i - 1])
        out[f"{tag}b{i}"] = 0.1 * rng.standard_normal(dims[i])
    return out


def _data(rng: np.random.Generator, n: int, input_shape: tuple, c: int, scale: float = 1.0) -> Arrays:
    return {"X": scale * rng.standard_normal((n, *input_shape)), "y": rng.integers(0, c, size=n)}


def init_statistics(
    got: Arrays, expected: Arrays, shapes: dict[str, tuple], weight_scale: float, sigmas: float, dtype=None
) -> Measure:
    """Shapes, zero biases and the mean / std of each weight matrix (a property, not a value).

    A weight matrix identical to the reference's (the same draws from the
    seeded generator) is accepted as such; otherwise its sample mean and
    standard deviation are compared with 0 and ``weight_scale`` in units of
    their standard errors (weight_scale / sqrt(n) and about
    weight_scale / sqrt(2n) for n Gaussian draws). The error is the largest
    such z-score.
    """
    worst = 0.0
    for name, shape in shapes.items():
        if name not in got:
            return Measure(float("inf"), False, f"params['{name}'] is missing")
        arr = got[name]
        problem = validate(f"params['{name}']", arr, np.zeros(shape))
        if problem:
            return Measure(float("inf"), False, problem)
        if dtype is not None and arr.dtype != np.dtype(dtype):
            return Measure(float("inf"), False, f"params['{name}'] has dtype {arr.dtype}, expected {np.dtype(dtype)}")
        if name.startswith("b"):
            if np.any(arr != 0):
                return Measure(float("inf"), False, f"params['{name}'] is not all zeros (biases start at zero)")
            continue
        if name in expected and np.array_equal(arr, expected[name]):
            continue  # the very draws of the reference
        w = arr.astype(np.float64)
        n = w.size
        mean, std = float(w.mean()), float(w.std())
        z = max(abs(mean) / (weight_scale / math.sqrt(n)), abs(std / weight_scale - 1) * math.sqrt(2 * n))
        if z > sigmas:
            return Measure(
                z,
                False,
                f"params['{name}'] has mean {mean:.3g} and std {std:.3g}; expected mean 0 and std = weight_scale "
                f"= {weight_scale:g} (draw weight_scale * np.random.randn(d_in, d_out))",
            )
        worst = max(worst, z)
    return Measure(worst, True)


# ---------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------


def _relu_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x and dout, one shape (public (3, 4, 5); hidden 1-D to 4-D), x away from 0; params: none."""
    if hidden:
        # 1-D to 4-D, at least 2 entries, magnitudes small and large by turns
        shape = tuple(int(s) for s in rng.integers(2, 6, size=edge(hidden, (1, 3, int(rng.integers(2, 5))))))
        scale = float(10 ** rng.uniform(*edge(hidden, ((-3, 0), (0, 3), (-3, 3)))))
    else:
        shape, scale = (3, 4, 5), 1.0
    # No input within 5% of the scale from 0: the derivative at exactly 0 is a
    # convention (x > 0 and x >= 0 are both accepted) and a numeric gradient
    # across the kink would be meaningless. Hidden inputs and upstream
    # derivatives hold both signs (so a leaky ReLU, a ReLU of dout show).
    x, dout = nonzero_normal(rng, shape, scale), rng.standard_normal(shape)
    if hidden:
        x, dout = both_signs(x), both_signs(dout)
    return Case({"x": x, "dout": dout})


def _relu_forward(impl: Impl, case: Case) -> Arrays:
    out, _ = impl.layers.relu_forward(case.copy("x"))
    return {"out": out}


RELU_FORWARD = Check(
    id="relu_forward",
    question=Q,
    title=N_("relu_forward output"),
    make_case=_relu_case,
    run=_relu_forward,
    compare=compare_values(["out"]),
    tolerance=1e-12,  # max(x, 0) involves no rounding: any correct version is exact
    calls=("layers.relu_forward",),
)


def _relu_backward(impl: Impl, case: Case) -> Arrays:
    x, dout = case.copy("x"), case.copy("dout")
    _, cache = impl.layers.relu_forward(x)
    dx = impl.layers.relu_backward(dout, cache)
    return {
        "dx": dx,
        "dx_num": numeric_gradient(
            lambda v: impl.layers.relu_forward(v)[0], case.copy("x"), dout, h=1e-6 * float(np.abs(x).max())
        ),
    }


RELU_BACKWARD = Check(
    id="relu_backward",
    question=Q,
    title=N_("relu_backward gradient dx"),
    make_case=_relu_case,
    run=_relu_backward,
    compare=compare_gradients({"dx": "dx_num"}),
    tolerance=1e-12,  # dout masked by x > 0: exact
    calls=("layers.relu_forward", "layers.relu_backward"),
    wrong_answers=("relu_backward_precedence", "relu_backward_no_dout"),
)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


def _scores_case(rng: np.random.Generator, hidden: bool, max_magnitude: float) -> Case:
    """x (N, C) scores and y (N,) labels in [0, C); params: none."""
    if hidden:
        # a batch of one, a square batch (N == C hides a broadcast along the wrong axis), then any
        n, c = edge(hidden, (1, 0, int(rng.integers(2, 9)))), int(rng.integers(2, 11))
        n = n or c
        scale = float(10 ** rng.uniform(-3, math.log10(max_magnitude)))
    else:
        n, c, scale = 5, 4, 1.0
    return Case({"x": scale * rng.standard_normal((n, c)), "y": rng.integers(0, c, size=n)})


def _softmax_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, C) and y (N,) from _scores_case, hidden magnitudes up to 1e2; params: none."""
    # Hidden magnitudes stop at 1e2: exp() of the raw scores still fits in a
    # float64 there, so the missing max shift is the stability check's business only.
    return _scores_case(rng, hidden, 1e2)


def _svm_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, C) and y (N,) from _scores_case, hidden magnitudes up to 1e3; params: none."""
    return _scores_case(rng, hidden, 1e3)


def _stability_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, C), each row offset by +-1e3..1e4 (hidden: up to 1e5), and y (N,); params: none."""
    # Every row shifted by +-1e3..1e4 (hidden: up to 1e5), with a spread of a few units inside the row.
    #
    # Without the max shift exp() overflows (or underflows to 0/0) on every row.
    # The spread inside a row stays small, so that shifting and then taking the
    # log of the probabilities (the usual cs231n solution) stays finite: this
    # checks the shift, not a log-sum-exp formulation.
    if hidden:
        n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
        offsets = 10 ** rng.uniform(3, 5, size=n)
        spread = float(10 ** rng.uniform(-1, 1.2))
    else:
        n, c = 6, 5
        offsets = 10 ** rng.uniform(3, 4, size=n)
        spread = 3.0
    signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    x = (signs * offsets)[:, None] + spread * rng.standard_normal((n, c))
    return Case({"x": x, "y": rng.integers(0, c, size=n)})


#: epsilons students add inside the log (log(p + eps)): a safety idiom that moves the loss by ~eps / p
LOG_EPSILONS = (1e-8, 1e-10, 1e-12)


def _softmax_log_eps(base: Comparator) -> Comparator:
    """The reference's values, or else the loss of ``-mean(log(p_y + eps))`` for a usual ``eps`` (dx as is)."""

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        measure = base(got, expected, case, tolerance)
        if measure.passed or measure.error == float("inf"):
            return measure
        x, y = np.asarray(case["x"], dtype=np.float64), np.asarray(case["y"]).astype(int)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        p_y = (e / e.sum(axis=1, keepdims=True))[np.arange(x.shape[0]), y]
        for eps in LOG_EPSILONS:
            alternative = dict(expected, loss=np.asarray(-np.mean(np.log(p_y + eps))))
            accepted = base(got, alternative, case, tolerance)
            if accepted.passed:
                return accepted
        return measure

    return compare


def _loss_run(name: str, numeric: bool = True) -> Callable[[Impl, Case], Arrays]:
    def run(impl: Impl, case: Case) -> Arrays:
        fn = getattr(impl.layers, name)
        y = case.copy("y")
        loss, dx = fn(case.copy("x"), y)
        out = {"loss": scalar(loss), "dx": dx}
        if numeric:
            out["dx_num"] = numeric_gradient(lambda v: fn(v, y)[0], case.copy("x"), np.array(1.0))
        return out

    return run


SOFTMAX_LOSS = Check(
    id="softmax_loss",
    question=Q,
    title=N_("softmax_loss: loss and dx"),
    make_case=_softmax_case,
    run=_loss_run("softmax_loss"),
    compare=_softmax_log_eps(compare_all_gradients),  # log(p + 1e-8) in real work of every edition
    tolerance=1e-8,  # float64 log-sum-exp: formulations agree to ~1e-14
    calls=("layers.softmax_loss",),
    wrong_answers=("softmax_loss_summed", "softmax_dx_not_averaged", "softmax_dx_no_minus_one"),
)


SOFTMAX_LOSS_STABILITY = Check(
    id="softmax_loss_stability",
    question=Q,
    title=N_("softmax_loss on scores of magnitude 1e3-1e4: finite and correct"),
    make_case=_stability_case,
    run=_loss_run("softmax_loss", numeric=False),
    compare=_softmax_log_eps(compare_values(["loss", "dx"])),
    tolerance=1e-8,  # once shifted the row spread is a few units: the same rounding as softmax_loss
    calls=("layers.softmax_loss",),
    # The missing max shift needs no catalogued answer: its outputs are
    # NaN / inf, whose pattern depends on the formulation, and the generic
    # diagnosis already says "look for exp() of large values (shift by the max)".
)


SVM_LOSS = Check(
    id="svm_loss",
    question=Q,
    title=N_("svm_loss: loss and dx"),
    make_case=_svm_case,
    run=_loss_run("svm_loss"),
    compare=compare_all_gradients,
    tolerance=1e-8,  # sums of float64 margins: orders of summation agree to ~1e-14
    calls=("layers.svm_loss",),
    wrong_answers=("svm_loss_summed", "svm_dx_not_averaged", "svm_counts_correct_class", "svm_no_margin"),
)


# ---------------------------------------------------------------------------
# TwoLayerNet
# ---------------------------------------------------------------------------


def _two_layer_init_case(rng: np.random.Generator, hidden: bool) -> Case:
    """No arrays; params D, H, C, weight_scale and seed for the two-layer net's initialisation."""
    if hidden:
        d, h, c = int(rng.integers(40, 121)), int(rng.integers(30, 81)), int(rng.integers(5, 16))
        # never 1.0: there a model that ignores weight_scale is indistinguishable
        ws = float(rng.choice([1e-3, 1e-2, 1e-1, 0.3]))
    else:
        d, h, c, ws = 100, 50, 10, 1e-3
    return Case({}, {"D": d, "H": h, "C": c, "weight_scale": ws, "seed": int(rng.integers(0, 2**31))})


def _two_layer_init(impl: Impl, case: Case) -> Arrays:
    np.random.seed(int(case["seed"]))
    model = impl.fc_net.TwoLayerNet(
        input_dim=case["D"], hidden_dim=case["H"], num_classes=case["C"], weight_scale=case["weight_scale"]
    )
    return {k: np.asarray(model.params[k]) for k in ("W1", "b1", "W2", "b2") if k in model.params}


def _two_layer_init_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    d, h, c = case["D"], case["H"], case["C"]
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    return init_statistics(got, expected, shapes, case["weight_scale"], tolerance)


TWO_LAYER_NET_INIT = Check(
    id="two_layer_net_init",
    question=Q,
    title=N_("TwoLayerNet initial parameters: shapes, zero biases, weight std = weight_scale"),
    make_case=_two_layer_init_case,
    run=_two_layer_init,
    compare=_two_layer_init_compare,
    tolerance=SIGMAS,  # a property: standard errors allowed (see SIGMAS and init_statistics)
    calls=("fc_net.TwoLayerNet",),
    # No catalogued wrong answers: the diagnosis engine would match them
    # within the tolerance, here a number of standard errors; the
    # comparator's message names the weight_scale / std problem itself.
)


def _two_layer_case(reg: bool) -> Callable[[np.random.Generator, bool], Case]:
    """X (N, *shape), D = prod(shape), y (N,), W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); params D, H, C, reg."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            n, h, c = int(rng.integers(2, 7)), int(rng.integers(3, 9)), int(rng.integers(2, 7))
            shape = tuple(int(s) for s in rng.integers(2, 4, size=int(rng.integers(1, 3))))
            scale = float(10 ** rng.uniform(-2, 2))
            strength = float(10 ** rng.uniform(-2, 1)) if reg else 0.0
        else:
            n, h, c, shape, scale = 3, 5, 4, (5,), 1.0
            strength = 0.7 if reg else 0.0
        d = int(np.prod(shape))
        arrays = {**_data(rng, n, shape, c, scale), **_layer_params(rng, [d, h, c])}
        return Case(arrays, {"D": d, "H": h, "C": c, "reg": strength})

    return make


def _two_layer_model(impl: Impl, case: Case):
    return impl.fc_net.TwoLayerNet(input_dim=case["D"], hidden_dim=case["H"], num_classes=case["C"], reg=case["reg"])


def _two_layer_scores(impl: Impl, case: Case) -> Arrays:
    model = _two_layer_model(impl, case)
    set_params(model, case)
    return {"scores": model.loss(case.copy("X"))}


TWO_LAYER_NET_SCORES = Check(
    id="two_layer_net_scores",
    question=Q,
    title=N_("TwoLayerNet scores in test mode"),
    make_case=_two_layer_case(reg=False),
    run=_two_layer_scores,
    compare=compare_values(["scores"]),
    tolerance=1e-9,  # two float64 matmuls: agreement to ~1e-14
    calls=("fc_net.TwoLayerNet.loss",),
)


def _two_layer_loss(impl: Impl, case: Case) -> Arrays:
    model = _two_layer_model(impl, case)
    names = set_params(model, case)
    return model_loss_outputs(model, case, names)


TWO_LAYER_NET_LOSS = Check(
    id="two_layer_net_loss",
    question=Q,
    title=N_("TwoLayerNet loss and gradients, no regularization"),
    make_case=_two_layer_case(reg=False),
    run=_two_layer_loss,
    compare=compare_all_gradients,
    tolerance=1e-8,  # analytic vs reference analytic in float64
    calls=("fc_net.TwoLayerNet.loss",),
)


# ---------------------------------------------------------------------------
# FullyConnectedNet
# ---------------------------------------------------------------------------


def _fc_case(reg: bool) -> Callable[[np.random.Generator, bool], Case]:
    """One data set and, for each depth, a set of parameters under the tag ``h<depth>_``."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            n, c = int(rng.integers(2, 7)), int(rng.integers(2, 7))
            shape = tuple(int(s) for s in rng.integers(2, 4, size=int(rng.integers(1, 3))))
            scale = float(10 ** rng.uniform(-2, 2))
            depths = sorted(int(k) for k in rng.choice([1, 2, 3, 4], size=2, replace=False))
            strength = float(10 ** rng.uniform(-2, 1)) if reg else 0.0
            widths = {k: [int(w) for w in rng.integers(2, 7, size=k)] for k in depths}
        else:
            n, c, shape, scale = 4, 3, (5,), 1.0
            depths = [1, 2, 3]
            strength = 0.7 if reg else 0.0
            widths = {1: [6], 2: [5, 4], 3: [4, 5, 3]}
        d = int(np.prod(shape))
        arrays = _data(rng, n, shape, c, scale)
        for k in depths:
            arrays.update(_layer_params(rng, [d, *widths[k], c], tag=f"h{k}_"))
        return Case(arrays, {"D": d, "C": c, "reg": strength, "hidden_dims": {str(k): widths[k] for k in depths}})

    return make


def _fc_loss(impl: Impl, case: Case) -> Arrays:
    """Loss and gradients at every depth; numeric gradients (diagnostic only, and the
    costly part) for the deepest net alone, whose layers include those of the others."""
    out: Arrays = {}
    deepest = max(case["hidden_dims"], key=int)
    for depth, dims in case["hidden_dims"].items():
        model = impl.fc_net.FullyConnectedNet(
            list(dims), input_dim=case["D"], num_classes=case["C"], reg=case["reg"], dtype=np.float64
        )
        tag = f"h{depth}_"
        names = set_params(model, case, tag)
        out.update(model_loss_outputs(model, case, names, tag, numeric=depth == deepest))
    return out


FC_NET_LOSS = Check(
    id="fc_net_loss",
    question=Q,
    title=N_("FullyConnectedNet loss and gradients, 1 to 3 hidden layers, no regularization"),
    make_case=_fc_case(reg=False),
    run=_fc_loss,
    compare=compare_all_gradients,
    tolerance=1e-8,  # analytic vs reference analytic in float64
    calls=("fc_net.FullyConnectedNet.loss",),
)


def _fc32_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (5, D), y (5,), W{i} (d_{i-1}, d_i), b{i} (d_i,) over D, *hidden_dims, C; params incl. weight_scale, seed."""
    if hidden:
        d, c = int(rng.integers(30, 61)), int(rng.integers(5, 11))
        # one hidden layer or several; without and with regularization (never both 0 on every draw)
        dims = [int(w) for w in rng.integers(20, 41, size=edge(hidden, (1, 2, int(rng.integers(1, 4)))))]
        ws = float(rng.choice([1e-3, 1e-2, 1e-1]))
        strength = float(edge(hidden, (rng.choice([0.0, 0.1, 1.0]), 0.1, 1.0)))
    else:
        d, c, dims, ws, strength = 40, 10, [30, 20], 1e-2, 0.1
    n = 5
    arrays = {**_data(rng, n, (d,), c), **_layer_params(rng, [d, *dims, c])}
    params = {"D": d, "C": c, "hidden_dims": dims, "weight_scale": ws, "reg": strength}
    return Case(arrays, {**params, "seed": int(rng.integers(0, 2**31))})


def _fc32(impl: Impl, case: Case) -> Arrays:
    np.random.seed(int(case["seed"]))
    model = impl.fc_net.FullyConnectedNet(
        list(case["hidden_dims"]),
        input_dim=case["D"],
        num_classes=case["C"],
        weight_scale=case["weight_scale"],
        reg=case["reg"],
        dtype=np.float32,
    )
    names = param_names(case)
    out: Arrays = {f"init_{k}": np.array(model.params[k], copy=True) for k in names if k in model.params}
    for k in names:
        model.params[k] = case.copy(k).astype(np.float32)
    out["scores"] = model.loss(case.copy("X"))
    loss, grads = model.loss(case.copy("X"), case.copy("y"))
    out["loss"] = scalar(loss)
    for k in names:
        if k in grads:
            out[f"d{k}"] = np.array(grads[k], copy=True)
    return out


def _fc32_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    dims = [case["D"], *case["hidden_dims"], case["C"]]
    shapes = {}
    for i in range(1, len(dims)):
        shapes[f"init_W{i}"] = (dims[i - 1], dims[i])
        shapes[f"init_b{i}"] = (dims[i],)
    init = init_statistics(
        {k[5:]: v for k, v in got.items() if k.startswith("init_")},
        {k[5:]: v for k, v in expected.items() if k.startswith("init_")},
        {k[5:]: s for k, s in shapes.items()},
        case["weight_scale"],
        SIGMAS,
        dtype=np.float32,
    )
    if not init.passed:
        return Measure(init.error, False, f"the initial parameters: {init.detail}")
    for name in [k for k in expected if not k.startswith("init_") and k != "loss"]:
        if name in got and isinstance(got[name], np.ndarray) and got[name].dtype != np.float32:
            return Measure(float("inf"), False, f"{name} has dtype {got[name].dtype}: a float32 model computes "
                f"in float32")
    return compare_scaled([k for k in expected if not k.startswith("init_")])(got, expected, case, tolerance)


FC_NET_FLOAT32 = Check(
    id="fc_net_float32",
    question=Q,
    title=N_("FullyConnectedNet(dtype=np.float32): float32 parameters, scores and gradients; initial weights"),
    make_case=_fc32_case,
    run=_fc32,
    compare=_fc32_compare,
    # scaled_error (max abs diff / scale) of float32 results against the
    # float32 reference: float32 rounding keeps it below 2.3e-7 against
    # float64 (200 hidden cases), so two float32 orders of summation stay
    # under 5e-7; 1e-5 leaves a factor 20
    tolerance=1e-5,
    calls=("fc_net.FullyConnectedNet",),
)


def scaled_error(x: np.ndarray, y: np.ndarray) -> float:
    """max |x - y| relative to the arrays' scale, max |x| + max |y| (0 when both are 0).

    For float32 results: an elementwise relative error measures rounding
    noise on the near-zero entries (up to 5e-3 between float32 and float64
    gradients here), while this measure stays at float32 precision (<= 2.3e-7
    against float64 over 200 hidden cases).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    scale = np.abs(x).max(initial=0.0) + np.abs(y).max(initial=0.0)
    return float(np.abs(x - y).max(initial=0.0) / scale) if scale > 0 else 0.0


def compare_scaled(keys: list[str]) -> Comparator:
    """Pass when every named array is within ``tolerance`` of the expected one in ``scaled_error``."""

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        worst = 0.0
        for name in keys:
            problem = validate(name, got.get(name), expected[name]) if name in got else f"{name}: not returned"
            if problem:
                return Measure(float("inf"), False, problem)
            err = scaled_error(got[name], expected[name])
            if err > tolerance:
                return Measure(err, False, f"{name}: differs by {err:.3g} of its scale (max abs diff / max abs value)")
            worst = max(worst, err)
        return Measure(worst, True)

    return compare


# ---------------------------------------------------------------------------
# Update rules
# ---------------------------------------------------------------------------

#: The state each rule keeps in its config, and the hyperparameters it reads.
RULES = {
    "sgd_momentum": (("velocity",), ("learning_rate", "momentum")),
    "rmsprop": (("cache",), ("learning_rate", "decay_rate", "epsilon")),
    "adam": (("m", "v", "t"), ("learning_rate", "beta1", "beta2", "epsilon")),
}
STEPS = 3


def _rule_case(rule: str) -> Callable[[np.random.Generator, bool], Case]:
    """w, one gradient per step, hyperparameters, and the initial state (absent: a fresh config)."""
    # w and dw0.. dw{STEPS-1} share one shape; the state is velocity, cache, or m and v (and t in params).
    #
    # Public: 4x5 arrays of order 1, the initial state given in the config (as
    # the cs231n notebook does), gradients of log-uniform magnitudes 1e-5..1 (so
    # that epsilon's place in RMSProp matters). Hidden: other shapes, magnitudes
    # 1e-3..1e3, other hyperparameters, and in half the cases a fresh config, so
    # that the state has to be created.

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
            wscale = float(10 ** rng.uniform(-3, 3))
            gscale = float(10 ** rng.uniform(-3, 3))
            fresh = bool(rng.integers(0, 2))
            hyper = {
                "learning_rate": float(rng.choice([1e-3, 1e-2, 1e-1])),
                "momentum": float(rng.choice([0.5, 0.9, 0.99])),
                "decay_rate": float(rng.choice([0.9, 0.99, 0.999])),
                "beta1": float(rng.choice([0.8, 0.9, 0.95])),
                "beta2": float(rng.choice([0.99, 0.999])),
                "epsilon": float(rng.choice([1e-8, 1e-6])),
            }
        else:
            shape, wscale, gscale, fresh = (4, 5), 1.0, 1.0, False
            hyper = {
                "learning_rate": 1e-2,
                "momentum": 0.9,
                "decay_rate": 0.99,
                "beta1": 0.9,
                "beta2": 0.999,
                "epsilon": 1e-8,
            }
        arrays = {"w": wscale * rng.standard_normal(shape)}
        for i in range(STEPS):
            arrays[f"dw{i}"] = gscale * rng.standard_normal(shape) * 10 ** rng.uniform(-5, 0, size=shape)
        params = {"hyper": {k: hyper[k] for k in RULES[rule][1]}}
        if not fresh:
            if rule == "sgd_momentum":
                arrays["velocity"] = 0.1 * gscale * rng.standard_normal(shape)
            elif rule == "rmsprop":
                arrays["cache"] = gscale**2 * 10 ** rng.uniform(-10, -1, size=shape)
            else:
                arrays["m"] = 0.1 * gscale * rng.standard_normal(shape)
                arrays["v"] = gscale**2 * 10 ** rng.uniform(-4, -1, size=shape)
                params["t"] = int(rng.integers(1, 10))
        return Case(arrays, params)

    return make


def _rule_run(rule: str) -> Callable[[Impl, Case], Arrays]:
    state_keys = RULES[rule][0]

    def run(impl: Impl, case: Case) -> Arrays:
        update = getattr(impl.optim, rule)
        config = dict(case["hyper"])
        for k in state_keys:
            if k in case.arrays:
                config[k] = case.copy(k)
            elif k in case.params:
                config[k] = case.params[k]
        w = case.copy("w")
        out: Arrays = {}
        for i in range(STEPS):
            # the rule may update w (and its state) in place: keep copies
            w, config = update(w, case.copy(f"dw{i}"), config)
            out[f"w{i + 1}"] = np.array(w, copy=True)
        for k in state_keys:
            if k in config:
                out[k] = np.array(config[k], copy=True)
        return out

    return run


SGD_MOMENTUM = Check(
    id="sgd_momentum",
    question=Q,
    title=N_("sgd_momentum: 3 steps, next_w and velocity"),
    make_case=_rule_case("sgd_momentum"),
    run=_rule_run("sgd_momentum"),
    compare=compare_values(),
    tolerance=1e-9,  # a few float64 operations per step: agreement to ~1e-15
    calls=("optim.sgd_momentum",),
    wrong_answers=("momentum_velocity_not_stored", "momentum_sign_convention", "momentum_step_sign"),
)


RMSPROP = Check(
    id="rmsprop",
    question=Q,
    title=N_("rmsprop: 3 steps, next_w and cache"),
    make_case=_rule_case("rmsprop"),
    run=_rule_run("rmsprop"),
    compare=compare_values(),
    tolerance=1e-9,  # a few float64 operations per step: agreement to ~1e-15
    calls=("optim.rmsprop",),
    wrong_answers=("rmsprop_epsilon_inside_sqrt", "rmsprop_cache_not_stored"),
)


def _adam_efficient(case: Case) -> Arrays:
    """What Kingma & Ba's "more efficient" ordering of Adam gives on the case: w1..w3, m, v, t.

    The paper (Section 2, end) folds both bias corrections into the step size,
    lr * sqrt(1 - beta2**t) / (1 - beta1**t), and adds epsilon to the uncorrected
    sqrt(v). It is Adam with bias correction, as the assignment asks; it differs
    from the reference only where sqrt(v) is near epsilon, which the hidden cases
    reach. Computed here, on the trusted side, from the case alone.
    """
    hyper = case["hyper"]
    b1, b2, lr, eps = hyper["beta1"], hyper["beta2"], hyper["learning_rate"], hyper["epsilon"]
    w = np.array(case.arrays["w"], dtype=np.float64)
    m = np.array(case.arrays["m"], dtype=np.float64) if "m" in case.arrays else np.zeros_like(w)
    v = np.array(case.arrays["v"], dtype=np.float64) if "v" in case.arrays else np.zeros_like(w)
    t = int(case.params.get("t", 0))
    out: Arrays = {}
    for i in range(STEPS):
        dw = case.arrays[f"dw{i}"]
        t += 1
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * (dw * dw)
        w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        out[f"w{i + 1}"] = w
    return {**out, "m": m, "v": v, "t": np.array(t)}


def _adam_compare() -> Comparator:
    """The reference's values, or else those of the paper's efficient ordering (``_adam_efficient``)."""
    values = compare_values()

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        measure = values(got, expected, case, tolerance)
        if measure.passed or measure.error == float("inf"):
            return measure
        efficient = values(got, _adam_efficient(case), case, tolerance)
        return efficient if efficient.passed else measure

    return compare


ADAM = Check(
    id="adam",
    question=Q,
    title=N_("adam: 3 steps, next_w, m, v and t"),
    make_case=_rule_case("adam"),
    run=_rule_run("adam"),
    compare=_adam_compare(),
    tolerance=1e-9,  # a few float64 operations per step: agreement to ~1e-15
    calls=("optim.adam",),
    wrong_answers=("adam_no_bias_correction", "adam_t_incremented_after_use", "adam_state_not_stored"),
)


# ---------------------------------------------------------------------------
# Solver: overfitting a small data set
# ---------------------------------------------------------------------------

#: The training run: a 3-layer net, plain sgd (given code, so only the
#: submission's layers and model are exercised), 20 epochs of 2 minibatches.
#: The reference reaches 100% training accuracy on every one of 800 data sets
#: tried (4 sizes x 200 seeds).
SOLVER = {"hidden_dims": [50, 50], "weight_scale": 0.2, "learning_rate": 0.3, "num_epochs": 20, "batch_size": 25}


#: the training rows are Gaussian blobs, so that a network that learns generalises; the held-out rows
#: (``Case.held``, never sent to the student code) are what the accuracy is measured on besides the training rows
SOLVER_SEPARATION = 1.5
SOLVER_HELD = 200
#: the least accuracy on the held-out rows. Measured over hidden draws (/tmp-free: see
#: tests/grader/checks/test_training_held_out.py): the reference reaches at least 0.885 (500 draws); weights
#: built to memorise the 50 training rows at most 0.40, an untrained network at most 0.71 (300 draws; it also
#: fails the training accuracy)
SOLVER_HELD_ACCURACY = 0.8


def _solver_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (50, D), y (50,) from C Gaussian blobs; held X_held (200, D), y_held (200,); params D, C, seed."""
    if hidden:
        d, c = int(rng.integers(40, 97)), int(rng.integers(3, 11))
    else:
        d, c = 48, 10
    train, held = clusters(rng, 50, SOLVER_HELD, (d,), c, SOLVER_SEPARATION)
    return Case(train, {"D": d, "C": c, "seed": int(rng.integers(0, 2**31))}, held)


def _solver_run(impl: Impl, case: Case) -> Arrays:
    np.random.seed(int(case["seed"]))
    X, y = case.copy("X"), case.copy("y")
    model = impl.fc_net.FullyConnectedNet(
        list(SOLVER["hidden_dims"]),
        input_dim=case["D"],
        num_classes=case["C"],
        weight_scale=SOLVER["weight_scale"],
        dtype=np.float64,
    )
    solver = impl.solver.Solver(
        model,
        {"X_train": X, "y_train": y, "X_val": case.copy("X"), "y_val": case.copy("y")},
        update_rule="sgd",
        optim_config={"learning_rate": SOLVER["learning_rate"]},
        num_epochs=SOLVER["num_epochs"],
        batch_size=SOLVER["batch_size"],
        verbose=False,
    )
    solver.train()
    return {k: np.asarray(model.params[k]) for k in ("W1", "b1", "W2", "b2", "W3", "b3") if k in model.params}


def fc_scores(params: Arrays, X: np.ndarray) -> np.ndarray:
    """Scores of a plain affine-ReLU network, computed here on the trusted side."""
    h = X.reshape(X.shape[0], -1).astype(np.float64)
    layers = len([k for k in params if k.startswith("W")])
    for i in range(1, layers + 1):
        h = h @ params[f"W{i}"].astype(np.float64) + params[f"b{i}"].astype(np.float64)
        if i < layers:
            h = np.maximum(h, 0)
    return h


def _solver_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """Accuracies of the returned parameters, computed here; ``tolerance`` is the training accuracy required.

    Both are measured on the trusted side from the trained weights alone: the
    training accuracy on the 50 rows the Solver was fed (at least
    ``tolerance``) and the accuracy on held-out rows of the same classes that
    the student code never saw (at least ``SOLVER_HELD_ACCURACY``), so weights
    that memorise the training rows earn nothing. The "error" column shows the
    lower of the two accuracies.
    """
    for name in expected:
        label = f"params['{name}']"
        problem = validate(label, got[name], expected[name]) if name in got else f"{label} is missing"
        if problem:
            return Measure(0.0, False, f"after training: {problem}")
    return trained_accuracies(
        fc_scores, got, case, tolerance, SOLVER_HELD_ACCURACY,
        trained=f"after {SOLVER['num_epochs']} epochs on 50 examples",
        advice="check the gradients of FullyConnectedNet and its initialisation",
    )


SOLVER_OVERFIT = Check(
    id="solver_overfit",
    question=Q,
    title=N_("Solver + FullyConnectedNet trained on 50 examples (training and held-out accuracy)"),
    make_case=_solver_case,
    run=_solver_run,
    compare=_solver_compare,
    # the tolerance is the training accuracy required; the reference reaches
    # 1.0, and 0.9 leaves room for valid implementations that draw differently
    tolerance=0.9,
    calls=("solver.Solver", "fc_net.FullyConnectedNet", "optim.sgd"),
)


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------


def _affine_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, d1, ..., dk), w (D, M) with D = d1*...*dk, b (M,), dout (N, M); params: none."""
    if hidden:
        # a batch of one with N-D inputs, a batch with 2-D inputs, a batch with 4-D inputs
        n = edge(hidden, (1, int(rng.integers(2, 7)), int(rng.integers(2, 7))))
        shape = tuple(int(s) for s in rng.integers(2, 5, size=edge(hidden, (2, 1, 3))))
        m = int(rng.integers(2, 6))
        scale = float(edge(hidden, (rng.choice([1e-2, 1.0, 1e2]), 1e-2, 1e2)))
    else:
        n, shape, m, scale = 3, (2, 3, 4), 5, 1.0
    d = int(np.prod(shape))
    return Case(
        {
            "x": scale * rng.standard_normal((n, *shape)),
            "w": rng.standard_normal((d, m)),
            "b": rng.standard_normal(m),
            "dout": rng.standard_normal((n, m)),
        }
    )


def _affine_forward(impl: Impl, case: Case):
    out, _ = impl.layers.affine_forward(case.copy("x"), case.copy("w"), case.copy("b"))
    return {"out": out}


AFFINE_FORWARD = Check(
    id="affine_forward",
    question=Q,
    title=N_("affine_forward output"),
    make_case=_affine_case,
    run=_affine_forward,
    compare=compare_values(["out"]),
    tolerance=1e-9,  # float64 matmul: agreement to ~1e-14, 1e-9 leaves room for summation order
    calls=("layers.affine_forward",),
    wrong_answers=("affine_no_reshape_bias_twice",),
)


def _affine_backward(impl: Impl, case: Case):
    x, w, b, dout = case.copy("x"), case.copy("w"), case.copy("b"), case.copy("dout")
    forward = impl.layers.affine_forward
    _, cache = forward(x, w, b)
    dx, dw, db = impl.layers.affine_backward(dout, cache)
    return {
        "dx": dx,
        "dw": dw,
        "db": db,
        "dx_num": numeric_gradient(lambda v: forward(v, w, b)[0], x, dout),
        "dw_num": numeric_gradient(lambda v: forward(x, v, b)[0], w, dout),
        "db_num": numeric_gradient(lambda v: forward(x, w, v)[0], b, dout),
    }


AFFINE_BACKWARD = Check(
    id="affine_backward",
    question=Q,
    title=N_("affine_backward gradients dx, dw, db"),
    make_case=_affine_case,
    run=_affine_backward,
    compare=compare_gradients({"dx": "dx_num", "dw": "dw_num", "db": "db_num"}),
    tolerance=1e-8,  # analytic vs reference analytic in float64
    calls=("layers.affine_forward", "layers.affine_backward"),
    wrong_answers=("affine_db_mean",),
)


_REG_WRONG = ("reg_without_half", "reg_on_biases", "reg_gradient_missing")


TWO_LAYER_NET_LOSS_REG = Check(
    id="two_layer_net_loss_reg",
    question=Q,
    title=N_("TwoLayerNet loss and gradients with L2 regularization"),
    make_case=_two_layer_case(reg=True),
    run=_two_layer_loss,
    compare=compare_all_gradients,
    tolerance=1e-8,  # analytic vs reference analytic in float64
    calls=("fc_net.TwoLayerNet.loss",),
    wrong_answers=_REG_WRONG,
)


FC_NET_LOSS_REG = Check(
    id="fc_net_loss_reg",
    question=Q,
    title=N_("FullyConnectedNet loss and gradients, 1 to 3 hidden layers, L2 regularization"),
    make_case=_fc_case(reg=True),
    run=_fc_loss,
    compare=compare_all_gradients,
    tolerance=1e-8,  # analytic vs reference analytic in float64
    calls=("fc_net.FullyConnectedNet.loss",),
    wrong_answers=_REG_WRONG,
)


CHECKS = (
    AFFINE_FORWARD,
    AFFINE_BACKWARD,
    RELU_FORWARD,
    RELU_BACKWARD,
    SOFTMAX_LOSS,
    SOFTMAX_LOSS_STABILITY,
    SVM_LOSS,
    TWO_LAYER_NET_INIT,
    TWO_LAYER_NET_SCORES,
    TWO_LAYER_NET_LOSS,
    TWO_LAYER_NET_LOSS_REG,
    FC_NET_LOSS,
    FC_NET_LOSS_REG,
    FC_NET_FLOAT32,
    SGD_MOMENTUM,
    RMSPROP,
    ADAM,
    SOLVER_OVERFIT,
)
