"""Q4: convolutional networks.

The naive convolution and max-pooling layers (forward and backward, with
strides, paddings, non-square filters and pools, overlapping windows),
``ThreeLayerConvNet`` (initialization, loss, gradients, and whether it can
overfit a small data set), spatial batch normalization and spatial group
normalization.

Public cases have fixed shapes; hidden cases (``hidden=True``) draw other
shapes, strides, paddings, pool sizes, group counts and magnitudes (1e-3 to
1e3). Inputs are float64 unless a case says otherwise.
"""

from __future__ import annotations

import numpy as np

from ..compare import compare_gradients, compare_values, validate
from ..i18n import N_
from .base import Arrays, Case, Check, Impl, Measure
from .common import (
    clusters,
    compare_all_gradients,
    edge,
    log_uniform,
    numeric_gradients,
    scalar_gradient,
    trained_accuracies,
)

Q = "q4"


def _span(rng: np.random.Generator, filt: int, stride: int, pad: int, min_out: int = 1, max_out: int = 4) -> int:
    """An input size that ``stride`` tiles exactly: (size + 2 * pad - filt) % stride == 0, size >= 1."""
    out = int(rng.integers(min_out, max_out + 1))
    while (out - 1) * stride + filt - 2 * pad < 1:
        out += 1
    return (out - 1) * stride + filt - 2 * pad


# ---------------------------------------------------------------------------
# conv_forward_naive, conv_backward_naive
# ---------------------------------------------------------------------------

#: The public convolutions: (N, C, H, W), (F, HH, WW), stride, pad.
_PUBLIC_CONVS = (
    ((2, 3, 6, 6), (3, 3, 3), 1, 1),  # the usual 3x3, stride 1, pad 1 ("same")
    ((2, 3, 5, 7), (4, 3, 5), 2, 1),  # a non-square filter, stride 2
    ((1, 2, 7, 6), (2, 2, 4), 3, 2),  # even and non-square, stride 3, pad 2
)


#: The edges a set of convolutions covers, one per hidden draw (``common.edge``) or one per
#: convolution of a case: (pad, stride, N, square filter). Each bug of tests/mutants/a2_edges.py
#: that only pad 0, stride 1, N >= 2 or a non-square filter shows meets its edge in every cycle.
_CONV_EDGES = ((0, 2, 2, False), (1, 1, 1, True), (2, 3, 2, False))


def _random_conv(rng: np.random.Generator, small: bool, edges: tuple | None = None) -> tuple:
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    hh, ww = (int(v) for v in rng.integers(1, 5, size=2))
    n, c, f = int(rng.integers(1, 3)), int(rng.integers(2, 4)), int(rng.integers(1, 4))
    if edges is not None:
        pad, stride, n, square = edges
        hh = int(rng.integers(2, 5))
        ww = hh if square else int(rng.choice([v for v in (1, 2, 3, 4) if v != hh]))
    top = 2 if small else 4
    low = 2 if edges is not None else 1  # the hidden edges: at least 2 positions per axis (dw accumulates)
    h, w = _span(rng, hh, stride, pad, low, max(top, low)), _span(rng, ww, stride, pad, low, max(top, low))
    return (n, c, h, w), (f, hh, ww), stride, pad


def _conv_arrays(rng: np.random.Generator, x_shape, w_shape, scale: float, suffix: str = "") -> Arrays:
    _, c, _, _ = x_shape
    f, hh, ww = w_shape
    return {
        f"x{suffix}": scale * rng.standard_normal(x_shape),
        f"w{suffix}": rng.standard_normal((f, c, hh, ww)) / np.sqrt(c * hh * ww),
        f"b{suffix}": rng.standard_normal(f),
    }


def _conv_forward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x{k} (N, C, H, W), w{k} (F, C, HH, WW), b{k} (F,) for k = 0, 1, 2; params convs: stride, pad per k."""
    configs = [_random_conv(rng, False, edges) for edges in _CONV_EDGES] if hidden else list(_PUBLIC_CONVS)
    arrays: Arrays = {}
    convs = []
    for k, (x_shape, w_shape, stride, pad) in enumerate(configs):
        scale = log_uniform(rng, 1e-3, 1e3) if hidden else 1.0
        arrays.update(_conv_arrays(rng, x_shape, w_shape, scale, str(k)))
        convs.append({"stride": stride, "pad": pad})
    return Case(arrays, {"convs": convs})


def _conv_forward(impl: Impl, case: Case) -> Arrays:
    out = {}
    for k, conv in enumerate(case["convs"]):
        param = {"stride": int(conv["stride"]), "pad": int(conv["pad"])}
        x, w, b = case.copy(f"x{k}"), case.copy(f"w{k}"), case.copy(f"b{k}")
        out[f"out{k}"], _ = impl.layers.conv_forward_naive(x, w, b, param)
    return out


CONV_FORWARD_NAIVE = Check(
    id="conv_forward_naive",
    question=Q,
    title=N_("conv_forward_naive: three convolutions (strides 1 to 3, pads 1 and 2, non-square filters)"),
    make_case=_conv_forward_case,
    run=_conv_forward,
    compare=compare_values(),
    # Sums of at most ~50 products in float64: a loop-based and a
    # vectorized implementation agree to ~1e-13 (an output that nearly
    # cancels has a large relative error); every bug catalogued moves
    # whole outputs by O(1).
    tolerance=1e-8,
    calls=("layers.conv_forward_naive",),
    wrong_answers=(
        "conv_no_bias",
        "conv_bias_per_input_channel",
        "conv_flipped_filter",
        "conv_no_padding",
        "conv_stride_ignored",
    ),
    naive=True,
)


def _conv_backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, C, H, W), w (F, C, HH, WW), b (F,), dout (N, F, H', W'); params stride, pad."""
    if hidden:
        x_shape, w_shape, stride, pad = _random_conv(rng, True, edge(hidden, _CONV_EDGES))
        scale = log_uniform(rng, *edge(hidden, ((1e-3, 1.0), (1.0, 1e3), (1e-3, 1e3))))
    else:
        x_shape, w_shape, stride, pad, scale = (2, 2, 5, 4), (2, 3, 2), 2, 1, 1.0
    arrays = _conv_arrays(rng, x_shape, w_shape, scale)
    h_out = 1 + (x_shape[2] + 2 * pad - w_shape[1]) // stride
    w_out = 1 + (x_shape[3] + 2 * pad - w_shape[2]) // stride
    arrays["dout"] = rng.standard_normal((x_shape[0], w_shape[0], h_out, w_out))
    return Case(arrays, {"stride": stride, "pad": pad})


def _conv_backward(impl: Impl, case: Case) -> Arrays:
    forward = impl.layers.conv_forward_naive
    x, w, b, dout = case.copy("x"), case.copy("w"), case.copy("b"), case.copy("dout")
    param = {"stride": int(case["stride"]), "pad": int(case["pad"])}
    _, cache = forward(x, w, b, dict(param))
    dx, dw, db = impl.layers.conv_backward_naive(dout, cache)
    numeric = numeric_gradients(
        {
            "dx_num": (lambda v: forward(v, w, b, dict(param))[0], x, dout),
            "dw_num": (lambda v: forward(x, v, b, dict(param))[0], w, dout),
            "db_num": (lambda v: forward(x, w, v, dict(param))[0], b, dout),
        }
    )
    return {"dx": dx, "dw": dw, "db": db, **numeric}


CONV_BACKWARD_NAIVE = Check(
    id="conv_backward_naive",
    question=Q,
    title=N_("conv_backward_naive: dx, dw, db (stride 2, pad 1, a 3x2 filter)"),
    make_case=_conv_backward_case,
    run=_conv_backward,
    compare=compare_gradients({"dx": "dx_num", "dw": "dw_num", "db": "db_num"}),
    tolerance=1e-7,  # analytic against analytic in float64
    calls=("layers.conv_forward_naive", "layers.conv_backward_naive"),
    wrong_answers=("conv_dx_still_padded", "conv_dx_crop_empty_at_pad0", "conv_dw_flipped", "conv_db_only_batch"),
    naive=True,
)


# ---------------------------------------------------------------------------
# max_pool_forward_naive, max_pool_backward_naive
# ---------------------------------------------------------------------------

#: The public poolings: (N, C, H, W), pool_height, pool_width, stride. Each satisfies cs231n's
#: stated precondition (H - pool_height) % stride == 0 (and likewise for W), which some work asserts.
_PUBLIC_POOLS = (
    ((2, 3, 4, 4), 2, 2, 2),  # the usual 2x2, stride 2
    ((2, 2, 5, 6), 2, 3, 1),  # non-square, overlapping windows
    ((1, 2, 8, 7), 2, 1, 3),  # stride larger than the pool: gaps between windows, tiled as cs231n assumes
)


#: The hidden poolings, one per draw (backward) or per pooling of a case (forward):
#: (pool_height, pool_width, stride, N). Overlapping and non-overlapping windows, square and
#: not, stride 1 and more, a batch of one and of two. Hidden inputs are tiled by the windows,
#: (H - pool_height) % stride == 0 and likewise for W, as cs231n's pooling assumes.
_POOL_EDGES = ((2, 3, 1, 1), (3, 2, 2, 2), (2, 2, 2, 2))


def _random_pool(rng: np.random.Generator, small: bool, edges: tuple) -> tuple:
    ph, pw, stride, n = edges
    low = 2 if small else 1  # the backward case: at least 2 windows along each axis
    h, w = (p + stride * int(rng.integers(low - 1, 4)) for p in (ph, pw))
    return (n, int(rng.integers(1, 4)), h, w), ph, pw, stride


def _pool_forward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x{k} (N, C, H, W) for k = 0, 1, 2; params pools: pool_height, pool_width, stride per k."""
    configs = [_random_pool(rng, False, edges) for edges in _POOL_EDGES] if hidden else list(_PUBLIC_POOLS)
    arrays: Arrays = {}
    pools = []
    for k, (shape, ph, pw, stride) in enumerate(configs):
        scale = log_uniform(rng, 1e-3, 1e3) if hidden else 1.0
        arrays[f"x{k}"] = scale * rng.standard_normal(shape)
        pools.append({"pool_height": ph, "pool_width": pw, "stride": stride})
    return Case(arrays, {"pools": pools})


def _pool_param(raw) -> dict:
    return {k: int(raw[k]) for k in ("pool_height", "pool_width", "stride")}


def _pool_forward(impl: Impl, case: Case) -> Arrays:
    out = {}
    for k, pool in enumerate(case["pools"]):
        out[f"out{k}"], _ = impl.layers.max_pool_forward_naive(case.copy(f"x{k}"), _pool_param(pool))
    return out


MAX_POOL_FORWARD_NAIVE = Check(
    id="max_pool_forward_naive",
    question=Q,
    title=N_("max_pool_forward_naive: three poolings (2x2/2, 2x3/1 overlapping, 2x1/3 with gaps)"),
    make_case=_pool_forward_case,
    run=_pool_forward,
    compare=compare_values(),
    # A maximum is exact in float64; 1e-7 also admits an implementation
    # that pools in float32 (rounding moves each value by <= 3e-8 here).
    tolerance=1e-7,
    calls=("layers.max_pool_forward_naive",),
    wrong_answers=("pool_average", "pool_stride_ignored"),
    naive=True,
)


def _pool_backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, C, H, W), dout (N, C, H', W'); params pool_height, pool_width, stride."""
    if hidden:
        shape, ph, pw, stride = _random_pool(rng, True, edge(hidden, _POOL_EDGES))
        scale = log_uniform(rng, 1e-3, 1e3)
    else:
        # A 3x2 pool moving by 1: windows overlap along the height and the
        # width, and the stride differs from the pool size in both.
        shape, ph, pw, stride, scale = (2, 2, 5, 6), 3, 2, 1, 1.0
    h_out = 1 + (shape[2] - ph) // stride
    w_out = 1 + (shape[3] - pw) // stride
    return Case(
        {
            "x": scale * rng.standard_normal(shape),
            "dout": rng.standard_normal((shape[0], shape[1], h_out, w_out)),
        },
        {"pool_height": ph, "pool_width": pw, "stride": stride},
    )


def _pool_backward(impl: Impl, case: Case) -> Arrays:
    forward = impl.layers.max_pool_forward_naive
    x, dout = case.copy("x"), case.copy("dout")
    param = _pool_param(case.params)
    _, cache = forward(x, dict(param))
    dx = impl.layers.max_pool_backward_naive(dout, cache)
    # A step much smaller than the gaps between the values of a window, so
    # the numeric gradient never moves an arg-max.
    h = 1e-6 * float(np.abs(x).max())
    return {"dx": dx, **numeric_gradients({"dx_num": (lambda v: forward(v, dict(param))[0], x, dout)}, h=h)}


MAX_POOL_BACKWARD_NAIVE = Check(
    id="max_pool_backward_naive",
    question=Q,
    title=N_("max_pool_backward_naive: dx with a 3x2 pool and stride 1 (overlapping windows)"),
    make_case=_pool_backward_case,
    run=_pool_backward,
    compare=compare_gradients({"dx": "dx_num"}),
    tolerance=1e-7,  # the gradient only routes and adds dout values; as the forward, admits float32
    calls=("layers.max_pool_forward_naive", "layers.max_pool_backward_naive"),
    wrong_answers=(
        "pool_grad_average",
        "pool_grad_whole_window",
        "pool_grad_window_assigned",
        "pool_grad_max_assigned",
    ),
    naive=True,
)


# ---------------------------------------------------------------------------
# ThreeLayerConvNet
# ---------------------------------------------------------------------------

_NET_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


def _net_kwargs(case: Case) -> dict:
    return {
        "input_dim": tuple(int(v) for v in case["input_dim"]),
        "num_filters": int(case["num_filters"]),
        "filter_size": int(case["filter_size"]),
        "hidden_dim": int(case["hidden_dim"]),
        "num_classes": int(case["num_classes"]),
    }


def _convnet_init_case(rng: np.random.Generator, hidden: bool) -> Case:
    """No arrays; params input_dim [C, H, W], num_filters, filter_size, hidden_dim, num_classes, weight_scale, ..."""
    if hidden:
        params = {
            # even H and W: the 2x2 pool of stride 2 tiles them (cs231n's pooling precondition)
            "input_dim": [int(rng.integers(1, 4)), 2 * int(rng.integers(1, 5)), 2 * int(rng.integers(1, 5))],
            "num_filters": int(rng.integers(1, 6)),
            "filter_size": int(rng.choice([1, 3, 5])),
            "hidden_dim": int(rng.integers(2, 12)),
            "num_classes": int(rng.integers(2, 8)),
            "weight_scale": log_uniform(rng, 1e-3, 1e1),
            "dtype": str(rng.choice(["float32", "float64"])),
        }
    else:
        params = {
            "input_dim": [3, 8, 8],
            "num_filters": 4,
            "filter_size": 3,
            "hidden_dim": 6,
            "num_classes": 5,
            "weight_scale": 1e-2,
            "dtype": "float64",
        }
    params["seed"] = int(rng.integers(0, 2**31))
    return Case({}, params)


def _convnet_init(impl: Impl, case: Case) -> Arrays:
    np.random.seed(int(case["seed"]))
    model = impl.cnn.ThreeLayerConvNet(
        **_net_kwargs(case), weight_scale=float(case["weight_scale"]), dtype=np.dtype(case["dtype"]).type
    )
    return {k: model.params[k] for k in _NET_KEYS}


CONVNET_INIT = Check(
    id="convnet_init",
    question=Q,
    title=N_("ThreeLayerConvNet: parameter shapes and initial values (seeded)"),
    make_case=_convnet_init_case,
    run=_convnet_init,
    compare=compare_values(),
    tolerance=1e-6,  # the same draws from the same seed; 1e-6 admits a float32 round trip
    calls=("cnn.ThreeLayerConvNet",),
    wrong_answers=("convnet_w2_not_pooled", "convnet_w2_square_input"),
)


def _convnet_case(rng: np.random.Generator, hidden: bool, small: bool) -> Case:
    """A net, its parameters and a minibatch; ``small`` keeps the numeric gradients fast."""
    if hidden:
        # h, w even: the pool tiles it
        c, h, w = int(rng.integers(1, 4)), 2 * int(rng.integers(1, 3)), 2 * int(rng.integers(1, 3))
        f, fs = int(rng.integers(1, 4)), int(rng.choice([1, 3]))
        hid, classes, n = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 4))
        if small:
            # The gradient check: W1 ~ 1 / scale, so reg * W1 is about reg / scale**2 of
            # dW1; these ranges keep it >= 5e-4 of it (tolerance 1e-6), so a missing
            # regularization gradient cannot hide behind a large input scale.
            scale, reg = log_uniform(rng, 0.1, 10.0), log_uniform(rng, 0.05, 1.0)
        else:
            scale, reg = log_uniform(rng, 1e-3, 1e3), log_uniform(rng, 1e-3, 1.0)
    elif small:
        c, h, w, f, fs, hid, classes, n, scale, reg = 2, 4, 4, 2, 3, 3, 3, 2, 1.0, 0.3
    else:
        c, h, w, f, fs, hid, classes, n, scale, reg = 3, 8, 8, 4, 3, 10, 5, 4, 1.0, 0.5
    pooled = f * (h // 2) * (w // 2)
    arrays = {
        "X": scale * rng.standard_normal((n, c, h, w)),
        "y": rng.integers(0, classes, size=n),
        "W1": rng.standard_normal((f, c, fs, fs)) / (scale * np.sqrt(c * fs * fs)),
        "b1": 0.1 * rng.standard_normal(f),
        "W2": rng.standard_normal((pooled, hid)) / np.sqrt(pooled),
        "b2": 0.1 * rng.standard_normal(hid),
        "W3": rng.standard_normal((hid, classes)) / np.sqrt(hid),
        "b3": 0.1 * rng.standard_normal(classes),
    }
    params = {
        "input_dim": [c, h, w],
        "num_filters": f,
        "filter_size": fs,
        "hidden_dim": hid,
        "num_classes": classes,
        "reg": reg,
    }
    return Case(arrays, params)


def _convnet_loss_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_convnet_case: X (N, C, H, W), y (N,), W1 (F, C, fs, fs), b1, W2 (F*H*W/4, hid), b2, W3, b3."""
    return _convnet_case(rng, hidden, small=False)


def _convnet_grads_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_convnet_case, small: X (N, C, H, W), y (N,), W1 (F, C, fs, fs), b1, W2, b2, W3 (hid, K), b3."""
    return _convnet_case(rng, hidden, small=True)


def _convnet_model(impl: Impl, case: Case, reg: float):
    """The student's net with the case's parameters (its weight init is convnet_init's business)."""
    np.random.seed(0)
    model = impl.cnn.ThreeLayerConvNet(**_net_kwargs(case), weight_scale=1e-3, reg=reg, dtype=np.float64)
    for k in _NET_KEYS:
        model.params[k] = case.copy(k)
    return model


def _convnet_loss(impl: Impl, case: Case) -> Arrays:
    X, y = case.copy("X"), case.copy("y")
    plain = _convnet_model(impl, case, 0.0)
    scores = plain.loss(X)
    loss_noreg, _ = plain.loss(X, y)
    loss_reg, _ = _convnet_model(impl, case, float(case["reg"])).loss(X, y)
    return {
        "scores": scores,
        "loss_noreg": np.asarray(loss_noreg, dtype=np.float64),
        "loss_reg": np.asarray(loss_reg, dtype=np.float64),
    }


CONVNET_LOSS = Check(
    id="convnet_loss",
    question=Q,
    title=N_("ThreeLayerConvNet: scores, and loss without and with regularization"),
    make_case=_convnet_loss_case,
    run=_convnet_loss,
    compare=compare_values(["scores", "loss_noreg", "loss_reg"]),
    tolerance=1e-7,  # float64 through the net
    calls=("cnn.ThreeLayerConvNet",),
    wrong_answers=("convnet_reg_without_half", "convnet_reg_on_biases"),
)


def _convnet_grads(impl: Impl, case: Case) -> Arrays:
    X, y = case.copy("X"), case.copy("y")
    out: Arrays = {}
    _, grads = _convnet_model(impl, case, 0.0).loss(X, y)
    for k in _NET_KEYS:
        out[f"{k}_noreg"] = grads[k]
    model = _convnet_model(impl, case, float(case["reg"]))
    _, grads = model.loss(X, y)
    for k in _NET_KEYS:
        out[k] = grads[k]
        if k in ("W1", "b1", "b2"):  # numeric gradients through the whole net, for the diagnosis
            out[f"{k}_num"] = scalar_gradient(lambda: model.loss(X, y)[0], model.params[k])
    return out


CONVNET_GRADS = Check(
    id="convnet_grads",
    question=Q,
    title=N_("ThreeLayerConvNet: gradients of every parameter, without and with regularization"),
    make_case=_convnet_grads_case,
    run=_convnet_grads,
    compare=compare_all_gradients,
    # Analytic against analytic in float64 through four layers (numeric
    # gradients, for the diagnosis, of W1, b1 and b2 only: they pass
    # through the whole backward pass, and the rest would double the time).
    tolerance=1e-6,
    calls=("cnn.ThreeLayerConvNet",),
    timeout=30.0,
)


#: held-out rows of the same classes (``Case.held``), never sent to the student code
_OVERFIT_HELD = 200
_OVERFIT_SEPARATION = 1.0
#: the least accuracy on the held-out rows. Measured over hidden draws (see
#: tests/grader/checks/test_training_held_out.py): the reference reaches at least 0.93 (60 draws), an untrained
#: network at most 0.6 (2 classes; it also fails the training accuracy), weights that memorise the training
#: rows about 1 / classes
_OVERFIT_HELD_ACCURACY = 0.8


def _overfit_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (N, 3, 8, 8), y (N,) from Gaussian blobs; held X_held (200, 3, 8, 8), y_held; params num_classes, seed."""
    n, classes = (20, 4) if not hidden else (int(rng.integers(12, 24)), int(rng.integers(2, 6)))
    train, held = clusters(rng, n, _OVERFIT_HELD, (3, 8, 8), classes, _OVERFIT_SEPARATION)
    return Case(train, {"num_classes": classes, "seed": int(rng.integers(0, 2**31))}, held)


#: Plain gradient descent on the whole (tiny) data set: given code, so that
#: only the network is under test here, not the update rules of Q1.
_OVERFIT_STEPS = 30
_OVERFIT_LR = 0.5
_CONVNET_PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")


def _convnet_overfit(impl: Impl, case: Case) -> Arrays:
    """The trained parameters (the accuracies are measured on the trusted side)."""
    X, y = case.copy("X"), case.copy("y")
    np.random.seed(int(case["seed"]))
    model = impl.cnn.ThreeLayerConvNet(
        input_dim=X.shape[1:],
        num_filters=8,
        filter_size=3,
        hidden_dim=32,
        num_classes=int(case["num_classes"]),
        weight_scale=1e-1,
        reg=0.0,
        dtype=np.float64,
    )
    for _ in range(_OVERFIT_STEPS):
        _, grads = model.loss(X, y)
        for k in model.params:
            model.params[k] = model.params[k] - _OVERFIT_LR * grads[k]
    return {k: np.asarray(model.params[k]) for k in _CONVNET_PARAMS if k in model.params}


def convnet_scores(params: Arrays, X: np.ndarray) -> np.ndarray:
    """Scores of cs231n's conv - relu - 2x2 max pool - affine - relu - affine, computed on the trusted side.

    The convolution has stride 1 and pad (HH - 1) // 2 (the shape-preserving
    one ThreeLayerConvNet documents); float64 throughout.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    p = {k: np.asarray(params[k], dtype=np.float64) for k in _CONVNET_PARAMS}
    w1 = p["W1"]
    _, _, hh, ww = w1.shape
    pad = (hh - 1) // 2
    x = np.pad(np.asarray(X, dtype=np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x, (hh, ww), axis=(2, 3))  # (N, C, H, W, HH, WW)
    a = np.einsum("nchwij,fcij->nfhw", windows, w1) + p["b1"][None, :, None, None]
    a = np.maximum(a, 0)
    n, f, h, w = a.shape
    a = a[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, f, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    hidden = np.maximum(a.reshape(n, -1) @ p["W2"] + p["b2"], 0)
    return hidden @ p["W3"] + p["b3"]


def _compare_accuracy(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """Accuracies of the returned parameters, computed here; ``tolerance`` is the training accuracy required.

    The training accuracy on the rows the network was trained on (at least
    ``tolerance``) and the accuracy on held-out rows of the same classes that
    the student code never saw (at least ``_OVERFIT_HELD_ACCURACY``), both
    from the trained weights alone, so that nothing the sandbox computes (an
    accuracy, a memorised table) counts. The "error" column shows the lower.
    """
    for name in expected:
        problem = validate(name, got.get(name), expected[name]) if name in got else f"{name}: not returned"
        if problem:
            return Measure(0.0, False, f"after training: {problem}")
    return trained_accuracies(
        convnet_scores, got, case, tolerance, _OVERFIT_HELD_ACCURACY,
        trained=f"after {_OVERFIT_STEPS} gradient steps on {case['X'].shape[0]} examples",
        advice="check the gradients and the weight init",
    )


CONVNET_OVERFIT = Check(
    id="convnet_overfit",
    question=Q,
    title=N_("ThreeLayerConvNet: trained 30 gradient steps on 20 examples (training and held-out accuracy)"),
    make_case=_overfit_case,
    run=_convnet_overfit,
    compare=_compare_accuracy,
    # Not a relative error: the least training accuracy that passes. The
    # reference reaches 1.0; a net that learns nothing stays near 1/classes.
    tolerance=0.9,
    calls=("cnn.ThreeLayerConvNet",),
    timeout=30.0,
)


# ---------------------------------------------------------------------------
# Spatial batch normalization and spatial group normalization
# ---------------------------------------------------------------------------


def _spatial_case(rng: np.random.Generator, hidden: bool, backward: bool, mode: str) -> Case:
    """x, dout (N, C, H, W), gamma, beta, running_mean, running_var (C,); params eps, mode."""
    if hidden:
        shape = (int(rng.integers(1, 4)), int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        scales = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), size=shape[1]))
        eps = float(rng.choice([1e-5, 1e-3, 1e-1]))
    else:
        shape = (2, 3, 3, 4) if backward else (3, 4, 3, 5)
        scales = np.array([0.05, 1.0, 4.0, 10.0])[: shape[1]]
        eps = 1e-5
    c = shape[1]
    means = 3 * scales * rng.uniform(-1, 1, size=c)
    x = means[None, :, None, None] + scales[None, :, None, None] * rng.standard_normal(shape)
    return Case(
        {
            "x": x,
            "gamma": rng.uniform(0.5, 2.0, size=c) * rng.choice([-1.0, 1.0], size=c),
            "beta": rng.standard_normal(c),
            "dout": rng.standard_normal(shape),
            "running_mean": means + scales * rng.standard_normal(c),
            "running_var": scales**2 * rng.uniform(0.5, 2.0, size=c),
        },
        {"eps": eps, "mode": mode},
    )


def _sbn_train_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_spatial_case: x, dout (N, C, H, W), gamma, beta, running_mean, running_var (C,); mode 'train'."""
    return _spatial_case(rng, hidden, backward=False, mode="train")


def _sbn_test_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_spatial_case: x, dout (N, C, H, W), gamma, beta, running_mean, running_var (C,); mode 'test'."""
    return _spatial_case(rng, hidden, backward=False, mode="test")


def _sbn_backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_spatial_case, backward: x, dout (N, C, H, W), gamma, beta, running_mean, running_var (C,); mode 'train'."""
    return _spatial_case(rng, hidden, backward=True, mode="train")


def _sbn_param(case: Case, mode: str) -> dict:
    param = {"mode": mode, "eps": float(case["eps"])}
    if mode == "test":
        param["running_mean"] = case.copy("running_mean")
        param["running_var"] = case.copy("running_var")
    return param


def _sbn_forward(impl: Impl, case: Case) -> Arrays:
    param = _sbn_param(case, str(case["mode"]))
    out, _ = impl.layers.spatial_batchnorm_forward(case.copy("x"), case.copy("gamma"), case.copy("beta"), param)
    return {"out": out}


SPATIAL_BATCHNORM_FORWARD_TRAIN = Check(
    id="spatial_batchnorm_forward_train",
    question=Q,
    title=N_("spatial_batchnorm_forward, train mode: output"),
    make_case=_sbn_train_case,
    run=_sbn_forward,
    compare=compare_values(["out"]),
    tolerance=1e-8,  # as batchnorm_forward_train
    calls=("layers.spatial_batchnorm_forward",),
    wrong_answers=("sbn_reshape_without_transpose", "sbn_stats_per_position"),
)


SPATIAL_BATCHNORM_FORWARD_TEST = Check(
    id="spatial_batchnorm_forward_test",
    question=Q,
    title=N_("spatial_batchnorm_forward, test mode: normalizes with the running statistics"),
    make_case=_sbn_test_case,
    run=_sbn_forward,
    compare=compare_values(["out"]),
    tolerance=1e-8,
    calls=("layers.spatial_batchnorm_forward",),
    wrong_answers=("sbn_test_uses_batch_stats", "sbn_reshape_without_transpose"),
)


def _spatial_backward(impl: Impl, case: Case, forward, backward, extra: tuple, param: dict) -> Arrays:
    x, gamma, beta, dout = case.copy("x"), case.copy("gamma"), case.copy("beta"), case.copy("dout")
    _, cache = forward(x, gamma, beta, *extra, dict(param))
    dx, dgamma, dbeta = backward(dout, cache)

    def out(x_, gamma_, beta_):
        return forward(x_, gamma_, beta_, *extra, dict(param))[0]

    numeric = numeric_gradients(
        {
            "dx_num": (lambda v: out(v, gamma, beta), x, dout),
            "dgamma_num": (lambda v: out(x, v, beta), gamma, dout),
            "dbeta_num": (lambda v: out(x, gamma, v), beta, dout),
        }
    )
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, **numeric}


def _sbn_backward(impl: Impl, case: Case) -> Arrays:
    layers = impl.layers
    return _spatial_backward(
        impl, case, layers.spatial_batchnorm_forward, layers.spatial_batchnorm_backward, (), _sbn_param(case, "train")
    )


def _gn_case(rng: np.random.Generator, hidden: bool, backward: bool) -> Case:
    """x, dout (N, C, H, W), gamma, beta (1, C, 1, 1); params G (a divisor of C), eps."""
    if hidden:
        # A group count other than 1 and C: C has a proper divisor.
        g, per = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        c = g * per
        shape = (int(rng.integers(2, 4)), c, int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        scales = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), size=c))
        eps = float(rng.choice([1e-5, 1e-3, 1e-1]))
    else:
        g = 2 if backward else 3
        shape = (2, 4, 2, 3) if backward else (2, 6, 3, 4)
        c = shape[1]
        scales = np.geomspace(0.5, 8.0, c)
        eps = 1e-5
    means = 3 * scales * rng.uniform(-1, 1, size=c)
    x = means[None, :, None, None] + scales[None, :, None, None] * rng.standard_normal(shape)
    return Case(
        {
            "x": x,
            "gamma": (rng.uniform(0.5, 2.0, size=c) * rng.choice([-1.0, 1.0], size=c)).reshape(1, c, 1, 1),
            "beta": rng.standard_normal(c).reshape(1, c, 1, 1),
            "dout": rng.standard_normal(shape),
        },
        {"G": g, "eps": eps},
    )


def _gn_forward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_gn_case: x, dout (N, C, H, W), gamma, beta (1, C, 1, 1); params G, eps."""
    return _gn_case(rng, hidden, backward=False)


def _gn_backward_case(rng: np.random.Generator, hidden: bool) -> Case:
    """_gn_case, backward: x, dout (N, C, H, W), gamma, beta (1, C, 1, 1); params G, eps."""
    return _gn_case(rng, hidden, backward=True)


def _gn_forward(impl: Impl, case: Case) -> Arrays:
    out, _ = impl.layers.spatial_groupnorm_forward(
        case.copy("x"), case.copy("gamma"), case.copy("beta"), int(case["G"]), {"eps": float(case["eps"])}
    )
    return {"out": out}


SPATIAL_GROUPNORM_FORWARD = Check(
    id="spatial_groupnorm_forward",
    question=Q,
    title=N_("spatial_groupnorm_forward: output with G groups (1 < G < C)"),
    make_case=_gn_forward_case,
    run=_gn_forward,
    compare=compare_values(["out"]),
    tolerance=1e-8,
    calls=("layers.spatial_groupnorm_forward",),
    wrong_answers=("gn_groups_interleaved", "gn_one_group", "gn_group_per_channel", "gn_stats_over_batch"),
)


def _gn_backward(impl: Impl, case: Case) -> Arrays:
    layers = impl.layers
    return _spatial_backward(
        impl,
        case,
        layers.spatial_groupnorm_forward,
        layers.spatial_groupnorm_backward,
        (int(case["G"]),),
        {"eps": float(case["eps"])},
    )


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

_GRADS = {"dx": "dx_num", "dgamma": "dgamma_num", "dbeta": "dbeta_num"}


SPATIAL_BATCHNORM_BACKWARD = Check(
    id="spatial_batchnorm_backward",
    question=Q,
    title=N_("spatial_batchnorm_backward: dx, dgamma, dbeta"),
    make_case=_sbn_backward_case,
    run=_sbn_backward,
    compare=compare_gradients(_GRADS),
    tolerance=1e-7,  # as batchnorm_backward
    calls=("layers.spatial_batchnorm_forward", "layers.spatial_batchnorm_backward"),
)


SPATIAL_GROUPNORM_BACKWARD = Check(
    id="spatial_groupnorm_backward",
    question=Q,
    title=N_("spatial_groupnorm_backward: dx, dgamma, dbeta"),
    make_case=_gn_backward_case,
    run=_gn_backward,
    compare=compare_gradients(_GRADS),
    tolerance=1e-7,
    calls=("layers.spatial_groupnorm_forward", "layers.spatial_groupnorm_backward"),
)


CHECKS = (
    CONV_FORWARD_NAIVE,
    CONV_BACKWARD_NAIVE,
    MAX_POOL_FORWARD_NAIVE,
    MAX_POOL_BACKWARD_NAIVE,
    CONVNET_INIT,
    CONVNET_LOSS,
    CONVNET_GRADS,
    CONVNET_OVERFIT,
    SPATIAL_BATCHNORM_FORWARD_TRAIN,
    SPATIAL_BATCHNORM_FORWARD_TEST,
    SPATIAL_BATCHNORM_BACKWARD,
    SPATIAL_GROUPNORM_FORWARD,
    SPATIAL_GROUPNORM_BACKWARD,
)
