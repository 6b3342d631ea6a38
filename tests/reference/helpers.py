"""Shared helpers for the reference-layer tests: error measures and numeric gradients.

Written for the tests on purpose (not imported from ``reference.gradient_check``),
so that a bug there cannot hide a bug in the layers, and vice versa.
"""

import numpy as np


def rel_error(a, b):
    """Largest elementwise relative error, as in the cs231n notebooks.

    max |a - b| / max(1e-8, |a| + |b|); the floor keeps exact zeros from
    dividing by zero.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape mismatch: {a.shape} vs {b.shape}"
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def scaled_error(a, b, scale=None):
    """Largest absolute difference relative to the larger array's largest magnitude.

    Used where an array legitimately holds entries far smaller than its scale
    (for instance batchnorm's dx, whose columns sum to zero), so that an
    elementwise relative error would measure cancellation noise, not a bug.
    ``scale``, when given, replaces the arrays' own scale: for a gradient that
    is analytically zero (a bias before batchnorm) the only meaningful scale is
    that of the other gradients of the same layer.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape mismatch: {a.shape} vs {b.shape}"
    if scale is None:
        scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return float(np.max(np.abs(a - b), initial=0.0) / max(scale, 1e-300))


def numeric_grad(f, x, dout=None, h=1e-5):
    """Centred-difference gradient of sum(f(x) * dout) with respect to x.

    f takes no argument and reads x, which is perturbed in place and restored
    after each evaluation. With dout None, f must return a scalar.
    The truncation error of the centred formula is O(h**2) and its rounding
    error O(eps * |f| / h); with h = 1e-5 in float64 both are around 1e-10.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + h
        plus = np.array(f(), dtype=np.float64, copy=True)
        x[idx] = old - h
        minus = np.array(f(), dtype=np.float64, copy=True)
        x[idx] = old
        diff = plus - minus
        grad[idx] = (diff if dout is None else np.sum(diff * dout)) / (2 * h)
        it.iternext()
    return grad


def distinct_values(rng, shape, spacing=1.0):
    """An array of the given shape whose values are pairwise at least ``spacing`` / size apart.

    Used for max pooling and ReLU, where a numeric gradient is only valid away
    from ties and kinks: a random permutation of evenly spaced values centred
    on zero, avoiding zero itself.
    """
    n = int(np.prod(shape))
    values = (np.arange(n) - (n - 1) / 2 + 0.25) * (spacing / n)
    return rng.permutation(values).reshape(shape)
