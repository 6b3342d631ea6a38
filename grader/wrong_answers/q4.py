"""Wrong answers of Q4 checks (convolutional networks).

Each producer recomputes, in plain numpy from the case's inputs, what the
buggy implementation returns: convolutions with ``sliding_window_view`` and
``einsum``, poolings with explicit windows. Only the arrays a bug changes are
returned.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks.base import Arrays, Case
from ..i18n import N_
from ._registry import wrong_answer

# --- convolution -------------------------------------------------------------


def _windows(x: np.ndarray, hh: int, ww: int, stride: int, pad: int, mode: str = "constant") -> np.ndarray:
    """(N, C, H', W', HH, WW): the receptive fields of every output position."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode=mode)
    return sliding_window_view(xp, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def _conv(x, w, b, stride: int, pad: int) -> np.ndarray:
    out = np.einsum("nchwij,fcij->nfhw", _windows(x, w.shape[2], w.shape[3], stride, pad), w)
    return out + b[None, :, None, None]


def _each_conv(case: Case, make) -> Arrays:
    """``make(x, w, b, stride, pad)`` for every convolution of a conv_forward_naive case."""
    out = {}
    for k, conv in enumerate(case["convs"]):
        out[f"out{k}"] = make(case[f"x{k}"], case[f"w{k}"], case[f"b{k}"], int(conv["stride"]), int(conv["pad"]))
    return out


@wrong_answer("conv_no_bias", N_("the bias b is not added to the output"))
def _conv_no_bias(case: Case, expected: Arrays) -> Arrays:
    return _each_conv(case, lambda x, w, b, s, p: _conv(x, w, np.zeros_like(b), s, p))


@wrong_answer("conv_bias_per_input_channel", N_("the bias is added once per input channel; add b[f] once per output"))
def _conv_bias_per_channel(case: Case, expected: Arrays) -> Arrays:
    return _each_conv(case, lambda x, w, b, s, p: _conv(x, w, x.shape[1] * b, s, p))


@wrong_answer(
    "conv_flipped_filter",
    N_("the filter is flipped (true convolution); use cross-correlation: do not flip w"),
)
def _conv_flipped(case: Case, expected: Arrays) -> Arrays:
    return _each_conv(case, lambda x, w, b, s, p: _conv(x, w[:, :, ::-1, ::-1], b, s, p))


@wrong_answer("conv_no_padding", N_("the input is not zero-padded by 'pad' on every side"))
def _conv_no_padding(case: Case, expected: Arrays) -> Arrays:
    def valid(x, w, b, s, p):
        hh, ww = w.shape[2:]
        if x.shape[2] < hh or x.shape[3] < ww:
            return np.zeros((0,))  # the buggy code fails on such a case; nothing to match
        return _conv(x, w, b, 1, 0)[:, :, ::s, ::s]

    return _each_conv(case, valid)


_STRIDE_IGNORED = N_("the windows move by 1 instead of by 'stride' (window (i, j) starts at i * stride, j * stride)")


@wrong_answer("conv_stride_ignored", _STRIDE_IGNORED)
def _conv_stride_ignored(case: Case, expected: Arrays) -> Arrays:
    def stride_one(x, w, b, s, p):
        full = _conv(x, w, b, 1, p)
        h_out = 1 + (x.shape[2] + 2 * p - w.shape[2]) // s
        w_out = 1 + (x.shape[3] + 2 * p - w.shape[3]) // s
        return full[:, :, :h_out, :w_out]

    return _each_conv(case, stride_one)


@wrong_answer("conv_dx_still_padded", N_("dx is returned with the padding; crop it: dx_pad[:, :, pad:-pad, pad:-pad]"))
def _conv_dx_padded(case: Case, expected: Arrays) -> Arrays:
    x, w, dout = case["x"], case["w"], case["dout"]
    stride, pad = int(case["stride"]), int(case["pad"])
    if pad == 0:
        return {}
    n, c, h, wd = x.shape
    _, _, hh, ww = w.shape
    dx_pad = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    contrib = np.einsum("nfhw,fcij->nchwij", dout, w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx_pad[:, :, i * stride : i * stride + hh, j * stride : j * stride + ww] += contrib[:, :, i, j]
    return {"dx": dx_pad}


@wrong_answer(
    "conv_dx_crop_empty_at_pad0",
    N_("dx is empty: dx_pad[:, :, pad:-pad, pad:-pad] is empty when pad is 0; crop with pad:pad + H, pad:pad + W"),
)
def _conv_dx_crop_empty(case: Case, expected: Arrays) -> Arrays:
    if int(case["pad"]) != 0:
        return {}
    n, c = case["x"].shape[:2]
    return {"dx": np.zeros((n, c, 0, 0))}


@wrong_answer("conv_dw_flipped", N_("dw is flipped (rotated by 180 degrees) relative to w"))
def _conv_dw_flipped(case: Case, expected: Arrays) -> Arrays:
    return {"dw": expected["dw"][:, :, ::-1, ::-1]}


@wrong_answer(
    "conv_db_only_batch",
    N_("db is summed over the batch only; also sum over the output positions (axes 2, 3)"),
)
def _conv_db_batch(case: Case, expected: Arrays) -> Arrays:
    return {"db": case["dout"].sum(axis=0)}


# --- max pooling --------------------------------------------------------------


def _pool_windows(x: np.ndarray, ph: int, pw: int, stride: int) -> np.ndarray:
    """(N, C, H', W', ph, pw) windows, the floor convention (leftover rows and columns dropped)."""
    return sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]


def _each_pool(case: Case, make) -> Arrays:
    out = {}
    for k, pool in enumerate(case["pools"]):
        out[f"out{k}"] = make(case[f"x{k}"], int(pool["pool_height"]), int(pool["pool_width"]), int(pool["stride"]))
    return out


@wrong_answer("pool_average", N_("the windows are averaged; max pooling takes each window's maximum"))
def _pool_average(case: Case, expected: Arrays) -> Arrays:
    return _each_pool(case, lambda x, ph, pw, s: _pool_windows(x, ph, pw, s).mean(axis=(4, 5)))


@wrong_answer("pool_stride_ignored", _STRIDE_IGNORED)
def _pool_stride_ignored(case: Case, expected: Arrays) -> Arrays:
    def stride_one(x, ph, pw, s):
        h_out = 1 + (x.shape[2] - ph) // s
        w_out = 1 + (x.shape[3] - pw) // s
        return _pool_windows(x, ph, pw, 1).max(axis=(4, 5))[:, :, :h_out, :w_out]

    return _each_pool(case, stride_one)


def _pool_backward(case: Case, route) -> np.ndarray:
    """dx from ``route(window, d, dx_window)``, window by window in row-major order."""
    x, dout = case["x"], case["dout"]
    ph, pw, stride = int(case["pool_height"]), int(case["pool_width"]), int(case["stride"])
    dx = np.zeros_like(x, dtype=np.float64)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)
            route(x[:, :, rows, cols], dout[:, :, i, j][:, :, None, None], dx[:, :, rows, cols])
    return dx


def _first_max_mask(window: np.ndarray) -> np.ndarray:
    n, c, ph, pw = window.shape
    flat = window.reshape(n, c, ph * pw)
    mask = np.zeros_like(flat)
    np.put_along_axis(mask, flat.argmax(axis=2)[:, :, None], 1.0, axis=2)
    return mask.reshape(window.shape)


@wrong_answer(
    "pool_grad_average",
    N_("the gradient is spread evenly over the window; it goes to the window's maximum only"),
)
def _pool_grad_average(case: Case, expected: Arrays) -> Arrays:
    area = int(case["pool_height"]) * int(case["pool_width"])

    def route(window, d, dxw):
        dxw += d / area

    return {"dx": _pool_backward(case, route)}


@wrong_answer("pool_grad_whole_window", N_("every element of the window gets the gradient; only the maximum should"))
def _pool_grad_window(case: Case, expected: Arrays) -> Arrays:
    def route(window, d, dxw):
        dxw += d

    return {"dx": _pool_backward(case, route)}


@wrong_answer(
    "pool_grad_window_assigned",
    N_("a later window overwrites the gradient of an earlier one: use += where windows overlap"),
)
def _pool_grad_assigned(case: Case, expected: Arrays) -> Arrays:
    def route(window, d, dxw):
        dxw[...] = _first_max_mask(window) * d

    return {"dx": _pool_backward(case, route)}


@wrong_answer(
    "pool_grad_max_assigned",
    N_("a shared maximum keeps only one window's gradient: use += where windows overlap"),
)
def _pool_grad_max_assigned(case: Case, expected: Arrays) -> Arrays:
    def route(window, d, dxw):
        mask = _first_max_mask(window).astype(bool)
        dxw[mask] = np.broadcast_to(d, window.shape)[mask]

    return {"dx": _pool_backward(case, route)}


# --- ThreeLayerConvNet ---------------------------------------------------------


@wrong_answer(
    "convnet_w2_not_pooled",
    N_("W2 has F * H * W rows; the 2x2 pool halves H and W: F * (H // 2) * (W // 2)"),
)
def _convnet_w2(case: Case, expected: Arrays) -> Arrays:
    c, h, w = (int(v) for v in case["input_dim"])
    f, fs, hid = int(case["num_filters"]), int(case["filter_size"]), int(case["hidden_dim"])
    rng = np.random.RandomState(int(case["seed"]))
    scale = float(case["weight_scale"])
    rng.randn(f, c, fs, fs)  # W1
    w2 = scale * rng.randn(f * h * w, hid)
    return {"W2": w2.astype(case["dtype"])}


@wrong_answer(
    "convnet_w2_square_input",
    N_("W2 assumes a square input (F * (H // 2) ** 2 rows); input_dim is (C, H, W): F * (H // 2) * (W // 2)"),
)
def _convnet_w2_square(case: Case, expected: Arrays) -> Arrays:
    c, h, w = (int(v) for v in case["input_dim"])
    if h == w:
        return {}
    f, fs, hid = int(case["num_filters"]), int(case["filter_size"]), int(case["hidden_dim"])
    rng = np.random.RandomState(int(case["seed"]))
    rng.randn(f, c, fs, fs)  # W1
    w2 = float(case["weight_scale"]) * rng.randn(f * (h // 2) ** 2, hid)  # input_dim[1] squared, the usual form
    return {"W2": w2.astype(case["dtype"])}


def _reg_sum(case: Case, keys) -> float:
    return float(sum(np.sum(case[k] ** 2) for k in keys))


@wrong_answer("convnet_reg_without_half", N_("the regularization term lacks its factor 0.5: 0.5 * reg * sum(W**2)"))
def _convnet_reg_full(case: Case, expected: Arrays) -> Arrays:
    reg = float(case["reg"])
    return {"loss_reg": np.asarray(expected["loss_reg"] + 0.5 * reg * _reg_sum(case, ("W1", "W2", "W3")))}


@wrong_answer("convnet_reg_on_biases", N_("the biases are regularized too; regularize the weights W1, W2, W3 only"))
def _convnet_reg_biases(case: Case, expected: Arrays) -> Arrays:
    reg = float(case["reg"])
    return {"loss_reg": np.asarray(expected["loss_reg"] + 0.5 * reg * _reg_sum(case, ("b1", "b2", "b3")))}


# --- spatial batch normalization -------------------------------------------------


def _standardize(x: np.ndarray, axis, eps: float) -> np.ndarray:
    return (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, keepdims=True) + eps)


def _affine4(case: Case, x_hat: np.ndarray) -> np.ndarray:
    return case["gamma"][None, :, None, None] * x_hat + case["beta"][None, :, None, None]


@wrong_answer(
    "sbn_reshape_without_transpose",
    N_("x reshaped to (N*H*W, C) without moving C last: transpose to (N, H, W, C) first"),
)
def _sbn_no_transpose(case: Case, expected: Arrays) -> Arrays:
    x = case["x"]
    n, c, h, w = x.shape
    rows = x.reshape(-1, c)
    if case.params.get("mode") == "test":
        rows_hat = (rows - case["running_mean"]) / np.sqrt(case["running_var"] + float(case["eps"]))
    else:
        rows_hat = _standardize(rows, 0, float(case["eps"]))
    return {"out": (case["gamma"] * rows_hat + case["beta"]).reshape(n, c, h, w)}


@wrong_answer(
    "sbn_stats_per_position",
    N_("each channel and position is normalized apart; pool N, H and W per channel"),
)
def _sbn_per_position(case: Case, expected: Arrays) -> Arrays:
    return {"out": _affine4(case, _standardize(case["x"], 0, float(case["eps"])))}


@wrong_answer(
    "sbn_test_uses_batch_stats",
    N_("test mode uses the batch statistics; use the running_mean and running_var"),
)
def _sbn_test_batch(case: Case, expected: Arrays) -> Arrays:
    return {"out": _affine4(case, _standardize(case["x"], (0, 2, 3), float(case["eps"])))}


# --- spatial group normalization ----------------------------------------------------


def _group_norm(case: Case, groups_of) -> np.ndarray:
    """Normalize each example over the channels ``groups_of(C, G)`` lists per group (and all of H, W)."""
    x, eps, g = case["x"], float(case["eps"]), int(case["G"])
    x_hat = np.empty_like(x, dtype=np.float64)
    for channels in groups_of(x.shape[1], g):
        part = x[:, channels]
        x_hat[:, channels] = _standardize(part, (1, 2, 3), eps)
    return case["gamma"] * x_hat + case["beta"]


@wrong_answer(
    "gn_groups_interleaved",
    N_("the groups take every G-th channel; a group holds consecutive channels: (N, G, -1)"),
)
def _gn_interleaved(case: Case, expected: Arrays) -> Arrays:
    return {"out": _group_norm(case, lambda c, g: [list(range(k, c, g)) for k in range(g)])}


@wrong_answer("gn_one_group", N_("all channels are normalized together (layer norm, G = 1); split them into G groups"))
def _gn_one(case: Case, expected: Arrays) -> Arrays:
    return {"out": _group_norm(case, lambda c, g: [list(range(c))])}


@wrong_answer(
    "gn_group_per_channel",
    N_("each channel is normalized on its own (G = C); split the channels into G groups"),
)
def _gn_per_channel(case: Case, expected: Arrays) -> Arrays:
    return {"out": _group_norm(case, lambda c, g: [[k] for k in range(c)])}


@wrong_answer("gn_stats_over_batch", N_("the group statistics pool the whole batch; normalize each example on its own"))
def _gn_over_batch(case: Case, expected: Arrays) -> Arrays:
    x, eps, g = case["x"], float(case["eps"]), int(case["G"])
    n, c, h, w = x.shape
    groups = x.reshape(n, g, -1)
    hat = (groups - groups.mean(axis=(0, 2), keepdims=True)) / np.sqrt(groups.var(axis=(0, 2), keepdims=True) + eps)
    return {"out": case["gamma"] * hat.reshape(x.shape) + case["beta"]}
