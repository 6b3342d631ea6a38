"""Pure-numpy kernels for the fast convolution and max-pooling layers.

Given code: there is nothing to implement in this file. These functions are
the fallback for the compiled kernels of ``im2col_cython.pyx`` and compute the
same arrays, bit for bit, with the same layouts:

- ``im2col_numpy`` <-> ``im2col_cython``
- ``col2im_numpy`` <-> ``col2im_cython``
- ``max_pool_forward_numpy`` <-> ``max_pool_forward_cython``
- ``max_pool_backward_numpy`` <-> ``max_pool_backward_cython``

The column layout: ``cols`` has shape (C * HH * WW, N * H' * W'); row
``(c * HH + i) * WW + j`` holds the input pixel under filter tap (c, i, j)
for every output position, column ``(n * H' + h') * W' + w'``. A convolution
is then one matrix product, ``w.reshape(F, -1) @ cols``.

The loops below run over the HH * WW filter taps (or the pooling window's
offsets) and are vectorised over everything else, so they cost a handful of
numpy calls whatever the batch size.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided


def _out_size(size, field, pad, stride):
    return (size + 2 * pad - field) // stride + 1


def _taps(out_size, offset, stride):
    """The slice of the (padded) input read by filter offset `offset`."""
    return slice(offset, offset + stride * (out_size - 1) + 1, stride)


def im2col_numpy(x, HH, WW, pad, stride, out=None):
    """
    Unfold the zero-padded input into columns.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - HH, WW: filter height and width
    - pad: number of zeros added on every side of each image
    - stride: distance between neighbouring filter positions
    - out: optional C-contiguous array of the shape and dtype of cols, to
      write into (every element is overwritten)

    Returns:
    - cols: C-contiguous array of shape (C * HH * WW, N * H' * W'), same dtype
      as x, where H' = 1 + (H + 2 * pad - HH) // stride and likewise W' (out
      if given).
    """
    N, C, H, W = x.shape
    Ho, Wo = _out_size(H, HH, pad, stride), _out_size(W, WW, pad, stride)
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    sN, sC, sH, sW = x.strides
    # A read-only view of shape (C, HH, WW, N, H', W'): element (c, i, j, n, h, w)
    # is x_padded[n, c, h * stride + i, w * stride + j]. Copying it lays it out.
    windows = as_strided(
        x,
        shape=(C, HH, WW, N, Ho, Wo),
        strides=(sC, sH, sW, sN, sH * stride, sW * stride),
        writeable=False,
    )
    if out is None:
        return np.ascontiguousarray(windows).reshape(C * HH * WW, N * Ho * Wo)
    np.copyto(out.reshape(windows.shape), windows)
    return out


def col2im_numpy(cols, x_shape, HH, WW, pad, stride, out=None):
    """
    Fold columns back into an image, summing the contributions of overlapping
    filter positions (the adjoint of im2col_numpy); padding is dropped.

    Inputs:
    - cols: array of shape (C * HH * WW, N * H' * W')
    - x_shape: the shape (N, C, H, W) of the unpadded image
    - HH, WW, pad, stride: as for im2col_numpy
    - out: optional array of shape x_shape and the dtype of cols, to write
      into (it is overwritten, not added to)

    Returns:
    - x: C-contiguous array of shape (N, C, H, W), same dtype as cols (out if
      given)
    """
    N, C, H, W = x_shape
    Ho, Wo = _out_size(H, HH, pad, stride), _out_size(W, WW, pad, stride)
    cols = cols.reshape(C, HH, WW, N, Ho, Wo)
    padded = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for i in range(HH):
        rows = _taps(Ho, i, stride)
        for j in range(WW):
            padded[:, :, rows, _taps(Wo, j, stride)] += cols[:, i, j]
    image = padded[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)
    if out is None:
        return np.ascontiguousarray(image)
    np.copyto(out, image)
    return out


def max_pool_forward_numpy(x, pool_height, pool_width, stride):
    """
    Max over every pooling window, and where it was found. H' = 1 + (H -
    pool_height) // stride (and likewise W'); rows and columns that no whole
    window covers are ignored.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - pool_height, pool_width, stride: the pooling parameters

    Returns a tuple of:
    - out: array of shape (N, C, H', W'), same dtype as x
    - argmax: np.intc array of shape (N, C, H', W'): the row-major index
      i * pool_width + j, within its window, of the first maximum of each
      window (NaN counts as the maximum, as for np.max and np.argmax)
    """
    N, C, H, W = x.shape
    Ho, Wo = (H - pool_height) // stride + 1, (W - pool_width) // stride + 1
    taps = [x[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)]
            for i in range(pool_height) for j in range(pool_width)]
    out = taps[0].copy()
    for tap in taps[1:]:
        np.maximum(out, tap, out=out)  # propagates NaN, like np.max
    # Scanning the taps backwards leaves the first one that attains the max.
    argmax = np.zeros(out.shape, dtype=np.intc)
    # A window whose max is NaN holds a NaN: its first NaN is the argmax.
    nan_max = np.issubdtype(out.dtype, np.inexact) and bool(np.isnan(out).any())
    for k in range(len(taps) - 1, -1, -1):
        hit = taps[k] == out
        if nan_max:
            hit |= np.isnan(taps[k])
        np.putmask(argmax, hit, k)
    return out, argmax


def max_pool_backward_numpy(dout, argmax, x_shape, pool_height, pool_width, stride):
    """
    Route each upstream gradient to the maximum of its window. Overlapping
    windows accumulate, in row-major order of the windows (the order of the
    naive layer's loops, so the sums round identically).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - argmax: the argmax returned by max_pool_forward_numpy
    - x_shape: the shape (N, C, H, W) of the forward input
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - dx: array of shape (N, C, H, W), same dtype as dout
    """
    Ho, Wo = dout.shape[2], dout.shape[3]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    offsets = [(i, j) for i in range(pool_height) for j in range(pool_width)]
    if stride >= pool_height and stride >= pool_width:
        # Windows do not overlap: every input receives at most one gradient.
        for k, (i, j) in enumerate(offsets):
            np.copyto(dx[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)], dout,
                      where=argmax == k)
        return dx
    zero = np.zeros((), dtype=dx.dtype)
    # Input pixel (p, q) is reached from window (h, w) through offset
    # (p - h * stride, q - w * stride): visiting the offsets in reverse order
    # visits the windows reaching each pixel in row-major order.
    for k in range(len(offsets) - 1, -1, -1):
        i, j = offsets[k]
        dx[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)] += np.where(argmax == k, dout, zero)
    return dx
