"""Activations as objects (lab, exercise 6: ``activations.py`` with ReLU, Tanh, Sigmoid).

The lab's interface: ``act(x)`` is the activation of x and ``act.gradient(x)``
its derivative at x, elementwise. The layers use the equivalent cached form
``forward(z) -> (a, cache)`` and ``backward(da, cache) -> dz``, which the base
class ``Activation`` turns into the lab's two methods. Any object with
``__call__`` and ``gradient`` (an activation written against the lab statement)
is accepted by ``get`` and so by ``Dense(..., activation=...)``.

They wrap the functions of layers.py (given code: the maths lives there).
``get("tanh")`` turns a name into an instance, so ``Dense(2, "tanh")`` works.
"""
from __future__ import annotations

import numpy as np

from .. import layers as L


class Activation:
    """The lab's interface ``__call__(x)`` / ``gradient(x)`` on top of ``forward`` / ``backward``."""

    def forward(self, z):
        raise NotImplementedError

    def backward(self, da, cache):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(np.asarray(x, dtype=np.float64))[0]

    def gradient(self, x):
        """d act / dx at x, elementwise (of x's shape)."""
        x = np.asarray(x, dtype=np.float64)
        _, cache = self.forward(x)
        return self.backward(np.ones_like(x), cache)


class LabActivation(Activation):
    """Adapts an object with the lab's ``__call__(x)`` and ``gradient(x)`` to forward / backward."""

    def __init__(self, act):
        self.act = act

    def forward(self, z):
        return np.asarray(self.act(z)), z

    def backward(self, da, cache):
        return da * np.asarray(self.act.gradient(cache))


class Sigmoid(Activation):
    """The logistic sigmoid 1 / (1 + exp(-z))."""

    def forward(self, z):
        return L.sigmoid_forward(z)

    def backward(self, da, cache):
        return L.sigmoid_backward(da, cache)


class Tanh(Activation):
    """The hyperbolic tangent."""

    def forward(self, z):
        return L.tanh_forward(z)

    def backward(self, da, cache):
        return L.tanh_backward(da, cache)


class ReLU(Activation):
    """max(z, 0)."""

    def forward(self, z):
        return L.relu_forward(z)

    def backward(self, da, cache):
        return L.relu_backward(da, cache)


class LeakyReLU(Activation):
    """z for z > 0, slope * z otherwise (slope 0.1 as in the lab)."""

    def __init__(self, slope=0.1):
        self.slope = slope

    def forward(self, z):
        return L.leaky_relu_forward(z, self.slope)

    def backward(self, da, cache):
        return L.leaky_relu_backward(da, cache)


class ELU(Activation):
    """z for z >= 0, alpha * (exp(z) - 1) for z < 0 (the lab's branches)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, z):
        return L.elu_forward(z, self.alpha)

    def backward(self, da, cache):
        return L.elu_backward(da, cache)


class Linear(Activation):
    """The identity (a layer without activation)."""

    def forward(self, z):
        return z, None

    def backward(self, da, cache):
        return da


#: The spellings of the lab and of students' TP2 code.
Relu = ReLU
LeakyRelu = LeakyReLU
Elu = ELU

NAMES = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "linear": Linear,
}


def get(activation) -> Activation:
    """An activation instance from a name of ``NAMES``, an instance, a class, or None (linear).

    An object with ``forward`` and ``backward`` is used as it is; one with the
    lab's ``__call__`` and ``gradient`` only is wrapped in ``LabActivation``.
    """
    if activation is None:
        return Linear()
    if isinstance(activation, str):
        try:
            return NAMES[activation.lower()]()
        except KeyError:
            raise ValueError(f"activation: unknown name {activation!r} (known: {', '.join(NAMES)})") from None
    if isinstance(activation, type):
        activation = activation()
    if callable(getattr(activation, "forward", None)) and callable(getattr(activation, "backward", None)):
        return activation
    if callable(activation) and callable(getattr(activation, "gradient", None)):
        return LabActivation(activation)
    raise TypeError(f"activation: expected a name or an object with __call__ and gradient, got {activation!r}")
