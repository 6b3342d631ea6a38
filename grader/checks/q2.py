"""Q2: batch normalization and layer normalization.

The layers (``batchnorm_forward`` in both modes, its running averages, the two
backward passes, ``layernorm_forward/backward``), the normalization layers
wired into ``FullyConnectedNet``, and the numerical stability of the variance.

Public cases have fixed shapes; hidden cases (``hidden=True``) draw other
shapes, magnitudes from 1e-3 to 1e3, other eps and momentum values, and other
network depths. Inputs are float64, so a correct float64 implementation
agrees with the reference to ~1e-13; the tolerances below leave room for a
different but correct order of operations (the computation graph against the
closed form, ``np.var`` against a hand-written mean of squares) and, on the
gradients, for elements that cancel to nearly zero.
"""
from __future__ import annotations

import numpy as np

from ..compare import compare_gradients, compare_values, validate
from ..i18n import N_
from .base import Arrays, Case, Check, Impl, Measure
from .common import compare_all_gradients, edge, log_uniform, numeric_gradients, scalar_gradient

Q = "q2"


def _features(rng: np.random.Generator, n: int, d: int, scales: np.ndarray, offset: float = 5.0) -> np.ndarray:
    """(n, d) data, column j of scale ``scales[j]`` and a mean of up to ``offset`` times that scale."""
    means = offset * scales * rng.uniform(-1, 1, size=d)
    return means + scales * rng.standard_normal((n, d))


def _bn_param(case: Case, mode: str) -> dict:
    param = {"mode": mode, "eps": float(case["eps"])}
    if "momentum" in case.params:
        param["momentum"] = float(case["momentum"])
    return param


# ---------------------------------------------------------------------------
# batchnorm_forward
# ---------------------------------------------------------------------------


def _bn_train_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, D), gamma (D,) of both signs, beta (D,); params eps."""
    if hidden:
        n, d = int(rng.integers(3, 13)), int(rng.integers(2, 7))
        scales = log_uniform(rng, 1e-3, 1e3, size=d)
        eps = float(rng.choice([1e-5, 1e-3, 1e-1]))
    else:
        # One feature of scale 0.05 (variance 2.5e-3): there sqrt(var + eps)
        # and sqrt(var) + eps differ by 2e-3, so a misplaced eps shows.
        n, d, eps = 10, 4, 1e-5
        scales = np.array([0.05, 1.0, 3.0, 10.0])
    return Case(
        {
            "x": _features(rng, n, d, scales),
            "gamma": rng.uniform(0.5, 2.0, size=d) * rng.choice([-1.0, 1.0], size=d),
            "beta": rng.standard_normal(d),
        },
        {"eps": eps},
    )


def _bn_forward_train(impl: Impl, case: Case) -> Arrays:
    param = _bn_param(case, "train")
    out, _ = impl.layers.batchnorm_forward(case.copy("x"), case.copy("gamma"), case.copy("beta"), param)
    return {"out": out}


BATCHNORM_FORWARD_TRAIN = Check(
    id="batchnorm_forward_train",
    question=Q,
    title=N_("batchnorm_forward, train mode: output"),
    make_case=_bn_train_case,
    run=_bn_forward_train,
    compare=compare_values(["out"]),
    # float64 agrees to ~1e-14; the smallest bug it must see (eps outside
    # the square root on the feature of variance 2.5e-3) is 2e-3.
    tolerance=1e-8,
    calls=("layers.batchnorm_forward",),
    wrong_answers=("bn_unbiased_var", "bn_eps_outside_sqrt", "bn_no_gamma_beta", "bn_normalized_over_features"),
)


def _bn_stats_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, D) with means far from 0, gamma (D,), beta (D,); params eps."""
    if hidden:
        n, d = int(rng.integers(20, 60)), int(rng.integers(2, 7))
        scales = log_uniform(rng, 1e-3, 1e3, size=d)
    else:
        n, d = 50, 3
        scales = np.array([4.0, 13.0, 30.0])
    return Case(
        {
            "x": _features(rng, n, d, scales, offset=10.0),
            "gamma": rng.uniform(0.5, 3.0, size=d),
            "beta": rng.uniform(-2.0, 2.0, size=d),
        },
        {"eps": 1e-5},
    )


def _compare_normalized(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """Each output feature must have mean beta and standard deviation |gamma| (up to the eps term).

    The exact standard deviation is |gamma| * sqrt(var / (var + eps)) with var
    the biased variance of the input feature; both errors are measured
    relative to |gamma|.
    """
    problem = validate("out", got.get("out"), expected["out"])
    if problem:
        return Measure(float("inf"), False, problem)
    out = np.asarray(got["out"], dtype=np.float64)
    x = np.asarray(case["x"], dtype=np.float64)
    gamma, beta, eps = np.abs(case["gamma"]), case["beta"], float(case["eps"])
    var = x.var(axis=0)
    want_std = gamma * np.sqrt(var / (var + eps))
    mean_err = np.abs(out.mean(axis=0) - beta) / gamma
    std_err = np.abs(out.std(axis=0) - want_std) / gamma
    worst = float(max(mean_err.max(), std_err.max()))
    if worst <= tolerance:
        return Measure(worst, True)
    j = int(np.argmax(np.maximum(mean_err, std_err)))
    detail = (
        f"feature {j} of the output has mean {out[:, j].mean():.6g} (beta {beta[j]:.6g}) and std "
        f"{out[:, j].std():.6g} (|gamma| {gamma[j]:.6g}): the output should have mean beta and std |gamma|"
    )
    return Measure(worst, False, detail)


BATCHNORM_FORWARD_NORMALIZES = Check(
    id="batchnorm_forward_normalizes",
    question=Q,
    title=N_("batchnorm_forward, train mode: each output feature has mean beta and std |gamma|"),
    make_case=_bn_stats_case,
    run=_bn_forward_train,
    compare=_compare_normalized,
    # The property holds to rounding (~1e-15); the N - 1 variance with
    # N <= 60 is off by more than 8e-3.
    tolerance=1e-6,
    calls=("layers.batchnorm_forward",),
)


def _bn_test_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, D), gamma, beta, running_mean, running_var (D,); params eps, mode='test'."""
    if hidden:
        n, d = int(rng.integers(2, 10)), int(rng.integers(2, 7))
        scale = float(log_uniform(rng, 1e-3, 1e3))
        eps = float(rng.choice([1e-5, 1e-2, 1e-1]))
    else:
        # eps = 0.05 with running variances of 0.2 to 2: eps's place matters.
        n, d, scale, eps = 6, 5, 1.0, 0.05
    running_var = scale**2 * rng.uniform(0.2, 2.0, size=d)
    return Case(
        {
            "x": scale * (rng.standard_normal((n, d)) + rng.uniform(-3, 3, size=d)),
            "gamma": rng.uniform(0.5, 2.0, size=d),
            "beta": rng.standard_normal(d),
            "running_mean": scale * rng.uniform(-2, 2, size=d),
            "running_var": running_var,
        },
        {"eps": eps, "mode": "test"},
    )


def _bn_forward_test(impl: Impl, case: Case) -> Arrays:
    param = _bn_param(case, "test")
    param["running_mean"] = case.copy("running_mean")
    param["running_var"] = case.copy("running_var")
    out, _ = impl.layers.batchnorm_forward(case.copy("x"), case.copy("gamma"), case.copy("beta"), param)
    return {"out": out}


BATCHNORM_FORWARD_TEST = Check(
    id="batchnorm_forward_test",
    question=Q,
    title=N_("batchnorm_forward, test mode: normalizes with the running statistics"),
    make_case=_bn_test_case,
    run=_bn_forward_test,
    compare=compare_values(["out"]),
    tolerance=1e-8,  # float64, a few operations per element; the eps bug is ~1e-2 here
    calls=("layers.batchnorm_forward",),
    wrong_answers=("bn_test_uses_batch_stats", "bn_eps_outside_sqrt", "bn_test_running_var_as_std"),
)


def _bn_running_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x_steps (S, N, D), x_test (N, D), gamma, beta (D,), maybe running_mean0/var0 (D,); params eps[, momentum]."""
    if hidden:
        steps, n, d = int(rng.integers(2, 6)), int(rng.integers(3, 10)), int(rng.integers(2, 6))
        scales = log_uniform(rng, 1e-3, 1e3, size=d)
        momentum = [0.7, 0.9, 0.95, None][int(rng.integers(0, 4))]  # None: the default (0.9)
        initial = bool(rng.integers(0, 2))
    else:
        # momentum 0.75, not the default 0.9, so a hard-coded 0.9 shows;
        # the running statistics start from the default zeros.
        steps, n, d, momentum, initial = 4, 8, 3, 0.75, False
        scales = np.array([0.5, 2.0, 5.0])
    means = 3 * scales * rng.uniform(-1, 1, size=d)
    arrays = {
        "x_steps": means + scales * rng.standard_normal((steps, n, d)),
        "x_test": means + scales * rng.standard_normal((n, d)),
        "gamma": rng.uniform(0.5, 2.0, size=d),
        "beta": rng.standard_normal(d),
    }
    if initial:
        arrays["running_mean0"] = means + scales * rng.standard_normal(d)
        arrays["running_var0"] = scales**2 * rng.uniform(0.5, 2.0, size=d)
    params = {"eps": 1e-5} if momentum is None else {"eps": 1e-5, "momentum": momentum}
    return Case(arrays, params)


def _bn_running(impl: Impl, case: Case) -> Arrays:
    forward = impl.layers.batchnorm_forward
    gamma, beta = case.copy("gamma"), case.copy("beta")
    param = _bn_param(case, "train")
    if "running_mean0" in case.arrays:
        param["running_mean"] = case.copy("running_mean0")
        param["running_var"] = case.copy("running_var0")
    for x in case.copy("x_steps"):
        forward(np.array(x), gamma, beta, param)
    running_mean = np.array(param["running_mean"], dtype=np.float64, copy=True)
    running_var = np.array(param["running_var"], dtype=np.float64, copy=True)
    param["mode"] = "test"
    out_test, _ = forward(case.copy("x_test"), gamma, beta, param)
    return {"running_mean": running_mean, "running_var": running_var, "out_test": out_test}


BATCHNORM_RUNNING_STATS = Check(
    id="batchnorm_running_stats",
    question=Q,
    title=N_("batchnorm_forward: running mean and variance after several training steps (momentum)"),
    make_case=_bn_running_case,
    run=_bn_running,
    compare=compare_values(["running_mean", "running_var", "out_test"]),
    tolerance=1e-8,  # float64 exponential averages of a few steps
    calls=("layers.batchnorm_forward",),
    wrong_answers=("bn_running_not_updated", "bn_momentum_swapped", "bn_running_var_unbiased", "bn_running_std"),
)


# ---------------------------------------------------------------------------
# batchnorm_backward, batchnorm_backward_alt
# ---------------------------------------------------------------------------


def _bn_backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_bn_train_case's x (N, D), gamma (D,), beta (D,) plus dout (N, D); params eps, axis=0."""
    case = _bn_train_case(rng, hidden)
    x = case["x"]
    arrays = dict(case.arrays, dout=rng.standard_normal(x.shape))
    return Case(arrays, {**case.params, "axis": 0})


def _norm_backward(forward, backward, case: Case, param: dict) -> Arrays:
    """Analytic gradients of ``backward`` and numeric ones of ``forward`` (the student's own)."""
    x, gamma, beta, dout = case.copy("x"), case.copy("gamma"), case.copy("beta"), case.copy("dout")
    _, cache = forward(x, gamma, beta, dict(param))
    dx, dgamma, dbeta = backward(dout, cache)

    def out(x_, gamma_, beta_):
        return forward(x_, gamma_, beta_, dict(param))[0]

    numeric = numeric_gradients(
        {
            "dx_num": (lambda v: out(v, gamma, beta), x, dout),
            "dgamma_num": (lambda v: out(x, v, beta), gamma, dout),
            "dbeta_num": (lambda v: out(x, gamma, v), beta, dout),
        }
    )
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, **numeric}


def _bn_backward(impl: Impl, case: Case) -> Arrays:
    return _norm_backward(impl.layers.batchnorm_forward, impl.layers.batchnorm_backward, case, _bn_param(case, "train"))


BATCHNORM_BACKWARD = Check(
    id="batchnorm_backward",
    question=Q,
    title=N_("batchnorm_backward (computation graph): dx, dgamma, dbeta"),
    make_case=_bn_backward_case,
    run=_bn_backward,
    compare=compare_gradients({"dx": "dx_num", "dgamma": "dgamma_num", "dbeta": "dbeta_num"}),
    # Analytic against analytic in float64: ~1e-12 on typical elements; dx
    # sums to zero over the batch, so a few elements nearly cancel.
    tolerance=1e-7,
    calls=("layers.batchnorm_forward", "layers.batchnorm_backward"),
    wrong_answers=("norm_dgamma_wrong_axis", "norm_dbeta_wrong_axis", "bn_dx_without_mean_terms"),
)


def _bn_backward_alt(impl: Impl, case: Case) -> Arrays:
    layers = impl.layers
    return _norm_backward(layers.batchnorm_forward, layers.batchnorm_backward_alt, case, _bn_param(case, "train"))


BATCHNORM_BACKWARD_ALT = Check(
    id="batchnorm_backward_alt",
    question=Q,
    title=N_("batchnorm_backward_alt (simplified formula): dx, dgamma, dbeta"),
    make_case=_bn_backward_case,
    run=_bn_backward_alt,
    compare=compare_gradients({"dx": "dx_num", "dgamma": "dgamma_num", "dbeta": "dbeta_num"}),
    tolerance=1e-7,  # as batchnorm_backward
    calls=("layers.batchnorm_forward", "layers.batchnorm_backward_alt"),
    wrong_answers=("norm_dgamma_wrong_axis", "norm_dbeta_wrong_axis", "bn_dx_without_mean_terms"),
)


# ---------------------------------------------------------------------------
# layernorm_forward, layernorm_backward
# ---------------------------------------------------------------------------


def _ln_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, D) rows of different scales, gamma (D,), beta (D,), dout (N, D); params eps, axis=1."""
    if hidden:
        n, d = int(rng.integers(2, 9)), int(rng.integers(3, 9))
        row_scales = log_uniform(rng, 1e-3, 1e3, size=n)
        eps = float(rng.choice([1e-5, 1e-3, 1e-1]))
    else:
        # Rows of different scales and means, one of variance ~1e-2 so eps matters a little.
        n, d, eps = 4, 6, 1e-5
        row_scales = np.array([0.1, 1.0, 4.0, 20.0])
    x = row_scales[:, None] * (rng.standard_normal((n, d)) + rng.uniform(-3, 3, size=(n, 1)))
    return Case(
        {
            "x": x,
            "gamma": rng.uniform(0.5, 2.0, size=d) * rng.choice([-1.0, 1.0], size=d),
            "beta": rng.standard_normal(d),
            "dout": rng.standard_normal((n, d)),
        },
        {"eps": eps, "axis": 1},
    )


def _ln_forward(impl: Impl, case: Case) -> Arrays:
    param = {"eps": float(case["eps"])}
    out, _ = impl.layers.layernorm_forward(case.copy("x"), case.copy("gamma"), case.copy("beta"), param)
    return {"out": out}


LAYERNORM_FORWARD = Check(
    id="layernorm_forward",
    question=Q,
    title=N_("layernorm_forward: output"),
    make_case=_ln_case,
    run=_ln_forward,
    compare=compare_values(["out"]),
    tolerance=1e-8,  # as batchnorm_forward_train
    calls=("layers.layernorm_forward",),
    wrong_answers=("ln_over_batch_axis", "ln_unbiased_var"),
)


def _ln_backward(impl: Impl, case: Case) -> Arrays:
    layers = impl.layers
    return _norm_backward(layers.layernorm_forward, layers.layernorm_backward, case, {"eps": float(case["eps"])})


LAYERNORM_BACKWARD = Check(
    id="layernorm_backward",
    question=Q,
    title=N_("layernorm_backward: dx, dgamma, dbeta"),
    make_case=_ln_case,
    run=_ln_backward,
    compare=compare_gradients({"dx": "dx_num", "dgamma": "dgamma_num", "dbeta": "dbeta_num"}),
    tolerance=1e-7,  # as batchnorm_backward
    calls=("layers.layernorm_forward", "layers.layernorm_backward"),
    wrong_answers=("norm_dgamma_wrong_axis", "norm_dbeta_wrong_axis"),
)


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------


def _large_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x_bn (N, D) with a constant column, x_ln (N, D) with a constant row, gamma, beta (D,); params eps."""
    # Inputs far from zero: a one-pass variance E[x^2] - E[x]^2 loses every digit.
    #
    # With an offset of 1e7 and a spread of ~1, E[x^2] is 1e14 and its rounding
    # error (~1e-2) is a percent of the variance; one constant feature (variance
    # exactly 0) makes the one-pass variance negative, and its square root NaN.
    if hidden:
        n, d = int(rng.integers(4, 12)), int(rng.integers(3, 7))
        offset = float(log_uniform(rng, 1e6, 1e8)) * float(rng.choice([-1.0, 1.0]))
        spread = float(log_uniform(rng, 0.3, 3.0))
    else:
        n, d, offset, spread = 8, 5, 1e7, 1.0
    x_bn = offset + spread * rng.standard_normal((n, d))
    x_bn[:, 0] = offset  # a constant feature
    x_ln = offset + spread * rng.standard_normal((n, d))
    x_ln[0, :] = offset  # a constant example
    return Case(
        {
            "x_bn": x_bn,
            "x_ln": x_ln,
            "gamma": rng.uniform(0.5, 2.0, size=d),
            "beta": rng.standard_normal(d),
        },
        {"eps": 1e-5},
    )


def _large(impl: Impl, case: Case) -> Arrays:
    gamma, beta = case.copy("gamma"), case.copy("beta")
    out_bn, _ = impl.layers.batchnorm_forward(case.copy("x_bn"), gamma, beta, _bn_param(case, "train"))
    out_ln, _ = impl.layers.layernorm_forward(case.copy("x_ln"), gamma, beta, {"eps": float(case["eps"])})
    return {"out_bn": out_bn, "out_ln": out_ln}


NORM_LARGE_INPUTS = Check(
    id="norm_large_inputs",
    question=Q,
    title=N_("batchnorm and layernorm forward on inputs near 1e7 (numerically stable variance)"),
    make_case=_large_case,
    run=_large,
    compare=compare_values(["out_bn", "out_ln"]),
    # A two-pass variance loses ~1e-9 (the mean of numbers near 1e7 is
    # exact to ~1e-9); the one-pass E[x^2] - E[x]^2 is off by ~1e-2 or NaN.
    tolerance=1e-5,
    calls=("layers.batchnorm_forward", "layers.layernorm_forward"),
)


# ---------------------------------------------------------------------------
# FullyConnectedNet with batch / layer normalization
# ---------------------------------------------------------------------------

_NOT_PARAMS = ("X", "y", "X_test")


def _fc_case(normalization: str):
    """X (N, D), y (N,), X_test (N+1, D), W{i} (d_{i-1}, d_i), b{i} (d_i,), gamma{i}/beta{i} (d_i,) hidden only."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            n = int(rng.integers(3, 7))
            d = int(rng.integers(2, 6))
            # one hidden layer, then two or three (a bug shared across layers shows only there)
            hidden_dims = [int(h) for h in rng.integers(2, 7, size=edge(hidden, (1, 2, 3)))]
            c = int(rng.integers(2, 5))
            scale = float(log_uniform(rng, 1e-3, 1e3))
        else:
            n, d, hidden_dims, c, scale = 4, 3, [4, 5], 3, 1.0
        dims = [d, *hidden_dims, c]
        arrays: dict[str, np.ndarray] = {
            "X": scale * rng.standard_normal((n, d)),
            "y": rng.integers(0, c, size=n),
            "X_test": scale * rng.standard_normal((n + 1, d)),
        }
        for i in range(1, len(dims)):
            arrays[f"W{i}"] = rng.standard_normal((dims[i - 1], dims[i])) / np.sqrt(dims[i - 1])
            arrays[f"b{i}"] = 0.1 * rng.standard_normal(dims[i])
            if i < len(dims) - 1:
                arrays[f"gamma{i}"] = rng.uniform(0.7, 1.3, size=dims[i])
                arrays[f"beta{i}"] = 0.3 * rng.standard_normal(dims[i])
        return Case(arrays, {"hidden_dims": hidden_dims, "normalization": normalization})

    return make


def _fc_model(impl: Impl, case: Case):
    """The student's net with the case's parameters (so its weight init does not matter here).

    Returns the model and the gammas and betas its constructor made, in order.
    """
    np.random.seed(0)  # the constructor draws weights; they are replaced below
    hidden_dims = [int(h) for h in case["hidden_dims"]]
    model = impl.fc_net.FullyConnectedNet(
        list(hidden_dims),  # a copy: a model may append to the list it is given
        input_dim=int(case["X"].shape[1]),
        num_classes=int(case[f"W{len(hidden_dims) + 1}"].shape[1]),
        normalization=case["normalization"],
        reg=0.0,  # the L2 term is Q1's business
        weight_scale=1e-2,
        dtype=np.float64,
    )
    L = len(hidden_dims)
    lacking = [f"{p}{i}" for i in range(1, L + 1) for p in ("gamma", "beta") if f"{p}{i}" not in model.params]
    if lacking:
        raise LookupError(
            f"FullyConnectedNet(normalization={case['normalization']!r}) made no params[{lacking[0]!r}]: "
            f"each hidden layer i needs gamma{{i}} (ones) and beta{{i}} (zeros) for {case['normalization']}"
        )
    made = {
        "gamma_init": np.concatenate([np.ravel(model.params[f"gamma{i}"]) for i in range(1, L + 1)]),
        "beta_init": np.concatenate([np.ravel(model.params[f"beta{i}"]) for i in range(1, L + 1)]),
    }
    for name in case.arrays:
        if name not in _NOT_PARAMS:
            model.params[name] = case.copy(name)
    return model, made


def _fc_loss(impl: Impl, case: Case) -> Arrays:
    model, made = _fc_model(impl, case)
    loss, _ = model.loss(case.copy("X"), case.copy("y"))
    # One training pass updated the running averages; the test-mode scores use them.
    scores = model.loss(case.copy("X_test"))
    return {"loss": np.asarray(loss, dtype=np.float64), "scores_test": scores, **made}


FC_NET_BATCHNORM_LOSS = Check(
    id="fc_net_batchnorm_loss",
    question=Q,
    title=N_("FullyConnectedNet with batchnorm: gamma/beta init, loss, test-mode scores after one step"),
    make_case=_fc_case("batchnorm"),
    run=_fc_loss,
    compare=compare_values(["gamma_init", "beta_init", "loss", "scores_test"]),
    tolerance=1e-7,  # float64 through a few layers
    calls=("fc_net.FullyConnectedNet", "layers.batchnorm_forward"),
)


def _fc_grads(impl: Impl, case: Case) -> Arrays:
    """Every gradient; numeric ones (for the diagnosis) of the first layer and the normalizations.

    The first layer's gradient passes through the whole backward pass, so
    its numeric counterpart tells whether the backward differentiates the
    forward; the other layers' numeric gradients would double the time.
    """
    model, _ = _fc_model(impl, case)
    X, y = case.copy("X"), case.copy("y")
    loss, grads = model.loss(X, y)
    out: Arrays = {"loss": np.asarray(loss, dtype=np.float64)}
    L = len(case["hidden_dims"]) + 1
    # The bias of an affine layer followed by a batchnorm has a gradient of
    # exactly 0 (the batchnorm subtracts it again): what any implementation
    # returns there is rounding noise, which a relative error cannot judge.
    skip = {f"b{i}" for i in range(1, L)} if case["normalization"] == "batchnorm" else set()
    for name in case.arrays:
        if name in _NOT_PARAMS or name in skip:
            continue
        out[name] = grads[name]
        if name in ("W1", "b1") or name.startswith(("gamma", "beta")):
            out[f"{name}_num"] = scalar_gradient(lambda: model.loss(X, y)[0], model.params[name])
    return out


FC_NET_BATCHNORM_GRADS = Check(
    id="fc_net_batchnorm_grads",
    question=Q,
    title=N_("FullyConnectedNet with batchnorm: gradients of every parameter"),
    make_case=_fc_case("batchnorm"),
    run=_fc_grads,
    compare=compare_all_gradients,
    # Analytic against analytic in float64 through the layers: the
    # computation graph and the closed form agree to ~1e-11 on hidden
    # cases (the hidden biases, of gradient exactly 0, are not compared).
    tolerance=1e-6,
    calls=("fc_net.FullyConnectedNet", "layers.batchnorm_forward", "layers.batchnorm_backward"),
    timeout=30.0,
)


FC_NET_LAYERNORM_GRADS = Check(
    id="fc_net_layernorm_grads",
    question=Q,
    title=N_("FullyConnectedNet with layernorm: loss and gradients of every parameter"),
    make_case=_fc_case("layernorm"),
    run=_fc_grads,
    compare=compare_all_gradients,
    tolerance=1e-6,  # as fc_net_batchnorm_grads
    calls=("fc_net.FullyConnectedNet", "layers.layernorm_forward", "layers.layernorm_backward"),
    timeout=30.0,
)


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------


CHECKS = (
    BATCHNORM_FORWARD_TRAIN,
    BATCHNORM_FORWARD_NORMALIZES,
    BATCHNORM_FORWARD_TEST,
    BATCHNORM_RUNNING_STATS,
    BATCHNORM_BACKWARD,
    BATCHNORM_BACKWARD_ALT,
    FC_NET_BATCHNORM_LOSS,
    FC_NET_BATCHNORM_GRADS,
    LAYERNORM_FORWARD,
    LAYERNORM_BACKWARD,
    FC_NET_LAYERNORM_GRADS,
    NORM_LARGE_INPUTS,
)
