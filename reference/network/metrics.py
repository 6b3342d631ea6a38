"""Accuracy for +-1 targets (one output) and for classes (several outputs)."""
from __future__ import annotations

import numpy as np


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
