"""Losses (lab, exercise 6: ``losses.py``): ``loss(scores, target)`` and ``loss.gradient(scores, target)``.

The lab's interface ``Loss``: ``__call__`` gives the loss averaged over the
batch (a float), ``gradient`` its exact gradient with respect to the scores
(an array of their shape). They wrap the loss functions of layers.py (given
code):

* ``MSE``: the course's mean squared error, the mean over the examples of
  the sum over the outputs, gradient 2 (S - Y) / N (``layers.mse_loss``);
  targets of the scores' shape, or class labels (N,) which become one-hot rows;
* ``SVM``: cs231n's multiclass hinge loss (``layers.svm_loss``) on scores;
* ``CCE``: categorical cross-entropy of the softmax of the scores
  (``layers.softmax_loss``): the last layer is linear, the softmax is here.

``SVM`` and ``CCE`` take class labels (N,) or one-hot / +-1-coded rows (N, C),
whose argmax is the class. ``value_and_gradient`` gives both in one pass.
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


class Loss:
    """The lab's interface: ``__call__(scores, target) -> float`` and ``gradient(scores, target) -> array``."""

    def value_and_gradient(self, scores, target):
        raise NotImplementedError

    def __call__(self, scores, target) -> float:
        return float(self.value_and_gradient(scores, target)[0])

    def gradient(self, scores, target):
        return self.value_and_gradient(scores, target)[1]


class MSE(Loss):
    """The mean over the examples of the sum over the outputs of (scores - target)**2."""

    def value_and_gradient(self, scores, target):
        target = np.asarray(target)
        if target.ndim == 1 and scores.ndim == 2:
            if scores.shape[1] == 1:
                target = target.reshape(-1, 1).astype(scores.dtype)
            elif np.issubdtype(target.dtype, np.integer):
                target = one_hot(target, scores.shape[1], scores.dtype)
        return L.mse_loss(scores, target)


class SVM(Loss):
    """The multiclass hinge loss of cs231n on scores (N, C)."""

    def value_and_gradient(self, scores, target):
        return L.svm_loss(scores, labels_of(target, scores.shape[1]))


class CCE(Loss):
    """Categorical cross-entropy of softmax(scores): the softmax is part of the loss."""

    def value_and_gradient(self, scores, target):
        return L.softmax_loss(scores, labels_of(target, scores.shape[1]))


NAMES = {"mse": MSE, "svm": SVM, "cce": CCE}


class _LabLoss(Loss):
    """A loss written against the lab statement: only ``__call__`` and ``gradient``."""

    def __init__(self, loss):
        self.loss = loss

    def value_and_gradient(self, scores, target):
        return float(self.loss(scores, target)), np.asarray(self.loss.gradient(scores, target))


def get(loss) -> Loss:
    """A ``Loss`` from a name of ``NAMES``, an instance or a class."""
    if isinstance(loss, str):
        try:
            return NAMES[loss.lower()]()
        except KeyError:
            raise ValueError(f"loss: unknown name {loss!r} (known: {', '.join(NAMES)})") from None
    if isinstance(loss, type):
        loss = loss()
    if callable(getattr(loss, "value_and_gradient", None)):
        return loss
    if callable(loss) and callable(getattr(loss, "gradient", None)):
        return _LabLoss(loss)
    raise TypeError(f"loss: expected a name or an object with __call__ and gradient, got {loss!r}")
