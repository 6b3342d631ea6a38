"""Weight penalties, the lab's shape: ``reg(W) -> float`` and ``reg.gradient(W) -> array of W's shape``.

``Network.fit(reg=...)`` applies one to the weights ``W`` of every Dense layer
(never to the biases) and adds it once per batch to the averaged data loss.
``penalty`` and ``grad`` are the kit's earlier names for the same two methods.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_non_negative_real


class Regularizer:
    """The interface: ``__call__(W)`` the penalty, ``gradient(W)`` its gradient."""

    def __init__(self, lam):
        check_non_negative_real("lam", lam)
        self.lam = lam

    def __call__(self, W) -> float:
        raise NotImplementedError

    def gradient(self, W):
        raise NotImplementedError

    def penalty(self, W) -> float:
        return self(W)

    def grad(self, W):
        return self.gradient(W)


class L2(Regularizer):
    """0.5 * lam * sum(W**2), the convention of layers.py's models (gradient lam * W)."""

    def __call__(self, W) -> float:
        value = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__call__ is not implemented yet (regularizers.py)")
        return value

    def gradient(self, W):
        dW = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("gradient is not implemented yet (regularizers.py)")
        return dW


class L1(Regularizer):
    """lam * sum(|W|) (subgradient lam * sign(W), 0 at W == 0)."""

    def __call__(self, W) -> float:
        value = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__call__ is not implemented yet (regularizers.py)")
        return value

    def gradient(self, W):
        dW = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("gradient is not implemented yet (regularizers.py)")
        return dW
