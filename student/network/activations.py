"""Activations as objects: ``forward(z) -> (a, cache)`` and ``backward(da, cache) -> dz``.

They wrap the functions of layers.py (given code: the maths lives there).
``get("tanh")`` turns a name into an instance, so ``Dense(2, "tanh")`` works.
"""
from __future__ import annotations

from typing import Protocol

from .. import layers as L


class Activation(Protocol):
    def forward(self, z): ...

    def backward(self, da, cache): ...


class Sigmoid:
    """The logistic sigmoid 1 / (1 + exp(-z))."""

    def forward(self, z):
        return L.sigmoid_forward(z)

    def backward(self, da, cache):
        return L.sigmoid_backward(da, cache)


class Tanh:
    """The hyperbolic tangent."""

    def forward(self, z):
        return L.tanh_forward(z)

    def backward(self, da, cache):
        return L.tanh_backward(da, cache)


class ReLU:
    """max(z, 0)."""

    def forward(self, z):
        return L.relu_forward(z)

    def backward(self, da, cache):
        return L.relu_backward(da, cache)


class LeakyReLU:
    """z for z > 0, slope * z otherwise (slope 0.1 as in the lab)."""

    def __init__(self, slope=0.1):
        self.slope = slope

    def forward(self, z):
        return L.leaky_relu_forward(z, self.slope)

    def backward(self, da, cache):
        return L.leaky_relu_backward(da, cache)


class ELU:
    """z for z > 0, alpha * (exp(z) - 1) otherwise."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, z):
        return L.elu_forward(z, self.alpha)

    def backward(self, da, cache):
        return L.elu_backward(da, cache)


class Linear:
    """The identity (a layer without activation)."""

    def forward(self, z):
        return z, None

    def backward(self, da, cache):
        return da


NAMES = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "linear": Linear,
}


def get(activation) -> Activation:
    """An activation instance from a name of ``NAMES``, an instance, or None (linear)."""
    if activation is None:
        return Linear()
    if isinstance(activation, str):
        try:
            return NAMES[activation.lower()]()
        except KeyError:
            raise ValueError(f"activation: unknown name {activation!r} (known: {', '.join(NAMES)})") from None
    if not (callable(getattr(activation, "forward", None)) and callable(getattr(activation, "backward", None))):
        raise TypeError(f"activation: expected a name or an object with forward and backward, got {activation!r}")
    return activation
