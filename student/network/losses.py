"""Losses: ``loss(pred, target) -> (value, dpred)``, averaged over the batch.

They wrap the loss functions of layers.py (given code):

* ``MSE``: mean squared error over all elements (``layers.mse_loss``); targets
  of the predictions' shape, or class labels (N,) which become one-hot rows;
* ``SVM``: cs231n's multiclass hinge loss (``layers.svm_loss``) on scores;
* ``CCE``: categorical cross-entropy of the softmax of the scores
  (``layers.softmax_loss``): the last layer is linear, the softmax is here.

``SVM`` and ``CCE`` take class labels (N,) or one-hot / +-1-coded rows (N, C),
whose argmax is the class.
"""
from __future__ import annotations

import numpy as np

from .. import layers as L


def labels_of(target, num_classes: int) -> np.ndarray:
    """Class labels (N,) from labels or from (N, C) coded rows."""
    target = np.asarray(target)
    if target.ndim == 2:
        if target.shape[1] != num_classes:
            raise ValueError(f"targets: {target.shape[1]} columns for {num_classes} outputs")
        return np.argmax(target, axis=1)
    return target


def one_hot(labels, num_classes: int, dtype=np.float64) -> np.ndarray:
    labels = np.asarray(labels)
    out = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


class MSE:
    """Mean over all elements of (pred - target)**2."""

    def __call__(self, pred, target):
        target = np.asarray(target)
        if target.ndim == 1 and pred.ndim == 2:
            if pred.shape[1] == 1:
                target = target.reshape(-1, 1).astype(pred.dtype)
            elif np.issubdtype(target.dtype, np.integer):
                target = one_hot(target, pred.shape[1], pred.dtype)
        return L.mse_loss(pred, target)


class SVM:
    """The multiclass hinge loss of cs231n on scores (N, C)."""

    def __call__(self, pred, target):
        return L.svm_loss(pred, labels_of(target, pred.shape[1]))


class CCE:
    """Categorical cross-entropy of softmax(scores): the softmax is part of the loss."""

    def __call__(self, pred, target):
        return L.softmax_loss(pred, labels_of(target, pred.shape[1]))


NAMES = {"mse": MSE, "svm": SVM, "cce": CCE}


def get(loss):
    if isinstance(loss, str):
        try:
            return NAMES[loss.lower()]()
        except KeyError:
            raise ValueError(f"loss: unknown name {loss!r} (known: {', '.join(NAMES)})") from None
    if not callable(loss):
        raise TypeError(f"loss: expected a name or a callable loss(pred, target), got {loss!r}")
    return loss
