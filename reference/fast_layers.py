"""Fast convolution and max-pooling layers (given code: nothing to implement).

Same semantics as the naive layers of ``layers.py``, computed with im2col
(unfolding the input so that a convolution becomes a matrix product, a few
images at a time) and single-pass pooling kernels:

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
from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from .validation import check_conv, check_pool
from .im2col import col2im_numpy, im2col_numpy, max_pool_backward_numpy, max_pool_forward_numpy

# The layers (what ``from .fast_layers import *`` brings in); BACKEND and
# BACKENDS are read as module attributes.
__all__ = [
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
    pool_forward: Callable  # (x, pool_height, pool_width, stride) -> (out, argmax)
    pool_backward: Callable  # (dout, argmax, x_shape, pool_height, pool_width, stride) -> dx


#: The kernel interface this module expects from im2col_cython (its KERNEL_VERSION).
KERNEL_VERSION = 1


def _load_cython_kernels():
    try:
        from . import im2col_cython as compiled
        from .im2col_cython import (
            col2im_cython,
            im2col_cython,
            max_pool_backward_cython,
            max_pool_forward_cython,
        )
    except ImportError:
        return None
    if getattr(compiled, "KERNEL_VERSION", None) != KERNEL_VERSION:
        return None  # compiled from an older .pyx: rebuild with pip install -e .
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
        "Cython kernels not compiled (or compiled from an older im2col_cython.pyx); "
        "using the numpy fallback (slower). Reinstall with a C compiler: pip install -e .",
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
# Convolution
# ---------------------------------------------------------------------------


# The columns of a whole batch can be far larger than the input (C*HH*WW /
# stride**2 times), so the batch is unfolded a few images at a time into one
# buffer of about this many bytes, reused for every chunk: it stays in cache and
# needs no fresh (page-faulting) memory. The backward pass unfolds again rather
# than keep the columns alive between the passes.
_CHUNK_BYTES = 1 << 19


def _chunks(N, bytes_per_image):
    """Split range(N) into consecutive (start, stop) chunks of ~_CHUNK_BYTES."""
    step = max(1, min(N, _CHUNK_BYTES // max(1, bytes_per_image)))
    return step, [(n0, min(N, n0 + step)) for n0 in range(0, N, step)]


def conv_forward_im2col(x, w, b, conv_param, *, backend=None):
    """
    A fast implementation of the forward pass for a convolutional layer,
    based on im2col and matrix products.

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
    - cache: for conv_backward_im2col, in cs231n's order (x, w, b, conv_param, extra):
      the input as computed on, the weights and biases and conv_param as given; extra is
      private (cs231n keeps x_cols there; this version keeps no columns)
    """
    kernels = _kernels(backend)
    w_given, b_given = w, b
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    stride, pad, Ho, Wo = check_conv(x, w, b, conv_param)
    N = x.shape[0]
    F, C, HH, WW = w.shape
    K, P = C * HH * WW, Ho * Wo
    dtype = _float_dtype(x, w, b)
    x = np.ascontiguousarray(x, dtype=dtype)
    w2 = np.ascontiguousarray(w, dtype=dtype).reshape(F, K)
    bias = np.asarray(b, dtype=dtype)[:, None]
    out = np.empty((N, F, P), dtype=dtype)
    step, chunks = _chunks(N, K * P * dtype.itemsize)
    buf = np.empty(K * step * P, dtype=dtype)
    for n0, n1 in chunks:
        nb = n1 - n0
        cols = kernels.im2col(x[n0:n1], HH, WW, pad, stride,
                              out=buf[:K * nb * P].reshape(K, nb * P))
        # Image n's columns are the (K, P) block cols[:, n*P:(n+1)*P]: one
        # batched product writes (nb, F, P) straight into the output.
        np.matmul(w2, cols.reshape(K, nb, P).transpose(1, 0, 2), out=out[n0:n1])
        out[n0:n1] += bias  # while the chunk is in cache
    cache = (x, w_given, b_given, conv_param, (w2, stride, pad, kernels))
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
    x, w, _, _, (w2, stride, pad, kernels) = cache
    w_shape = np.shape(w)
    N, C, H, W = x.shape
    F, K = w2.shape
    HH, WW = w_shape[2:]
    dtype = x.dtype
    if np.ndim(dout) != 4 or dout.shape[:2] != (N, F):
        raise ValueError(f"dout must have shape (N, F, H', W') = ({N}, {F}, H', W'), "
                         f"got {np.shape(dout)}")
    P = dout.shape[2] * dout.shape[3]
    dout = np.ascontiguousarray(dout, dtype=dtype).reshape(N, F, P)
    db = dout.sum(axis=(0, 2))
    dx = np.empty(x.shape, dtype=dtype)
    dw = np.zeros((F, K), dtype=dtype)
    step, chunks = _chunks(N, K * P * dtype.itemsize)
    buf = np.empty(K * step * P, dtype=dtype)
    dbuf = np.empty(K * step * P, dtype=dtype)
    for n0, n1 in chunks:
        nb = n1 - n0
        cols = kernels.im2col(x[n0:n1], HH, WW, pad, stride,
                              out=buf[:K * nb * P].reshape(K, nb * P))
        # (F, nb*P): the upstream gradient in the layout of the columns.
        d2 = dout[n0:n1].transpose(1, 0, 2).reshape(F, nb * P)
        dw += np.matmul(d2, cols.T)
        dcols = np.matmul(w2.T, d2, out=dbuf[:K * nb * P].reshape(K, nb * P))
        kernels.col2im(dcols, (nb, C, H, W), HH, WW, pad, stride, out=dx[n0:n1])
    return dx, dw.reshape(w_shape), db


# The cs231n names.
conv_forward_fast = conv_forward_im2col
conv_backward_fast = conv_backward_im2col


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------


def max_pool_forward_reshape(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer whose
    square windows sit side by side (pool_height == pool_width == stride):
    x is viewed as blocks of shape (N, C, H', s, W', s) and reduced over the
    s * s taps of each block. Rows and columns that no whole window covers are
    ignored.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the keys 'pool_height', 'pool_width' and
      'stride', all equal
    - backend: unused (numpy only; accepted for a uniform signature)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H // stride, W // stride)
    - cache: opaque, for max_pool_backward_reshape
    """
    x = np.asarray(x)
    ph, pw, s = check_pool(x, pool_param)
    if not ph == pw == s:
        raise ValueError("max_pool_forward_reshape needs pool_height == pool_width == stride, "
                         f"got {ph}, {pw}, {s}; use max_pool_forward_fast")
    x = np.asarray(x, dtype=_float_dtype(x))
    N, C, H, W = x.shape
    Ho, Wo = H // s, W // s
    blocks = x[:, :, :Ho * s, :Wo * s].reshape(N, C, Ho, s, Wo, s)
    out = blocks[:, :, :, 0, :, 0].copy()
    for i in range(s):
        for j in range(s):
            if i or j:
                np.maximum(out, blocks[:, :, :, i, :, j], out=out)  # propagates NaN
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
    N, C, Ho, s, Wo, _ = blocks.shape
    dout = np.asarray(dout, dtype=blocks.dtype)
    if dout.shape != out.shape:
        raise ValueError(f"dout must have shape {out.shape}, got {dout.shape}")
    dx = np.zeros(x_shape, dtype=blocks.dtype)
    cropped = (Ho * s, Wo * s) != tuple(x_shape[2:])
    if cropped:  # leftover rows/columns: fill whole blocks, then copy them in
        dblocks = np.zeros(blocks.shape, dtype=blocks.dtype)
    else:  # a view: writing the blocks writes dx
        dblocks = dx.reshape(blocks.shape)
    # The first maximum in row-major order takes the gradient; NaN counts as
    # the maximum, as for np.argmax (a window whose max is NaN holds a NaN).
    nan_max = bool(np.isnan(out).any())
    free = np.ones(out.shape, dtype=bool)  # windows whose gradient is not placed yet
    for i in range(s):
        for j in range(s):
            tap = blocks[:, :, :, i, :, j]
            hit = tap == out
            if nan_max:
                hit |= np.isnan(tap)
            hit &= free
            np.copyto(dblocks[:, :, :, i, :, j], dout, where=hit)
            free &= ~hit
    if cropped:
        dx[:, :, :Ho * s, :Wo * s] = dblocks.reshape(N, C, Ho * s, Wo * s)
    return dx


def max_pool_forward_im2col(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer with any
    window and stride (windows may overlap or leave rows and columns over).
    (The cs231n name; the kernels read the windows in place, without columns.)

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
    x = np.asarray(x)
    ph, pw, stride = check_pool(x, pool_param)
    x = np.ascontiguousarray(x, dtype=_float_dtype(x))
    out, argmax = kernels.pool_forward(x, ph, pw, stride)
    return out, (x.shape, x.dtype, argmax, (ph, pw, stride), kernels)


def max_pool_backward_im2col(dout, cache):
    """
    A fast implementation of the backward pass for max_pool_forward_im2col.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: the cache returned by max_pool_forward_im2col

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    x_shape, dtype, argmax, (ph, pw, stride), kernels = cache
    if np.shape(dout) != argmax.shape:
        raise ValueError(f"dout must have shape {argmax.shape}, got {np.shape(dout)}")
    dout = np.ascontiguousarray(dout, dtype=dtype)
    return kernels.pool_backward(dout, argmax, x_shape, ph, pw, stride)


def max_pool_forward_fast(x, pool_param, *, backend=None):
    """
    A fast implementation of the forward pass for a max-pooling layer: the
    compiled kernel for every window shape, or with the numpy kernels the
    reshape method where the windows sit side by side and the general one
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
    x = np.asarray(x)
    ph, pw, stride = check_pool(x, pool_param)
    if _kernels(backend).name == "numpy" and ph == pw == stride:
        out, cache = max_pool_forward_reshape(x, pool_param)
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
