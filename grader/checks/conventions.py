"""Other correct conventions a check accepts, each computed by a variant of the reference.

A check lists the names of ``CONVENTIONS`` it accepts (``Check.conventions``).
``grader.fixtures.compute`` runs the check a second time for each of them, on
the trusted side, with ``variant(reference)`` in place of the reference, and
keeps those outputs beside the expected ones (``Fixture.variants``). A
submission whose outputs match one of them passes, with a note naming the
convention (``grader.scoring``).

``batch_sum``: the TP2 course's gradient of a loss. The course defines the MSE
as the mean over the examples of the sum over the outputs, and its gradient as
``2 (S - Y)``, not divided by the batch size (the exercise-3 solution slides;
the categorical cross-entropy's is ``softmax(S) - Y`` likewise), so each
weight gradient is that of the loss summed over the batch, while the penalty's
gradient stays ``reg * W``. The reference takes the exact gradient of the mean
(``2 (S - Y) / N``); both are right, and each is graded against its own
expected values, computed by the reference. A mixture of the two matches
neither.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import types
from collections.abc import Callable

import numpy as np

from .base import Impl


@dataclasses.dataclass(frozen=True)
class Convention:
    name: str
    #: what a submission that matched it did, for its note (English and Spanish, like TP2's titles)
    note: str
    #: the reference as this convention computes (trusted side only)
    variant: Callable[[Impl], object]


def _rows(scores) -> int:
    scores = np.asarray(scores)
    return int(scores.shape[0]) if scores.ndim >= 1 else 1


class _Proxy(types.ModuleType):
    """A module that answers with its own attributes first, then with ``base``'s."""

    def __init__(self, name: str, base: types.ModuleType, **overrides):
        super().__init__(name)
        self._base = base
        self.__dict__.update(overrides)

    def __getattr__(self, attr):
        return getattr(self._base, attr)


def _summed_losses(module: types.ModuleType) -> types.ModuleType:
    """``network.losses`` whose MSE, SVM and CCE give the gradient of the loss summed over the batch."""

    def summed(cls):
        class Summed(cls):
            def value_and_gradient(self, scores, target):
                value, grad = super().value_and_gradient(scores, target)
                return value, np.asarray(grad) * _rows(scores)

        Summed.__name__ = Summed.__qualname__ = cls.__name__
        return Summed

    classes = {n: summed(getattr(module, n)) for n in ("MSE", "SVM", "CCE")}
    return _Proxy(module.__name__ + "[batch_sum]", module, **classes)


def _summed_layers(module: types.ModuleType) -> types.ModuleType:
    """``layers`` whose ``mse_loss`` gives the gradient of the loss summed over the batch."""

    def mse_loss(x, y):
        value, dx = module.mse_loss(x, y)
        return value, np.asarray(dx) * _rows(x)

    return _Proxy(module.__name__ + "[batch_sum]", module, mse_loss=mse_loss)


def _summed_ex3(module: types.ModuleType) -> types.ModuleType:
    """A fresh copy of ``tp2_ex3`` whose ``grad_mse`` and ``grad_softmax`` are not divided by N.

    A copy (not a proxy): ``loss_and_grads`` and ``train_epoch`` find the
    gradients through the module's own globals (``LOSSES``).
    """
    spec = importlib.util.spec_from_file_location(module.__name__ + "_batch_sum", module.__file__)
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    grad_mse, grad_softmax = copy.grad_mse, copy.grad_softmax
    copy.grad_mse = lambda scores, Y: np.asarray(grad_mse(scores, Y)) * _rows(scores)
    copy.grad_softmax = lambda scores, Y: np.asarray(grad_softmax(scores, Y)) * _rows(scores)
    copy.LOSSES = {"mse": (copy.loss_mse, copy.grad_mse), "softmax": (copy.loss_softmax, copy.grad_softmax)}
    return copy


class _BatchSum(Impl):
    """The reference with the course's loss gradients (``batch_sum``)."""

    _WRAP = {"network_losses": _summed_losses, "layers": _summed_layers, "tp2_ex3": _summed_ex3}

    def __init__(self, reference: Impl):
        super().__init__(reference.package)
        self._reference = reference

    def __getattr__(self, name: str):
        module = getattr(self._reference, name)
        wrap = self._WRAP.get(name)
        value = wrap(module) if wrap else module
        setattr(self, name, value)
        return value


CONVENTIONS: dict[str, Convention] = {
    "batch_sum": Convention(
        "batch_sum",
        "gradiente de la suma sobre el batch, 2 (S - Y) como en las diapositivas del curso / the loss's gradient "
        "summed over the batch, the course's 2 (S - Y)",
        _BatchSum,
    ),
}


def variants(names, reference: Impl) -> dict[str, object]:
    """``{name: the reference as that convention computes}`` for ``names``."""
    return {name: CONVENTIONS[name].variant(reference) for name in names}


__all__ = ["CONVENTIONS", "Convention", "variants"]
