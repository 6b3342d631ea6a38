# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels for the fast convolution and max-pooling layers.

Given code: there is nothing to implement in this file. ``fast_layers.py``
imports it when it was compiled at install time (``pip install -e .``) and
otherwise falls back to the numpy kernels of ``im2col.py``, which compute the
same arrays (bit for bit) more slowly.

Every kernel accepts float32 and float64 arrays (a fused type) and returns
arrays of the same dtype. The arrays must be C-contiguous; ``fast_layers``
takes care of that. The layouts are those of ``im2col.py``:

- ``cols`` has shape (C * HH * WW, N * H' * W'): row ``(c * HH + i) * WW + j``
  holds the input pixel under filter tap (c, i, j) for every output position,
  column ``(n * H' + h') * W' + w'``. Taps that fall in the zero padding hold 0.
- the max-pool gradient goes to the first maximum of each window in row-major
  order (NaN counts as the maximum, as in np.max / np.argmax), and windows are visited in row-major order, so overlapping windows
  accumulate in the same order as the naive layer.
"""
import numpy as np

from cython cimport floating


cdef inline Py_ssize_t _out_size(Py_ssize_t size, Py_ssize_t field,
                                 Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    return (size + 2 * pad - field) // stride + 1


cdef inline Py_ssize_t _first_valid(Py_ssize_t offset, Py_ssize_t pad,
                                    Py_ssize_t stride) noexcept nogil:
    """Smallest output index o >= 0 with o * stride + offset - pad >= 0."""
    if offset >= pad:
        return 0
    return (pad - offset + stride - 1) // stride


cdef inline Py_ssize_t _end_valid(Py_ssize_t size, Py_ssize_t out_size,
                                  Py_ssize_t offset, Py_ssize_t pad,
                                  Py_ssize_t stride) noexcept nogil:
    """One past the largest output index o with o * stride + offset - pad < size."""
    cdef Py_ssize_t last = size - 1 + pad - offset
    if last < 0:
        return 0
    last = last // stride + 1
    return last if last < out_size else out_size


def im2col_cython(floating[:, :, :, ::1] x, Py_ssize_t HH, Py_ssize_t WW,
                  Py_ssize_t pad, Py_ssize_t stride):
    """
    Unfold the (implicitly zero-padded) input into columns.

    Inputs:
    - x: Input data of shape (N, C, H, W), C-contiguous, float32 or float64
    - HH, WW: filter height and width
    - pad: number of zeros added on every side of each image
    - stride: distance between neighbouring filter positions

    Returns:
    - cols: array of shape (C * HH * WW, N * H' * W'), same dtype as x
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t Ho = _out_size(H, HH, pad, stride)
    cdef Py_ssize_t Wo = _out_size(W, WW, pad, stride)
    cdef Py_ssize_t c, n, i, j, oh, ow, h, row, base, lo, hi, col0
    dtype = np.float32 if floating is float else np.float64
    cols_arr = np.empty((C * HH * WW, N * Ho * Wo), dtype=dtype)
    cdef floating[:, ::1] cols = cols_arr
    with nogil:
        for c in range(C):
            for n in range(N):
                for i in range(HH):
                    for j in range(WW):
                        row = (c * HH + i) * WW + j
                        lo = _first_valid(j, pad, stride)
                        if lo > Wo:
                            lo = Wo
                        hi = _end_valid(W, Wo, j, pad, stride)
                        if hi < lo:
                            hi = lo
                        for oh in range(Ho):
                            base = (n * Ho + oh) * Wo
                            h = oh * stride + i - pad
                            if h < 0 or h >= H:
                                for ow in range(Wo):
                                    cols[row, base + ow] = 0
                                continue
                            for ow in range(lo):
                                cols[row, base + ow] = 0
                            col0 = j - pad
                            for ow in range(lo, hi):
                                cols[row, base + ow] = x[n, c, h, ow * stride + col0]
                            for ow in range(hi, Wo):
                                cols[row, base + ow] = 0
    return cols_arr


def col2im_cython(floating[:, ::1] cols, tuple x_shape, Py_ssize_t HH, Py_ssize_t WW,
                  Py_ssize_t pad, Py_ssize_t stride):
    """
    Fold columns back into an image, summing overlapping taps (the adjoint of
    im2col_cython). Taps that fall in the padding are dropped.

    Inputs:
    - cols: array of shape (C * HH * WW, N * H' * W'), C-contiguous
    - x_shape: the shape (N, C, H, W) of the unpadded image
    - HH, WW, pad, stride: as for im2col_cython

    Returns:
    - x: array of shape (N, C, H, W), same dtype as cols
    """
    cdef Py_ssize_t N = x_shape[0], C = x_shape[1], H = x_shape[2], W = x_shape[3]
    cdef Py_ssize_t Ho = _out_size(H, HH, pad, stride)
    cdef Py_ssize_t Wo = _out_size(W, WW, pad, stride)
    cdef Py_ssize_t c, n, i, j, oh, ow, h, row, base, lo, hi, col0
    dtype = np.float32 if floating is float else np.float64
    if cols.shape[0] != C * HH * WW or cols.shape[1] != N * Ho * Wo:
        raise ValueError(
            f"cols has shape ({cols.shape[0]}, {cols.shape[1]}), expected "
            f"({C * HH * WW}, {N * Ho * Wo})")
    x_arr = np.zeros((N, C, H, W), dtype=dtype)
    cdef floating[:, :, :, ::1] x = x_arr
    with nogil:
        for c in range(C):
            for n in range(N):
                for i in range(HH):
                    for j in range(WW):
                        row = (c * HH + i) * WW + j
                        lo = _first_valid(j, pad, stride)
                        hi = _end_valid(W, Wo, j, pad, stride)
                        col0 = j - pad
                        for oh in range(Ho):
                            h = oh * stride + i - pad
                            if h < 0 or h >= H:
                                continue
                            base = (n * Ho + oh) * Wo
                            for ow in range(lo, hi):
                                x[n, c, h, ow * stride + col0] += cols[row, base + ow]
    return x_arr


def max_pool_forward_cython(floating[:, :, :, ::1] x, Py_ssize_t pool_height,
                            Py_ssize_t pool_width, Py_ssize_t stride):
    """
    Max over every pooling window; windows that do not fit are not formed
    (H' = 1 + (H - pool_height) // stride, leftover rows/columns are ignored).

    Inputs:
    - x: Input data of shape (N, C, H, W), C-contiguous
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - out: array of shape (N, C, H', W'), same dtype as x
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t Ho = (H - pool_height) // stride + 1
    cdef Py_ssize_t Wo = (W - pool_width) // stride + 1
    cdef Py_ssize_t n, c, oh, ow, i, j, h0, w0
    cdef floating best, v
    dtype = np.float32 if floating is float else np.float64
    out_arr = np.empty((N, C, Ho, Wo), dtype=dtype)
    cdef floating[:, :, :, ::1] out = out_arr
    with nogil:
        for n in range(N):
            for c in range(C):
                for oh in range(Ho):
                    h0 = oh * stride
                    for ow in range(Wo):
                        w0 = ow * stride
                        best = x[n, c, h0, w0]
                        for i in range(pool_height):
                            for j in range(pool_width):
                                v = x[n, c, h0 + i, w0 + j]
                                if v > best or v != v:  # NaN propagates, as in np.max
                                    best = v
                        out[n, c, oh, ow] = best
    return out_arr


def max_pool_backward_cython(floating[:, :, :, ::1] dout, floating[:, :, :, ::1] x,
                             Py_ssize_t pool_height, Py_ssize_t pool_width,
                             Py_ssize_t stride):
    """
    Route each upstream gradient to the first maximum (row-major) of its window;
    overlapping windows accumulate, visited in row-major order.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W'), C-contiguous
    - x: the forward input, of shape (N, C, H, W), C-contiguous, same dtype
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - dx: array of shape (N, C, H, W), same dtype as x
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t Ho = dout.shape[2], Wo = dout.shape[3]
    cdef Py_ssize_t n, c, oh, ow, i, j, h0, w0, bi, bj
    cdef floating best, v
    if (dout.shape[0] != N or dout.shape[1] != C
            or Ho != (H - pool_height) // stride + 1
            or Wo != (W - pool_width) // stride + 1):
        raise ValueError("dout does not have the pooled shape of x")
    dtype = np.float32 if floating is float else np.float64
    dx_arr = np.zeros((N, C, H, W), dtype=dtype)
    cdef floating[:, :, :, ::1] dx = dx_arr
    with nogil:
        for n in range(N):
            for c in range(C):
                for oh in range(Ho):
                    h0 = oh * stride
                    for ow in range(Wo):
                        w0 = ow * stride
                        best = x[n, c, h0, w0]
                        bi = 0
                        bj = 0
                        for i in range(pool_height):
                            for j in range(pool_width):
                                v = x[n, c, h0 + i, w0 + j]
                                # the first NaN wins, as in np.argmax
                                if v > best or (v != v and best == best):
                                    best = v
                                    bi = i
                                    bj = j
                        dx[n, c, h0 + bi, w0 + bj] += dout[n, c, oh, ow]
    return dx_arr
