"""Q1: fully-connected networks (affine and ReLU layers, losses, TwoLayerNet,
FullyConnectedNet, the update rules and the Solver)."""
from __future__ import annotations

import numpy as np

from ..compare import compare_gradients, compare_values, numeric_gradient
from .base import Case, Check, Impl

Q = "q1"


def _affine_case(rng: np.random.Generator, hidden: bool) -> Case:
    if hidden:
        n = int(rng.integers(2, 7))
        shape = tuple(int(s) for s in rng.integers(2, 5, size=int(rng.integers(1, 4))))
        m = int(rng.integers(2, 6))
        scale = float(rng.choice([1e-2, 1.0, 1e2]))
    else:
        n, shape, m, scale = 3, (2, 3, 4), 5, 1.0
    d = int(np.prod(shape))
    return Case(
        {
            "x": scale * rng.standard_normal((n, *shape)),
            "w": rng.standard_normal((d, m)),
            "b": rng.standard_normal(m),
            "dout": rng.standard_normal((n, m)),
        }
    )


def _affine_forward(impl: Impl, case: Case):
    out, _ = impl.layers.affine_forward(case.copy("x"), case.copy("w"), case.copy("b"))
    return {"out": out}


def _affine_backward(impl: Impl, case: Case):
    x, w, b, dout = case.copy("x"), case.copy("w"), case.copy("b"), case.copy("dout")
    forward = impl.layers.affine_forward
    _, cache = forward(x, w, b)
    dx, dw, db = impl.layers.affine_backward(dout, cache)
    return {
        "dx": dx,
        "dw": dw,
        "db": db,
        "dx_num": numeric_gradient(lambda v: forward(v, w, b)[0], x, dout),
        "dw_num": numeric_gradient(lambda v: forward(x, v, b)[0], w, dout),
        "db_num": numeric_gradient(lambda v: forward(x, w, v)[0], b, dout),
    }


CHECKS = (
    Check(
        "affine_forward",
        Q,
        "affine_forward output",
        _affine_case,
        _affine_forward,
        compare_values(["out"]),
        tolerance=1e-9,  # float64 matmul: agreement to ~1e-14, 1e-9 leaves room for summation order
        calls=("layers.affine_forward",),
        wrong_answers=("affine_no_reshape_bias_twice",),
    ),
    Check(
        "affine_backward",
        Q,
        "affine_backward gradients dx, dw, db",
        _affine_case,
        _affine_backward,
        compare_gradients({"dx": "dx_num", "dw": "dw_num", "db": "db_num"}),
        tolerance=1e-8,  # analytic vs reference analytic in float64
        calls=("layers.affine_forward", "layers.affine_backward"),
        wrong_answers=("affine_db_mean",),
    ),
)
