"""Weight penalties: ``penalty(W) -> float`` and ``grad(W) -> array of W's shape``.

``Network.fit(reg=...)`` applies one to the weights ``W`` of every Dense layer
(never to the biases) and adds it once per batch to the averaged data loss.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_non_negative_real


class L2:
    """0.5 * lam * sum(W**2), the convention of layers.py's models (gradient lam * W)."""

    def __init__(self, lam):
        check_non_negative_real("lam", lam)
        self.lam = lam

    def penalty(self, W) -> float:
        value = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("penalty is not implemented yet (regularizers.py)")
        return value

    def grad(self, W):
        dW = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("grad is not implemented yet (regularizers.py)")
        return dW


class L1:
    """lam * sum(|W|) (subgradient lam * sign(W), 0 at W == 0)."""

    def __init__(self, lam):
        check_non_negative_real("lam", lam)
        self.lam = lam

    def penalty(self, W) -> float:
        value = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("penalty is not implemented yet (regularizers.py)")
        return value

    def grad(self, W):
        dW = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("grad is not implemented yet (regularizers.py)")
        return dW
