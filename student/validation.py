"""Input validation shared by the layers (given code: nothing to implement here).

Each check raises ValueError naming the argument and what is wrong with it.
They only look at shapes and parameters, never at the data, so they cost
nothing measurable. ``layers.py`` (the naive layers) and ``fast_layers.py``
use the same checks, so both reject the same inputs with the same messages.
"""
from numbers import Real

import numpy as np


def check_ndim(name, a, ndim, layout):
    """Raise ValueError unless ``a`` has ``ndim`` dimensions (``layout`` names them)."""
    if np.ndim(a) != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}, got shape {np.shape(a)}"
        )


def check_shape(name, a, shape):
    """Raise ValueError unless ``a`` has exactly ``shape``."""
    if np.shape(a) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {np.shape(a)}")


def is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def check_positive_int(name, v):
    if not is_int(v) or v <= 0:
        raise ValueError(f"{name} must be a positive int, got {v!r}")


def check_non_negative_int(name, v):
    if not is_int(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative int, got {v!r}")


def check_non_negative_real(name, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real) or not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {v!r}")


def check_float_dtype(name, dtype):
    try:
        ok = np.issubdtype(np.dtype(dtype), np.floating)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a floating-point dtype such as np.float32, got {dtype!r}")


def check_mode(name, param, layer):
    """Return ``param['mode']`` if it is 'train' or 'test', else raise ValueError."""
    if "mode" not in param:
        raise ValueError(f"{name}['mode'] is required ('train' or 'test')")
    mode = param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f'Invalid forward {layer} mode "{mode}" in {name}[\'mode\'] '
                         "(expected 'train' or 'test')")
    return mode


def check_scores(x, y):
    """Validate the (N, C) scores and (N,) labels of a loss function."""
    check_ndim("x", x, 2, "(N, C)")
    N, C = x.shape
    check_shape("y", y, (N,))
    if N == 0:
        raise ValueError("x must hold at least one example (N > 0)")
    labels = np.asarray(y)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= C:
        raise ValueError(f"y must hold labels in [0, {C}), got values in [{labels.min()}, {labels.max()}]")


def check_affine(x, w, b):
    if np.ndim(x) < 2:
        raise ValueError(f"x must have shape (N, d_1, ..., d_k) with k >= 1, got {np.shape(x)}")
    check_ndim("w", w, 2, "(D, M)")
    D = int(np.prod(x.shape[1:]))
    if w.shape[0] != D:
        raise ValueError(
            f"w must have {D} rows (the product of x's trailing dimensions {x.shape[1:]}), "
            f"got w of shape {w.shape}"
        )
    check_shape("b", b, (w.shape[1],))


def check_norm_params(x, gamma, beta, layout):
    check_ndim("x", x, 2, layout)
    check_shape("gamma", gamma, (x.shape[1],))
    check_shape("beta", beta, (x.shape[1],))


def check_conv(x, w, b, conv_param):
    """Validate the conv inputs; return (stride, pad, H', W')."""
    check_ndim("x", x, 4, "(N, C, H, W)")
    check_ndim("w", w, 4, "(F, C, HH, WW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but w expects {w.shape[1]} (x: {x.shape}, w: {w.shape})"
        )
    check_shape("b", b, (w.shape[0],))
    for key in ("stride", "pad"):
        if key not in conv_param:
            raise ValueError(f"conv_param['{key}'] is required")
    stride, pad = conv_param["stride"], conv_param["pad"]
    check_positive_int("conv_param['stride']", stride)
    check_non_negative_int("conv_param['pad']", pad)
    out = []
    for axis, size, fsize in (("height", x.shape[2], w.shape[2]), ("width", x.shape[3], w.shape[3])):
        padded = size + 2 * pad
        if fsize > padded:
            raise ValueError(
                f"w's filter {axis} {fsize} is larger than the padded input {axis} {padded} "
                f"(x {axis} {size} + 2 * pad {pad})"
            )
        if (padded - fsize) % stride != 0:
            raise ValueError(
                f"conv_param['stride'] {stride} does not tile the padded input along the {axis}: "
                f"({size} + 2 * {pad} - {fsize}) % {stride} != 0"
            )
        out.append(1 + (padded - fsize) // stride)
    return int(stride), int(pad), out[0], out[1]


def check_pool(x, pool_param):
    """Validate the pooling inputs; return (pool_height, pool_width, stride)."""
    check_ndim("x", x, 4, "(N, C, H, W)")
    for key in ("pool_height", "pool_width", "stride"):
        if key not in pool_param:
            raise ValueError(f"pool_param['{key}'] is required")
        check_positive_int(f"pool_param['{key}']", pool_param[key])
    if pool_param["pool_height"] > x.shape[2]:
        raise ValueError(
            f"pool_param['pool_height'] {pool_param['pool_height']} is larger than x's height {x.shape[2]}"
        )
    if pool_param["pool_width"] > x.shape[3]:
        raise ValueError(
            f"pool_param['pool_width'] {pool_param['pool_width']} is larger than x's width {x.shape[3]}"
        )
    return int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])


def check_spatial(x, gamma, beta, param_shape):
    check_ndim("x", x, 4, "(N, C, H, W)")
    shape = param_shape(x.shape[1])
    check_shape("gamma", gamma, shape)
    check_shape("beta", beta, shape)


def check_finite_real(name, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real) or not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v!r}")


def check_activation_input(x):
    """Validate the input of an elementwise activation: a floating-point array."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError(
            f"x must be a floating-point numpy array, got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
        )


def check_regression(x, y):
    """Validate the (N, D) predictions and the (N, D) targets of a regression loss."""
    check_ndim("x", x, 2, "(N, D)")
    check_shape("y", y, x.shape)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one example (N > 0)")
