"""Q3: dropout (``dropout_forward/backward`` and dropout in ``FullyConnectedNet``).

A dropout mask is random, and students draw it in more than one valid way
(``np.random.rand(*x.shape) < p``, the reference's and cs231n's convention;
``np.random.random(x.shape) < p``, which gives the same mask;
``np.random.binomial(1, p, x.shape)`` or ``rand > 1 - p``, which give other
masks with the same distribution). So the checks test *properties* of the
mask, and accept an exact match with the reference as well:

* ``dropout_forward_train``: every output is 0 or x / p; the fraction of
  units kept and the mean of the output are within ``tolerance`` standard
  deviations (5) of what a Bernoulli(p) mask gives;
* ``dropout_forward_test``: the identity, exactly;
* ``dropout_backward``: dx = dout * (out / x), the very mask of the forward
  pass, recovered from its output;
* ``fc_net_dropout``: judged on the trusted side from the submission's
  outputs alone. Its test-mode scores against the reference (dropout is off
  at test time, so they are deterministic); the masks its ``dropout_forward``
  applied in one training-mode loss, recorded as that function's outputs and
  read against the trusted forward pass, the same at a second loss with the
  same seed; and its loss and gradients against those of the same network
  with those masks, computed here. Whatever the mask convention, nothing the
  sandbox computes for the grader (a numeric gradient, an accuracy) counts.
  A wrong mask scaling is ``dropout_forward_train``'s business, not this
  check's (any one constant scale is read off the outputs).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

from ..compare import compare_values, rel_error, validate
from ..i18n import N_
from .base import Arrays, Case, Check, Impl, Measure
from .common import SIGMAS, model_loss_outputs, nonzero_normal, set_params

Q = "q3"


def norm_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): the error of a gradient as a whole (0 when both are 0).

    Used against numeric gradients, whose elementwise relative error is
    meaningless on the near-zero entries that dropout and ReLU produce.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den > 0 else 0.0


# ---------------------------------------------------------------------------
# dropout_forward, train mode: a property
# ---------------------------------------------------------------------------


def _forward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x without zeros (so that a dropped unit is recognisable), and three keep probabilities."""
    # No p is 0.5: there keeping and dropping are indistinguishable.
    if hidden:
        trailing = [int(s) for s in rng.integers(2, 6, size=int(rng.integers(0, 3)))]
        size = int(rng.integers(1500, 4001))
        shape = (-(-size // int(np.prod(trailing))), *trailing)
        scale = float(10 ** rng.uniform(-3, 3))
        ps = [float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.95)), float(rng.uniform(0.3, 0.45))]
    else:
        shape, scale, ps = (40, 50), 1.0, [0.25, 0.4, 0.7]
    # mostly positive inputs, as after a ReLU, so that the mean test has a mean to preserve
    x = nonzero_normal(rng, shape, scale) + 3.0 * scale
    return Case({"x": x}, {"p": ps, "seeds": [int(s) for s in rng.integers(0, 2**31, size=len(ps))]})


def _forward_train(impl: Impl, case: Case) -> Arrays:
    out = {}
    for i, (p, seed) in enumerate(zip(case["p"], case["seeds"], strict=False)):
        np.random.seed(seed)
        o, _ = impl.layers.dropout_forward(case.copy("x"), {"mode": "train", "p": p, "seed": seed})
        out[f"out{i}"] = o
    return out


def dropout_statistics(x: np.ndarray, out: np.ndarray, p: float) -> tuple[float, str]:
    """The largest z-score of (kept fraction, output mean) for one train-mode output, and a detail if off.

    With a Bernoulli(p) keep mask m and n units:
    - the kept fraction k/n has mean p and standard deviation sqrt(p (1 - p) / n);
    - mean(out) - mean(x) = (1/n) sum x_i (m_i / p - 1) has mean 0 and
      variance (1 - p) / p * sum(x_i**2) / n**2.
    The caller compares the z-scores with the tolerance (5 sigma: see SIGMAS).
    """
    n = x.size
    kept = out != 0
    frac = float(kept.mean())
    z_frac = abs(frac - p) / math.sqrt(p * (1 - p) / n)
    sd_mean = math.sqrt((1 - p) / p * float(np.sum(x.astype(np.float64) ** 2))) / n
    z_mean = abs(float(out.mean()) - float(x.mean())) / sd_mean
    detail = ""
    if abs(frac - (1 - p)) < abs(frac - p) and z_frac > SIGMAS:
        detail = f"p={p:g}: {frac:.3f} of the units are kept, about 1 - p: p is the probability of KEEPING a unit"
    elif z_frac > SIGMAS:
        detail = f"p={p:g}: {frac:.3f} of the units are kept, expected about p = {p:g} (z = {z_frac:.1f})"
    elif z_mean > SIGMAS:
        detail = f"p={p:g}: mean(out) = {out.mean():.4g} but mean(x) = {x.mean():.4g}: the expected output must equal x"
    return max(z_frac, z_mean), detail


def _forward_train_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    x = case["x"]
    for name in expected:
        problem = validate(name, got.get(name), expected[name]) if name in got else f"{name}: not returned"
        if problem:
            return Measure(float("inf"), False, problem)
    if all(rel_error(got[k], expected[k]) <= 1e-12 for k in expected):
        return Measure(0.0, True)  # the reference's own mask: nothing more to ask
    worst = 0.0
    for i, p in enumerate(case["p"]):
        out = got[f"out{i}"].astype(np.float64)
        kept = out != 0
        if kept.all() or not kept.any():
            which = "keeps every unit" if kept.all() else "drops every unit"
            return Measure(float("inf"), False, f"p={p:g}: train mode {which}: each unit must be kept with "
                f"probability p")
        scaled = np.abs(out - x / p) <= 1e-9 * np.abs(x / p)
        if not np.all(scaled | ~kept):
            unscaled = np.abs(out - x) <= 1e-9 * np.abs(x)
            if np.all(unscaled | ~kept):
                detail = f"p={p:g}: the kept units equal x: scale them by 1 / p (inverted dropout)"
                return Measure(float("inf"), False, detail)
            bad = int(np.count_nonzero(~(scaled | ~kept)))
            return Measure(float("inf"), False, f"p={p:g}: {bad} of {x.size} outputs are neither 0 nor x / p")
        z, detail = dropout_statistics(x, out, p)
        if z > tolerance:
            return Measure(z, False, detail or f"p={p:g}: the mask statistics are off by {z:.1f} standard deviations")
        worst = max(worst, z)
    return Measure(worst, True)


DROPOUT_FORWARD_TRAIN = Check(
    id="dropout_forward_train",
    question=Q,
    title=N_("dropout_forward, train mode: outputs 0 or x/p, kept fraction ~ p, mean preserved"),
    make_case=_forward_case,
    run=_forward_train,
    compare=_forward_train_compare,
    tolerance=SIGMAS,  # standard deviations of the kept fraction and of the mean (see dropout_statistics)
    calls=("layers.dropout_forward",),
    # No catalogued wrong answers: the diagnosis engine matches them within
    # the check's tolerance, which here counts standard deviations, not a
    # relative error; the comparator names the usual bugs itself (kept
    # units not scaled by 1/p, p taken as the drop probability).
)


# ---------------------------------------------------------------------------
# dropout_forward, test mode; dropout_backward
# ---------------------------------------------------------------------------


def _test_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x of any shape (public (4, 6)); params p (two keep probabilities) and seed."""
    if hidden:
        shape = tuple(int(s) for s in rng.integers(1, 7, size=int(rng.integers(1, 5))))
        scale = float(10 ** rng.uniform(-3, 3))
        ps = [float(rng.uniform(0.1, 0.95)) for _ in range(2)]
    else:
        shape, scale, ps = (4, 6), 1.0, [0.3, 0.8]
    return Case({"x": scale * rng.standard_normal(shape)}, {"p": ps, "seed": int(rng.integers(0, 2**31))})


def _forward_test(impl: Impl, case: Case) -> Arrays:
    out = {}
    for i, p in enumerate(case["p"]):
        np.random.seed(int(case["seed"]))
        o, _ = impl.layers.dropout_forward(case.copy("x"), {"mode": "test", "p": p})
        out[f"out{i}"] = o
    return out


DROPOUT_FORWARD_TEST = Check(
    id="dropout_forward_test",
    question=Q,
    title=N_("dropout_forward, test mode: the identity"),
    make_case=_test_case,
    run=_forward_test,
    compare=compare_values(),
    tolerance=1e-12,  # exact: the identity involves no arithmetic (the rubric needs a positive number)
    calls=("layers.dropout_forward",),
    wrong_answers=("dropout_test_mode_scaled", "dropout_test_mode_divided"),
)


def _backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x without zeros and dout, one shape (public (10, 20); at least 40 units); params p, seed."""
    if hidden:
        shape = tuple(int(s) for s in rng.integers(2, 7, size=int(rng.integers(1, 5))))
        scale = float(10 ** rng.uniform(-3, 3))
        p = float(rng.uniform(0.3, 0.8))
    else:
        shape, scale, p = (10, 20), 1.0, 0.6
    if np.prod(shape) < 40:  # enough units that some are kept and some dropped
        shape = (40, *shape[1:])
    return Case(
        {"x": nonzero_normal(rng, shape, scale), "dout": rng.standard_normal(shape)},
        {"p": p, "seed": int(rng.integers(0, 2**31))},
    )


def _backward(impl: Impl, case: Case) -> Arrays:
    seed, p = int(case["seed"]), case["p"]
    np.random.seed(seed)
    out, cache = impl.layers.dropout_forward(case.copy("x"), {"mode": "train", "p": p, "seed": seed})
    out = np.array(out, copy=True)
    dx = impl.layers.dropout_backward(case.copy("dout"), cache)
    _, cache = impl.layers.dropout_forward(case.copy("x"), {"mode": "test", "p": p})
    dx_test = impl.layers.dropout_backward(case.copy("dout"), cache)
    return {"out": out, "dx": dx, "dx_test": dx_test}


def _backward_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """dx against dout * (out / x), the mask the submission's own forward applied; dx_test against dout."""
    x, dout = case["x"], case["dout"]
    for name in ("out", "dx", "dx_test"):
        problem = validate(name, got.get(name), expected[name]) if name in got else f"{name}: not returned"
        if problem:
            return Measure(float("inf"), False, problem)
    kept = got["out"] != 0
    if kept.all() or not kept.any():
        detail = "the forward pass (train mode) kept every unit or none: dx cannot be checked against its mask"
        return Measure(float("inf"), False, detail)
    own = dout * (got["out"].astype(np.float64) / x)
    err = rel_error(got["dx"], own)
    if err > tolerance:
        detail = (
            f"dx differs from dout * mask, the mask (scaled by 1/p) your forward pass applied (rel error {err:.3g})"
        )
        return Measure(err, False, detail)
    err_test = rel_error(got["dx_test"], dout)
    if err_test > tolerance:
        return Measure(err_test, False, "dx in test mode differs from dout: test-mode dropout is the identity")
    return Measure(max(err, err_test), True)


DROPOUT_BACKWARD = Check(
    id="dropout_backward",
    question=Q,
    title=N_("dropout_backward: dx = dout * mask of the forward pass; identity in test mode"),
    make_case=_backward_case,
    run=_backward,
    compare=_backward_compare,
    tolerance=1e-10,  # dout * (out / x) recomputed here differs from dout * mask by a few ulps
    calls=("layers.dropout_forward", "layers.dropout_backward"),
    wrong_answers=("dropout_backward_ignores_mask", "dropout_backward_not_scaled"),
)


# ---------------------------------------------------------------------------
# FullyConnectedNet with dropout
# ---------------------------------------------------------------------------


def _fc_dropout_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (N, D), y (N,), W{i} (d_{i-1}, d_i), b{i} (d_i,) for D, *hidden_dims, C; params p, reg, seed."""
    # at least 400 hidden units over the batch: a network that drops nothing is told from one at p = 0.9
    if hidden:
        n, c = int(rng.integers(20, 41)), int(rng.integers(2, 7))
        d = int(rng.integers(3, 13))
        dims = [int(w) for w in rng.integers(20, 49, size=int(rng.integers(1, 4)))]
        p = float(rng.choice([0.3, 0.6, 0.75, 0.9]))
        # no regularization: it is FullyConnectedNet's (Q1, fc_net_loss_reg), and a bug in it would
        # cost points here too (issue 13: a bug costs points once, where it is)
        strength = 0.0
    else:
        n, c, d, dims, p, strength = 20, 3, 6, [30, 20], 0.6, 0.0
    all_dims = [d, *dims, c]
    arrays = {"X": rng.standard_normal((n, d)), "y": rng.integers(0, c, size=n)}
    for i in range(1, len(all_dims)):
        arrays[f"W{i}"] = rng.standard_normal((all_dims[i - 1], all_dims[i])) / math.sqrt(all_dims[i - 1])
        arrays[f"b{i}"] = 0.1 * rng.standard_normal(all_dims[i])
    return Case(
        arrays, {"D": d, "C": c, "hidden_dims": dims, "p": p, "reg": strength, "seed": int(rng.integers(0, 2**31))}
    )


def _recording_dropout(impl: Impl) -> tuple[list[np.ndarray], Callable[[], None]]:
    """Record the output of every train-mode ``dropout_forward`` call the submission's modules make.

    Every binding named ``dropout_forward`` in the submission's package
    (``layers`` itself, the names ``from .layers import *`` put in ``fc_net`` or
    ``layer_utils``, a module's own variant) is replaced by a recorder that
    calls it; the second value puts them back.
    """
    impl.fc_net  # noqa: B018 - import the model (and what it imports) before looking for the bindings
    package = getattr(impl, "package", None)
    recorded: list[np.ndarray] = []
    if not isinstance(package, str):
        return recorded, lambda: None
    depth = [0]  # a dropout_forward that calls another one is recorded once, at the outermost call

    def recorder(real):
        def dropout_forward(x, dropout_param):
            depth[0] += 1
            try:
                out, cache = real(x, dropout_param)
            finally:
                depth[0] -= 1
            if depth[0] == 0 and isinstance(dropout_param, dict) and dropout_param.get("mode") == "train":
                recorded.append(np.array(out, dtype=np.float64, copy=True))
            return out, cache

        return dropout_forward

    patched = []
    for name, module in list(sys.modules.items()):
        ours = module is not None and (name == package or name.startswith(f"{package}."))
        real = getattr(module, "dropout_forward", None) if ours else None
        if callable(real):
            module.dropout_forward = recorder(real)
            patched.append((module, real))

    def restore() -> None:
        for module, real in patched:
            module.dropout_forward = real

    return recorded, restore


def _fc_dropout(impl: Impl, case: Case) -> Arrays:
    """The loss and gradients of one train-mode loss, the dropout outputs of two (same seed), test-mode scores."""

    def build():
        return impl.fc_net.FullyConnectedNet(
            list(case["hidden_dims"]),
            input_dim=case["D"],
            num_classes=case["C"],
            dropout_keep_ratio=case["p"],
            reg=case["reg"],
            dtype=np.float64,
            seed=int(case["seed"]),
        )

    recorded, restore = _recording_dropout(impl)
    try:
        np.random.seed(int(case["seed"]))
        model = build()
        names = set_params(model, case)
        out = model_loss_outputs(model, case, names, numeric=False)
        first = len(recorded)
        model.loss(case.copy("X"), case.copy("y"))  # the same seed: the same masks
        again = recorded[first:]
        del recorded[first:]
    finally:
        restore()
    for i, r in enumerate(recorded, 1):
        out[f"dropped{i}"] = r
    for i, r in enumerate(again, 1):
        out[f"again{i}"] = r
    out["scores_test"] = np.array(model.loss(case.copy("X")), copy=True)
    return out


def dropout_net_loss(params: Arrays, X, y, masks: list[np.ndarray], scale: float, reg: float):
    """Loss and gradients of {affine - relu - dropout} x (L - 1) - affine - softmax with the given masks.

    Computed on the trusted side: ``masks[k]`` (0 or 1) and ``scale`` (1 / p)
    are the dropout of hidden layer k + 1; the loss is the mean softmax loss
    plus 0.5 * reg * sum of the squared weights, as FullyConnectedNet's.
    """
    layers = len([k for k in params if k.startswith("W")])
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, layers):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        caches.append((h, z, masks[i - 1]))
        h = np.maximum(z, 0) * masks[i - 1] * scale
    scores = h @ params[f"W{layers}"] + params[f"b{layers}"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -log_probs[np.arange(n), y].mean()
    loss += 0.5 * reg * sum(float(np.sum(params[f"W{i}"] ** 2)) for i in range(1, layers + 1))
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    grads = {f"W{layers}": h.T @ dscores + reg * params[f"W{layers}"], f"b{layers}": dscores.sum(axis=0)}
    dh = dscores @ params[f"W{layers}"].T
    for i in range(layers - 1, 0, -1):
        h_in, z, mask = caches[i - 1]
        dz = dh * mask * scale * (z > 0)
        grads[f"W{i}"] = h_in.T @ dz + reg * params[f"W{i}"]
        grads[f"b{i}"] = dz.sum(axis=0)
        dh = dz @ params[f"W{i}"].T
    return float(loss), grads


#: a network that drops nothing fails only when a correct one would drop something with near certainty
_ALL_KEPT_CHANCE = 1e-9


def _masks_of(got: Arrays, case: Case, params: Arrays) -> tuple[list[np.ndarray], float, int] | str:
    """The masks and the scale the submission's dropout applied, recovered from its outputs; or what is wrong.

    Layer by layer, the trusted forward pass gives the ReLU output ``a``; the
    submission's dropout output must be ``a * mask * scale`` (after a ReLU:
    dropout applied before the ReLU gives the same network) with one constant
    scale. Whether that scale is 1 / p is ``dropout_forward_train``'s business.
    The third value counts the units whose ReLU output is positive (the only
    ones a mask can be read on).
    """
    layers = len(case["hidden_dims"])
    h = np.asarray(case["X"], dtype=np.float64)
    masks, scale, live = [], None, 0
    for i in range(1, layers + 1):
        a = np.maximum(h @ params[f"W{i}"] + params[f"b{i}"], 0)
        out = np.maximum(np.asarray(got[f"dropped{i}"], dtype=np.float64), 0)
        if out.shape != a.shape:
            return f"the output of dropout_forward in hidden layer {i} has shape {out.shape}, expected {a.shape}"
        kept = (out != 0) & (a > 0)
        if scale is None and kept.any():
            scale = float(np.median(out[kept] / a[kept]))
        s = scale if scale is not None else 1.0
        mask = kept.astype(np.float64)
        if np.max(np.abs(out - a * mask * s), initial=0.0) > 1e-8 * max(1.0, float(np.max(a, initial=0.0)) * s):
            return (
                f"the output of dropout_forward in hidden layer {i} is not the ReLU output times a 0/1 mask and "
                "one constant scale: dropout must come right after each hidden layer's ReLU"
            )
        masks.append(mask)
        live += int(np.count_nonzero(a > 0))
        h = a * mask * s
    return masks, scale if scale is not None else 1.0, live


def _fc_dropout_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """Judged here from the submission's outputs alone: nothing the sandbox computes for the grader counts.

    1. test-mode scores against the reference (dropout is off, deterministic);
    2. the masks its dropout applied, recovered from the recorded outputs of
       ``dropout_forward`` (``_masks_of``), are the same at the second loss
       with the same seed, and drop something when p < 1 makes that certain;
    3. its loss and gradients against those of the same network with those
       masks, computed here (``dropout_net_loss``): a missing or wrong
       ``dropout_backward`` differs by about 1e-1.
    """
    layers = len(case["hidden_dims"])
    calls = len([k for k in got if k.startswith("dropped")])
    if calls != layers:
        return Measure(
            float("inf"),
            False,
            f"one training-mode loss called dropout_forward {calls} times, expected {layers} (once per hidden layer, "
            "after its ReLU)" + (": dropout is not applied in train mode" if calls == 0 else ""),
        )
    for name in expected:
        problem = validate(name, got.get(name), expected[name]) if name in got else f"{name}: not returned"
        if problem:
            return Measure(float("inf"), False, problem)
    # 1. test mode is deterministic: dropout is off (float64, 1e-8 as the Q1 model checks)
    err = rel_error(got["scores_test"], expected["scores_test"])
    if err > 1e-8:
        return Measure(err, False, f"scores in test mode differ (rel error {err:.3g}): at test time dropout is "
            f"the identity")
    params = {k: np.asarray(case[k], dtype=np.float64) for k in case.arrays if k[:1] in "Wb" and k[1:].isdigit()}
    found = _masks_of(got, case, params)
    if isinstance(found, str):
        return Measure(float("inf"), False, found)
    masks, scale, live = found
    # 2. the seed is honoured; something is dropped
    for i in range(1, layers + 1):
        if not np.array_equal(np.asarray(got[f"dropped{i}"]) != 0, np.asarray(got[f"again{i}"]) != 0):
            return Measure(float("inf"), False, f"two losses with the same seed dropped different units in hidden "
                f"layer {i}: dropout_forward must seed NumPy's generator with dropout_param['seed'] when given")
    kept = int(sum(m.sum() for m in masks))
    if kept == live and float(case["p"]) ** max(live, 1) < _ALL_KEPT_CHANCE:
        return Measure(float("inf"), False, "no unit was dropped in train mode: dropout is not applied in train mode")
    # 3. the loss and gradients of the network with those masks, computed here
    loss, grads = dropout_net_loss(params, case["X"], np.asarray(case["y"]), masks, scale, float(case["reg"]))
    worst, worst_name = rel_error(got["loss"], np.asarray(loss)), "loss"
    for name, g in grads.items():
        e = norm_rel_error(got[f"d{name}"], g)
        if e >= worst:
            worst, worst_name = e, f"d{name}"
    if worst > tolerance:
        return Measure(
            worst,
            False,
            f"{worst_name} differs from that of the same network with the units your dropout_forward dropped "
            f"(rel error {worst:.3g}): the backward pass must apply dropout_backward with the mask of the forward pass",
        )
    return Measure(worst, True)


FC_NET_DROPOUT = Check(
    id="fc_net_dropout",
    question=Q,
    title=N_(
        "FullyConnectedNet with dropout: loss and gradients with the units it dropped, the seed, test-mode scores"
    ),
    make_case=_fc_dropout_case,
    run=_fc_dropout,
    compare=_fc_dropout_compare,
    # norm-wise relative error of the gradients (cs231n's relative error of the
    # loss) against the same float64 network with the same masks computed on
    # the trusted side: only the order of the sums differs (below 1e-12); a
    # missing or wrong dropout_backward is about 1e-1
    tolerance=1e-8,
    calls=("fc_net.FullyConnectedNet", "layers.dropout_forward", "layers.dropout_backward"),
)


CHECKS = (
    DROPOUT_FORWARD_TRAIN,
    DROPOUT_FORWARD_TEST,
    DROPOUT_BACKWARD,
    FC_NET_DROPOUT,
)
