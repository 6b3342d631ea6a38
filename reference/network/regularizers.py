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
        # BEGIN SOLUTION
        value = 0.5 * self.lam * float(np.sum(W * W))
        # END SOLUTION
        return value

    def gradient(self, W):
        dW = None
        # BEGIN SOLUTION
        dW = self.lam * W
        # END SOLUTION
        return dW


class L1(Regularizer):
    """lam * sum(|W|) (subgradient lam * sign(W), 0 at W == 0)."""

    def __call__(self, W) -> float:
        value = None
        # BEGIN SOLUTION
        value = self.lam * float(np.sum(np.abs(W)))
        # END SOLUTION
        return value

    def gradient(self, W):
        dW = None
        # BEGIN SOLUTION
        dW = self.lam * np.sign(W)
        # END SOLUTION
        return dW
