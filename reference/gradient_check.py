"""Numeric gradients by centred finite differences, to check analytic gradients.

Every function here perturbs one entry of an input array at a time, in place,
evaluates the function at ``x + h`` and ``x - h``, and restores the entry
before moving on, so the caller's array is unchanged when the function
returns (also when ``f`` raises). The centred difference

    (f(x + h) - f(x - h)) / (2 h)

has an error of order h**2 for smooth functions; with float64 inputs and the
default h = 1e-5 it agrees with a correct analytic gradient to about 1e-8
relative error.
"""
from __future__ import annotations

from random import randrange

import numpy as np

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "eval_numerical_gradient_blobs",
    "eval_numerical_gradient_net",
    "grad_check_sparse",
]


def _probe(f, x, ix, h):
    """Return (f at x[ix] + h, f at x[ix] - h), leaving x[ix] as it was."""
    old = x[ix]
    try:
        x[ix] = old + h
        pos = f(x)
        # f may return an array that aliases its input; copy before moving x again
        pos = np.copy(pos) if isinstance(pos, np.ndarray) else pos
        x[ix] = old - h
        neg = f(x)
        neg = np.copy(neg) if isinstance(neg, np.ndarray) else neg
    finally:
        x[ix] = old
    return pos, neg


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """
    Numeric gradient of a scalar-valued function, one entry of x at a time.

    Inputs:
    - f: A function of one argument, an array shaped like x, returning a
      scalar.
    - x: A numpy array at which to evaluate the gradient; perturbed in place
      and restored.
    - verbose: If True, print each entry's index and numeric gradient.
    - h: The step of the centred difference.

    Returns:
    - grad: A numpy array of the same shape as x with the numeric gradient of
      f at x.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        fxph, fxmh = _probe(f, x, ix, h)
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Numeric gradient of an array-valued function, pulled back through an
    upstream gradient df (what a layer's backward pass computes).

    Inputs:
    - f: A function taking an array shaped like x and returning an array out.
    - x: The input array; perturbed in place and restored.
    - df: Upstream gradient, an array shaped like f(x).
    - h: The step of the centred difference.

    Returns:
    - grad: An array shaped like x, grad[i] = sum(df * d f(x) / d x[i]).
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        pos, neg = _probe(f, x, ix, h)
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def eval_numerical_gradient_blobs(f, inputs, output, h=1e-5):
    """
    Numeric gradients for a function of "blobs", objects holding a value
    array ``.vals`` and a gradient array ``.diffs``.

    Calling f(*inputs, output) must write the function's result into
    ``output.vals``; ``output.diffs`` is taken as the upstream gradient.

    Inputs:
    - f: The function, called as f(*inputs, output).
    - inputs: A sequence of input blobs; their vals are perturbed and restored.
    - output: The output blob.
    - h: The step of the centred difference.

    Returns:
    - numeric_diffs: A list with one array per input blob, shaped like its
      vals.
    """
    numeric_diffs = []
    for input_blob in inputs:
        diff = np.zeros_like(input_blob.diffs)
        it = np.nditer(input_blob.vals, flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            idx = it.multi_index

            def run(_vals):
                f(*(tuple(inputs) + (output,)))
                return np.copy(output.vals)

            pos, neg = _probe(run, input_blob.vals, idx, h)
            diff[idx] = np.sum((pos - neg) * output.diffs) / (2.0 * h)
            it.iternext()
        numeric_diffs.append(diff)
    return numeric_diffs


def eval_numerical_gradient_net(net, inputs, output, h=1e-5):
    """Numeric gradients of a net's forward pass over blobs (see eval_numerical_gradient_blobs)."""
    return eval_numerical_gradient_blobs(lambda *args: net.forward(), inputs, output, h=h)


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5):
    """
    Spot-check an analytic gradient at num_checks random entries of x,
    printing the numeric value, the analytic value and their relative error
    for each.

    The entries are drawn with Python's ``random`` module (not numpy's), as
    course material expects; call ``random.seed`` for a reproducible sample.

    Inputs:
    - f: A function of x returning a scalar.
    - x: The point; perturbed in place and restored.
    - analytic_grad: An array shaped like x, the gradient to check.
    - num_checks: How many entries to sample.
    - h: The step of the centred difference.

    Returns:
    - rel_errors: A list of the num_checks relative errors, in sampling order
      (cs231n's version returns None; printing is unchanged).
    """
    rel_errors = []
    for _ in range(num_checks):
        ix = tuple(randrange(m) for m in x.shape)
        fxph, fxmh = _probe(f, x, ix, h)
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        denom = abs(grad_numerical) + abs(grad_analytic)
        rel_error = abs(grad_numerical - grad_analytic) / denom if denom > 0 else 0.0
        rel_errors.append(rel_error)
        print(
            "numerical: %f analytic: %f, relative error: %e"
            % (grad_numerical, grad_analytic, rel_error)
        )
    return rel_errors
