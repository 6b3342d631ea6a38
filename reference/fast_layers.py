"""Fast convolution and max-pooling layers (given code: nothing to implement).

Same semantics as the naive layers of ``layers.py``, computed with im2col and
one matrix product per pass:

- ``conv_forward_fast`` / ``conv_backward_fast``: convolution. As in the naive
  layer, H' = 1 + (H + 2 * pad - HH) // stride, and a stride that does not
  tile the padded input is a ValueError.
- ``max_pool_forward_fast`` / ``max_pool_backward_fast``: max pooling, with
  H' = 1 + (H - pool_height) // stride; windows may overlap or leave rows and
  columns over (those are ignored). The gradient of each window goes to its
  first maximum in row-major order; overlapping windows add up.

The inner loops run in compiled kernels (``im2col_cython.pyx``, built by
``pip install -e .``) or, when those were not compiled, in the numpy kernels of
``im2col.py``, with one warning at import. ``BACKEND`` names the kernels in
use ("cython" or "numpy"); setting the environment variable
``A2KIT_FORCE_NUMPY=1`` selects the numpy kernels without a warning. Every
function also takes a keyword-only ``backend`` argument ("cython", "numpy" or
None for ``BACKEND``); ``BACKENDS`` lists the ones available.

Floating-point dtypes are preserved: float32 inputs give float32 outputs and
gradients, float64 inputs float64 ones (mixed inputs use numpy's promotion).
"""
import os
import warnings
from typing import Callable, NamedTuple

import numpy as np

from .im2col import col2im_numpy, im2col_numpy, max_pool_backward_numpy, max_pool_forward_numpy

__all__ = [
    "BACKEND",
    "BACKENDS",
    "conv_forward_fast",
    "conv_backward_fast",
    "conv_forward_im2col",
    "conv_backward_im2col",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "max_pool_forward_reshape",
    "max_pool_backward_reshape",
    "max_pool_forward_im2col",
    "max_pool_backward_im2col",
]


class Kernels(NamedTuple):
    """One implementation of the four inner loops (see im2col.py for their contracts)."""

    name: str
    im2col: Callable  # (x, HH, WW, pad, stride) -> cols (C*HH*WW, N*H'*W')
    col2im: Callable  # (cols, x_shape, HH, WW, pad, stride) -> x (N, C, H, W)
    pool_forward: Callable  # (x, pool_height, pool_width, stride) -> out
    pool_backward: Callable  # (dout, x, pool_height, pool_width, stride) -> dx


def _load_cython_kernels():
    try:
        from .im2col_cython import (
            col2im_cython,
            im2col_cython,
            max_pool_backward_cython,
            max_pool_forward_cython,
        )
    except ImportError:
        return None
    return Kernels("cython", im2col_cython, col2im_cython,
                   max_pool_forward_cython, max_pool_backward_cython)


BACKENDS = {"numpy": Kernels("numpy", im2col_numpy, col2im_numpy,
                             max_pool_forward_numpy, max_pool_backward_numpy)}
_cython_kernels = _load_cython_kernels()
if _cython_kernels is not None:
    BACKENDS["cython"] = _cython_kernels

if os.environ.get("A2KIT_FORCE_NUMPY", "").strip() not in ("", "0"):
    BACKEND = "numpy"
elif _cython_kernels is None:
    BACKEND = "numpy"
    warnings.warn(
        "Cython kernels not compiled; using the numpy fallback (slower). "
        "Reinstall with a C compiler: pip install -e .",
        RuntimeWarning,
        stacklevel=2,
    )
else:
    BACKEND = "cython"
del _cython_kernels


def _kernels(backend):
    name = BACKEND if backend is None else backend
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown or unavailable backend {backend!r}; available: {sorted(BACKENDS)}"
        ) from None


def _float_dtype(*arrays):
    """The dtype the layer computes in: numpy's promotion, at least float32."""
    return np.result_type(*arrays, np.float32)


# ---------------------------------------------------------------------------
# Validation (the same rules and messages as the naive layers)
# ---------------------------------------------------------------------------


def _positive_int(name, v):
    if not isinstance(v, (int, np.integer)) or isinstance(v, (bool, np.bool_)) or v <= 0:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


def _check_conv(x, w, b, conv_param):
    """Validate the conv inputs; return (stride, pad, H', W')."""
    if np.ndim(x) != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {np.shape(x)}")
    if np.ndim(w) != 4:
        raise ValueError(f"w must have 4 dimensions (F, C, HH, WW), got shape {np.shape(w)}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but w expects {w.shape[1]} (x: {x.shape}, w: {w.shape})"
        )
    if np.shape(b) != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), got {np.shape(b)}")
    for key in ("stride", "pad"):
        if key not in conv_param:
            raise ValueError(f"conv_param['{key}'] is required")
    stride = _positive_int("conv_param['stride']", conv_param["stride"])
    pad = conv_param["pad"]
    if not isinstance(pad, (int, np.integer)) or isinstance(pad, (bool, np.bool_)) or pad < 0:
        raise ValueError(f"conv_param['pad'] must be a non-negative int, got {pad!r}")
    pad = int(pad)
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
    return stride, pad, out[0], out[1]


def _check_pool(x, pool_param):
    """Validate the pooling inputs; return (pool_height, pool_width, stride)."""
    if np.ndim(x) != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {np.shape(x)}")
    for key in ("pool_height", "pool_width", "stride"):
        if key not in pool_param:
            raise ValueError(f"pool_param['{key}'] is required")
    ph = _positive_int("pool_param['pool_height']", pool_param["pool_height"])
    pw = _positive_int("pool_param['pool_width']", pool_param["pool_width"])
    stride = _positive_int("pool_param['stride']", pool_param["stride"])
    if ph > x.shape[2]:
        raise ValueError(f"pool_param['pool_height'] {ph} is larger than x's height {x.shape[2]}")
    if pw > x.shape[3]:
        raise ValueError(f"pool_param['pool_width'] {pw} is larger than x's width {x.shape[3]}")
    return ph, pw, stride


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------


def conv_forward_im2col(x, w, b, conv_param, *, backend=None):
    """
    A fast implementation of the forward pass for a convolutional layer,
    based on im2col and one matrix product.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields (a
        positive int); (H + 2 * pad - HH) and (W + 2 * pad - WW) must be
        multiples of it.
      - 'pad': The number of pixels of zero-padding on every side (an int >= 0).
    - backend: "cython", "numpy" or None (the module's BACKEND)

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W'), C-contiguous, where
      H' = 1 + (H + 2 * pad - HH) // stride
      W' = 1 + (W + 2 * pad - WW) // stride
    - cache: opaque, for conv_backward_im2col
    """
    kernels = _kernels(backend)
    stride, pad, Ho, Wo = _check_conv(x, w, b, conv_param)
    N = x.shape[0]
    F, _, HH, WW = w.shape
    dtype = _float_dtype(x, w, b)
    x = np.ascontiguousarray(x, dtype=dtype)
    w2 = np.ascontiguousarray(w, dtype=dtype).reshape(F, -1)
    cols = kernels.im2col(x, HH, WW, pad, stride)  # (C*HH*WW, N*H'*W')
    prod = np.matmul(w2, cols)  # (F, N*H'*W')
    out = np.empty((N, F, Ho * Wo), dtype=dtype)
    # One pass both adds the bias and moves F behind N.
    np.add(prod.reshape(F, N, Ho * Wo).transpose(1, 0, 2),
           np.asarray(b, dtype=dtype)[None, :, None], out=out)
    cache = (x, w2, w.shape, (stride, pad), cols, kernels)
    return out.reshape(N, F, Ho, Wo), cache


def conv_backward_im2col(dout, cache):
    """
    A fast implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: the cache returned by conv_forward_im2col

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w2, w_shape, (stride, pad), cols, kernels = cache
    F, _, HH, WW = w_shape
    dtype = x.dtype
    if dout.shape[:2] != (x.shape[0], F) or np.ndim(dout) != 4:
        raise ValueError(f"dout must have shape (N, F, H', W') = ({x.shape[0]}, {F}, H', W'), "
                         f"got {np.shape(dout)}")
    dout = np.asarray(dout, dtype=dtype)
    db = dout.sum(axis=(0, 2, 3))
    # (F, N*H'*W'): the layout of the forward matrix product's result.
    dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(F, -1)
    dw = np.matmul(dout2, cols.T).reshape(w_shape)
    dcols = np.matmul(w2.T, dout2)  # (C*HH*WW, N*H'*W')
    dx = kernels.col2im(dcols, x.shape, HH, WW, pad, stride)
    return dx, dw, db


# The cs231n names.
conv_forward_fast = conv_forward_im2col
conv_backward_fast = conv_backward_im2col


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------


def max_pool_forward_reshape(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer whose
    square windows sit side by side (pool_height == pool_width == stride), by
    reshaping. Rows and columns that no whole window covers are ignored.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the keys 'pool_height', 'pool_width' and
      'stride', all equal
    - backend: unused (accepted for a uniform signature)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H // stride, W // stride)
    - cache: opaque, for max_pool_backward_reshape
    """
    ph, pw, stride = _check_pool(x, pool_param)
    if not ph == pw == stride:
        raise ValueError("max_pool_forward_reshape needs pool_height == pool_width == stride, "
                         f"got {ph}, {pw}, {stride}; use max_pool_forward_fast")
    N, C, H, W = x.shape
    Ho, Wo = H // stride, W // stride
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    blocks = x[:, :, :Ho * stride, :Wo * stride].reshape(N, C, Ho, stride, Wo, stride)
    out = blocks.max(axis=5).max(axis=3)
    return out, (x.shape, blocks, out)


def max_pool_backward_reshape(dout, cache):
    """
    A fast implementation of the backward pass for max_pool_forward_reshape.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: the cache returned by max_pool_forward_reshape

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    x_shape, blocks, out = cache
    s = blocks.shape[3]
    dtype = np.result_type(blocks, dout)
    dx = np.zeros(x_shape, dtype=dtype)
    N, C, Ho, _, Wo, _ = blocks.shape
    cropped = (Ho * s, Wo * s) != tuple(x_shape[2:])
    if cropped:  # leftover rows/columns: fill the blocks, then copy them in
        dblocks = np.zeros(blocks.shape, dtype=dtype)
    else:  # a view: the blocks are dx itself
        dblocks = dx.reshape(N, C, Ho, s, Wo, s)
    taken = np.zeros(out.shape, dtype=bool)
    for i in range(s):
        for j in range(s):
            tap = blocks[:, :, :, i, :, j]
            # The first maximum in row-major order takes the gradient; NaN
            # counts as the maximum, as for np.argmax.
            hit = (tap == out) | (tap != tap)
            hit &= ~taken
            taken |= hit
            np.copyto(dblocks[:, :, :, i, :, j], dout, where=hit)
    if cropped:
        dx[:, :, :Ho * s, :Wo * s] = dblocks.reshape(N, C, Ho * s, Wo * s)
    return dx


def max_pool_forward_im2col(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer with any
    window and stride (windows may overlap or leave rows and columns over).

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the keys 'pool_height', 'pool_width', 'stride'
    - backend: "cython", "numpy" or None (the module's BACKEND)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') where
      H' = 1 + (H - pool_height) // stride
      W' = 1 + (W - pool_width) // stride
    - cache: opaque, for max_pool_backward_im2col
    """
    kernels = _kernels(backend)
    ph, pw, stride = _check_pool(x, pool_param)
    x = np.ascontiguousarray(x, dtype=_float_dtype(x))
    out = kernels.pool_forward(x, ph, pw, stride)
    return out, (x, (ph, pw, stride), kernels)


def max_pool_backward_im2col(dout, cache):
    """
    A fast implementation of the backward pass for max_pool_forward_im2col.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: the cache returned by max_pool_forward_im2col

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    x, (ph, pw, stride), kernels = cache
    dout = np.ascontiguousarray(dout, dtype=x.dtype)
    return kernels.pool_backward(dout, x, ph, pw, stride)


def max_pool_forward_fast(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer: the
    reshape method where the windows sit side by side, the general one
    otherwise.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the following keys:
      - 'pool_height': The height of each pooling region (positive int, <= H)
      - 'pool_width': The width of each pooling region (positive int, <= W)
      - 'stride': The distance between adjacent pooling regions (positive int)
    - backend: "cython", "numpy" or None (the module's BACKEND)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') where
      H' = 1 + (H - pool_height) // stride
      W' = 1 + (W - pool_width) // stride
    - cache: opaque, for max_pool_backward_fast
    """
    ph, pw, stride = _check_pool(x, pool_param)
    if ph == pw == stride:
        out, cache = max_pool_forward_reshape(x, pool_param, backend=backend)
        return out, ("reshape", cache)
    out, cache = max_pool_forward_im2col(x, pool_param, backend=backend)
    return out, ("im2col", cache)


def max_pool_backward_fast(dout, cache):
    """
    A fast implementation of the backward pass for a max-pooling layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: the cache returned by max_pool_forward_fast

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    method, real_cache = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, real_cache)
    return max_pool_backward_im2col(dout, real_cache)
