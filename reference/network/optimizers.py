"""Optimizers (lab, exercise 6: ``optimizers.py`` with the interface ``Optimizador`` and ``SGD``).

The lab leaves the interface open; the kit's choice: ``batches(n, rng)``
lists the minibatches of one epoch and ``update(param, grad)`` takes one step
on a parameter, in place. ``Optimizer`` (alias ``Optimizador``) is the
interface, ``SGD(lr, bs)`` the (mini)batch gradient descent the lab calls
SGD / BGD; ``BGD`` is the same class under the kit's earlier name.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_non_negative_real, check_positive_int


class Optimizer:
    """The interface: ``lr``, ``bs``, ``batches(n, rng)`` and ``update(param, grad)``."""

    lr: float
    bs: int | None

    def batches(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        raise NotImplementedError

    def update(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError


Optimizador = Optimizer


class SGD(Optimizer):
    """(Mini)batch gradient descent.

    ``lr``: the learning rate; ``bs``: the batch size (None: the whole
    training set, one step per epoch). Each epoch visits the examples in a new
    random order drawn from the network's generator, cut into consecutive
    batches of ``bs`` (the last one may be smaller).
    """

    def __init__(self, lr=0.01, bs=None):
        check_non_negative_real("lr", lr)
        if bs is not None:
            check_positive_int("bs", bs)
        self.lr = lr
        self.bs = bs

    def batches(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        """The index arrays of one epoch over n examples: a permutation of range(n), cut in batches."""
        size = n if self.bs is None else min(self.bs, n)
        out = None
        # BEGIN SOLUTION
        order = rng.permutation(n)
        out = [order[i : i + size] for i in range(0, n, size)]
        # END SOLUTION
        return out

    def update(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """One step on ``param``, in place (layers keep a reference to it); returns it."""
        # BEGIN SOLUTION
        param -= self.lr * grad
        # END SOLUTION
        return param


class BGD(SGD):
    """``SGD`` under the kit's earlier name (the lab: "SGD ... (BGD)")."""
