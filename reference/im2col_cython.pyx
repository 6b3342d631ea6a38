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
- the max-pool forward pass also returns, for every window, the row-major
  index of its first maximum within the window (NaN counts as the maximum, as
  in np.max / np.argmax); the backward pass sends the gradient there, visiting
  the windows in row-major order so that overlapping windows accumulate in the
  same order as the naive layer.
"""
import numpy as np

# Bumped whenever a kernel's signature or layout changes; fast_layers refuses a
# compiled module whose version differs (a stale build) and uses numpy instead.
KERNEL_VERSION = 1

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
                  Py_ssize_t pad, Py_ssize_t stride, out=None):
    """
    Unfold the (implicitly zero-padded) input into columns.

    Inputs:
    - x: Input data of shape (N, C, H, W), C-contiguous, float32 or float64
    - HH, WW: filter height and width
    - pad: number of zeros added on every side of each image
    - stride: distance between neighbouring filter positions
    - out: optional C-contiguous array of the shape and dtype of cols, to
      write into (every element is overwritten)

    Returns:
    - cols: array of shape (C * HH * WW, N * H' * W'), same dtype as x (out
      if given)
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t Ho = _out_size(H, HH, pad, stride)
    cdef Py_ssize_t Wo = _out_size(W, WW, pad, stride)
    cdef Py_ssize_t c, n, i, j, oh, ow, h, lo, hi
    cdef floating *dst
    cdef floating *src
    dtype = np.float32 if floating is float else np.float64
    cols_arr = np.empty((C * HH * WW, N * Ho * Wo), dtype=dtype) if out is None else out
    cdef floating[:, ::1] cols = cols_arr
    if cols.shape[0] != C * HH * WW or cols.shape[1] != N * Ho * Wo:
        raise ValueError(f"out has shape {out.shape}, expected ({C * HH * WW}, {N * Ho * Wo})")
    if cols.shape[0] == 0 or cols.shape[1] == 0:
        return cols_arr
    with nogil:
        for c in range(C):
            for i in range(HH):
                for j in range(WW):
                    # Output columns [lo, hi) of a row read inside the image;
                    # the others read the padding.
                    lo = _first_valid(j, pad, stride)
                    if lo > Wo:
                        lo = Wo
                    hi = _end_valid(W, Wo, j, pad, stride)
                    if hi < lo:
                        hi = lo
                    # Row (c, i, j) of cols, written front to back.
                    dst = &cols[(c * HH + i) * WW + j, 0]
                    for n in range(N):
                        for oh in range(Ho):
                            h = oh * stride + i - pad
                            if h < 0 or h >= H:
                                for ow in range(Wo):
                                    dst[ow] = 0
                            else:
                                for ow in range(lo):
                                    dst[ow] = 0
                                if hi > lo:
                                    src = &x[n, c, h, lo * stride + j - pad]
                                    if stride == 1:
                                        for ow in range(hi - lo):
                                            dst[lo + ow] = src[ow]
                                    else:
                                        for ow in range(hi - lo):
                                            dst[lo + ow] = src[ow * stride]
                                for ow in range(hi, Wo):
                                    dst[ow] = 0
                            dst += Wo
    return cols_arr


def col2im_cython(floating[:, ::1] cols, tuple x_shape, Py_ssize_t HH, Py_ssize_t WW,
                  Py_ssize_t pad, Py_ssize_t stride, out=None):
    """
    Fold columns back into an image, summing overlapping taps (the adjoint of
    im2col_cython). Taps that fall in the padding are dropped. Each pixel
    receives its taps in the order (i, j) of the filter, as in col2im_numpy.

    Inputs:
    - cols: array of shape (C * HH * WW, N * H' * W'), C-contiguous
    - x_shape: the shape (N, C, H, W) of the unpadded image
    - HH, WW, pad, stride: as for im2col_cython
    - out: optional C-contiguous array of shape x_shape and the dtype of
      cols, to write into (it is overwritten, not added to)

    Returns:
    - x: array of shape (N, C, H, W), same dtype as cols (out if given)
    """
    cdef Py_ssize_t N = x_shape[0], C = x_shape[1], H = x_shape[2], W = x_shape[3]
    cdef Py_ssize_t Ho = _out_size(H, HH, pad, stride)
    cdef Py_ssize_t Wo = _out_size(W, WW, pad, stride)
    cdef Py_ssize_t c, n, i, j, oh, ow, h, lo, hi
    cdef floating *src
    cdef floating *dst
    dtype = np.float32 if floating is float else np.float64
    if cols.shape[0] != C * HH * WW or cols.shape[1] != N * Ho * Wo:
        raise ValueError(
            f"cols has shape ({cols.shape[0]}, {cols.shape[1]}), expected "
            f"({C * HH * WW}, {N * Ho * Wo})")
    if out is None:
        x_arr = np.zeros((N, C, H, W), dtype=dtype)
    else:
        x_arr = out
        x_arr[...] = 0
    cdef floating[:, :, :, ::1] x = x_arr
    if x.shape[0] != N or x.shape[1] != C or x.shape[2] != H or x.shape[3] != W:
        raise ValueError(f"out has shape {out.shape}, expected {x_shape}")
    if cols.shape[0] == 0 or cols.shape[1] == 0:
        return x_arr
    with nogil:
        for c in range(C):
            for i in range(HH):
                for j in range(WW):
                    lo = _first_valid(j, pad, stride)
                    hi = _end_valid(W, Wo, j, pad, stride)
                    src = &cols[(c * HH + i) * WW + j, 0]
                    for n in range(N):
                        for oh in range(Ho):
                            h = oh * stride + i - pad
                            if 0 <= h < H and hi > lo:
                                dst = &x[n, c, h, lo * stride + j - pad]
                                if stride == 1:
                                    for ow in range(hi - lo):
                                        dst[ow] += src[lo + ow]
                                else:
                                    for ow in range(hi - lo):
                                        dst[ow * stride] += src[lo + ow]
                            src += Wo
    return x_arr


def max_pool_forward_cython(floating[:, :, :, ::1] x, Py_ssize_t pool_height,
                            Py_ssize_t pool_width, Py_ssize_t stride):
    """
    Max over every pooling window, and where it was found. Windows that do not
    fit are not formed (H' = 1 + (H - pool_height) // stride, and likewise W';
    leftover rows and columns are ignored).

    Inputs:
    - x: Input data of shape (N, C, H, W), C-contiguous
    - pool_height, pool_width, stride: the pooling parameters

    Returns a tuple of:
    - out: array of shape (N, C, H', W'), same dtype as x
    - argmax: np.intc array of shape (N, C, H', W'): the row-major index
      i * pool_width + j, within its window, of the first maximum of each
      window (NaN counts as the maximum, as for np.max and np.argmax)
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t Ho = (H - pool_height) // stride + 1
    cdef Py_ssize_t Wo = (W - pool_width) // stride + 1
    cdef Py_ssize_t n, c, oh, ow, i, j
    cdef int k
    cdef bint take
    cdef floating b, v
    cdef floating *xrow
    cdef floating *orow
    cdef int *arow
    dtype = np.float32 if floating is float else np.float64
    out_arr = np.empty((N, C, Ho, Wo), dtype=dtype)
    arg_arr = np.empty((N, C, Ho, Wo), dtype=np.intc)
    cdef floating[:, :, :, ::1] out = out_arr
    cdef int[:, :, :, ::1] arg = arg_arr
    if N == 0 or C == 0:
        return out_arr, arg_arr
    with nogil:
        for n in range(N):
            for c in range(C):
                for oh in range(Ho):
                    # One output row at a time, tap by tap: the inner loop is
                    # branch-free and runs over the row's windows.
                    orow = &out[n, c, oh, 0]
                    arow = &arg[n, c, oh, 0]
                    xrow = &x[n, c, oh * stride, 0]
                    for ow in range(Wo):
                        orow[ow] = xrow[ow * stride]
                        arow[ow] = 0
                    k = 0
                    for i in range(pool_height):
                        xrow = &x[n, c, oh * stride + i, 0]
                        for j in range(pool_width):
                            if k > 0:
                                for ow in range(Wo):
                                    v = xrow[ow * stride + j]
                                    b = orow[ow]
                                    # strictly greater: ties keep the first
                                    # maximum; the first NaN wins and stays.
                                    take = (v > b) | ((v != v) & (b == b))
                                    orow[ow] = v if take else b
                                    arow[ow] = k if take else arow[ow]
                            k += 1
    return out_arr, arg_arr


def max_pool_backward_cython(floating[:, :, :, ::1] dout, int[:, :, :, ::1] argmax,
                             tuple x_shape, Py_ssize_t pool_height,
                             Py_ssize_t pool_width, Py_ssize_t stride):
    """
    Route each upstream gradient to the maximum of its window; overlapping
    windows accumulate, visited in row-major order (the naive layer's order,
    so the sums round the same way).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W'), C-contiguous
    - argmax: the argmax returned by max_pool_forward_cython
    - x_shape: the shape (N, C, H, W) of the forward input
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - dx: array of shape (N, C, H, W), same dtype as dout
    """
    cdef Py_ssize_t N = x_shape[0], C = x_shape[1], H = x_shape[2], W = x_shape[3]
    cdef Py_ssize_t Ho = dout.shape[2], Wo = dout.shape[3]
    cdef Py_ssize_t n, c, oh, ow, h0, w0
    cdef int k
    if (dout.shape[0] != N or dout.shape[1] != C
            or Ho != (H - pool_height) // stride + 1
            or Wo != (W - pool_width) // stride + 1):
        raise ValueError("dout does not have the pooled shape of x")
    if (argmax.shape[0] != N or argmax.shape[1] != C
            or argmax.shape[2] != Ho or argmax.shape[3] != Wo):
        raise ValueError("argmax and dout have different shapes")
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
                        k = argmax[n, c, oh, ow]
                        dx[n, c, h0 + k // pool_width, w0 + k % pool_width] += dout[n, c, oh, ow]
    return dx_arr
