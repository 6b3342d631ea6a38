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


def im2col_numpy(x, HH, WW, pad, stride):
    """
    Unfold the zero-padded input into columns.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - HH, WW: filter height and width
    - pad: number of zeros added on every side of each image
    - stride: distance between neighbouring filter positions

    Returns:
    - cols: C-contiguous array of shape (C * HH * WW, N * H' * W'), same dtype
      as x, where H' = 1 + (H + 2 * pad - HH) // stride and likewise W'.
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
    return np.ascontiguousarray(windows).reshape(C * HH * WW, N * Ho * Wo)


def col2im_numpy(cols, x_shape, HH, WW, pad, stride):
    """
    Fold columns back into an image, summing the contributions of overlapping
    filter positions (the adjoint of im2col_numpy); padding is dropped.

    Inputs:
    - cols: array of shape (C * HH * WW, N * H' * W')
    - x_shape: the shape (N, C, H, W) of the unpadded image
    - HH, WW, pad, stride: as for im2col_numpy

    Returns:
    - x: C-contiguous array of shape (N, C, H, W), same dtype as cols
    """
    N, C, H, W = x_shape
    Ho, Wo = _out_size(H, HH, pad, stride), _out_size(W, WW, pad, stride)
    cols = cols.reshape(C, HH, WW, N, Ho, Wo)
    padded = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for i in range(HH):
        rows = _taps(Ho, i, stride)
        for j in range(WW):
            padded[:, :, rows, _taps(Wo, j, stride)] += cols[:, i, j]
    return np.ascontiguousarray(padded[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3))


def max_pool_forward_numpy(x, pool_height, pool_width, stride):
    """
    Max over every pooling window. H' = 1 + (H - pool_height) // stride (and
    likewise W'); rows and columns that no whole window covers are ignored.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - out: array of shape (N, C, H', W'), same dtype as x
    """
    N, C, H, W = x.shape
    Ho, Wo = (H - pool_height) // stride + 1, (W - pool_width) // stride + 1
    out = None
    for i in range(pool_height):
        rows = _taps(Ho, i, stride)
        for j in range(pool_width):
            tap = x[:, :, rows, _taps(Wo, j, stride)]
            out = tap.copy() if out is None else np.maximum(out, tap, out=out)
    return out


def max_pool_backward_numpy(dout, x, pool_height, pool_width, stride):
    """
    Route each upstream gradient to the first maximum (row-major) of its
    window. Overlapping windows accumulate, in row-major order of the windows
    (the order of the naive layer's loops, so the sums round identically).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - x: the forward input, of shape (N, C, H, W)
    - pool_height, pool_width, stride: the pooling parameters

    Returns:
    - dx: array of shape (N, C, H, W), same dtype as x
    """
    Ho, Wo = dout.shape[2], dout.shape[3]
    out = max_pool_forward_numpy(x, pool_height, pool_width, stride)
    offsets = [(i, j) for i in range(pool_height) for j in range(pool_width)]
    # winner[n, c, h, w]: index into `offsets` of the window's first maximum.
    # Scanning the offsets backwards leaves the smallest matching index.
    winner = np.zeros(out.shape, dtype=np.intp)
    for k in range(len(offsets) - 1, -1, -1):
        i, j = offsets[k]
        np.putmask(winner, x[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)] == out, k)
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    if stride >= pool_height and stride >= pool_width:
        # Windows do not overlap: every input receives at most one gradient.
        for k, (i, j) in enumerate(offsets):
            np.copyto(dx[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)], dout,
                      where=winner == k)
        return dx
    zero = np.zeros((), dtype=dx.dtype)
    # An input pixel at (p, q) is reached by window (h, w) through the offset
    # (p - h * stride, q - w * stride): visiting the offsets in reverse order
    # visits the windows reaching each pixel in row-major order.
    for k in range(len(offsets) - 1, -1, -1):
        i, j = offsets[k]
        dx[:, :, _taps(Ho, i, stride), _taps(Wo, j, stride)] += np.where(winner == k, dout, zero)
    return dx
