"""Metrics (lab, exercise 6: ``metrics.py`` with Accuracy and MSE): ``metric(scores, target) -> float``.

``Accuracy`` is the sign accuracy for one output per example (XOR, parity:
+-1 targets) and the class accuracy for several (CIFAR-10: the largest score
against the label or the one-hot row's argmax). ``Accuracy("XOR")`` /
``Accuracy("cifar")`` fix the kind; the name is the ``name`` of ``fit``.
"""
from __future__ import annotations

import numpy as np

from . import losses

#: Problem names (``fit(..., name=...)``) whose accuracy is the sign accuracy.
SIGN_PROBLEMS = {"xor", "parity", "paridad"}


def sign_accuracy(pred, target) -> float:
    """The fraction of outputs whose sign is the target's (+-1 targets; an output of 0 counts as -1)."""
    pred = np.asarray(pred).reshape(np.shape(target))
    return float(np.mean(np.where(pred > 0, 1, -1) == np.where(np.asarray(target) > 0, 1, -1)))


def class_accuracy(scores, target) -> float:
    """The fraction of rows whose largest score is the class (labels (N,) or coded rows (N, C))."""
    target = np.asarray(target)
    labels = np.argmax(target, axis=1) if target.ndim == 2 else target
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def accuracy(pred, target) -> float:
    """``sign_accuracy`` for one output per example, ``class_accuracy`` for several."""
    pred = np.asarray(pred)
    if pred.ndim == 1 or pred.shape[1] == 1:
        return sign_accuracy(pred, target)
    return class_accuracy(pred, target)


class Accuracy:
    """The lab's ``Accuracy``: ``Accuracy(name=None)(scores, target)``.

    name None: chosen from the number of outputs (``accuracy``); a name of
    ``SIGN_PROBLEMS``: the sign accuracy; any other name: the class accuracy.
    """

    def __init__(self, name=None):
        self.name = name

    def __call__(self, scores, target) -> float:
        if self.name is None:
            return accuracy(scores, target)
        if str(self.name).lower() in SIGN_PROBLEMS:
            return sign_accuracy(scores, target)
        return class_accuracy(scores, target)


class MSE:
    """The lab's ``metrics.MSE``: the course's MSE value (mean over examples of the sum over outputs)."""

    def __call__(self, scores, target) -> float:
        return losses.MSE()(np.asarray(scores, dtype=np.float64), target)
