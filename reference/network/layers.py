"""The layers of a ``Network`` (lab, exercise 6: ``layers.py``).

The lab's classes: ``BaseLayer`` (any layer), ``Input`` (the network's input
layer, a ``BaseLayer``), ``Layer`` (any layer with weights) and ``Dense`` (a
``Layer``); ``Concatenate`` joins the network's input to the previous layer's
output, as in architecture (b) of exercise 6.

Every layer has ``params`` (a dict of arrays, empty for Input and
Concatenate), ``build(input_dim, network_input_dim, rng)`` called by
``Network.add``, ``forward(h, x) -> (out, cache)`` where ``h`` is the previous
layer's output and ``x`` the network's input, and ``backward(dout, cache) ->
(dh, dx, grads)`` where ``dx`` is the gradient with respect to the network's
input (None when the layer does not read it) and ``grads`` has the keys of
``params``. ``get_output_shape()`` is the number of values per example a layer
gives; ``layer(h)`` is its forward output alone.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_non_negative_real, check_positive_int
from . import activations


class BaseLayer:
    """Any layer: no parameters unless a subclass draws some in ``build``."""

    input_dim: int | None = None

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}

    @property
    def output_dim(self) -> int:
        raise NotImplementedError

    def get_output_shape(self) -> int:
        return self.output_dim

    def build(self, input_dim, network_input_dim, rng: np.random.Generator) -> None:
        self.input_dim = int(input_dim)

    def __call__(self, h, x=None):
        return self.forward(h, h if x is None else x)[0]


class Input(BaseLayer):
    """The network's input layer: passes its ``input_dim`` values on unchanged.

    ``Network().add(Input(2))`` then ``add(Dense(...))`` without input_dim is
    the same network as a first ``Dense(..., input_dim=2)``.
    """

    def __init__(self, input_dim):
        super().__init__()
        check_positive_int("input_dim", input_dim)
        self.input_dim = int(input_dim)

    @property
    def output_dim(self) -> int:
        return self.input_dim

    def build(self, input_dim, network_input_dim, rng: np.random.Generator) -> None:
        if int(input_dim) != self.input_dim:
            raise ValueError(f"Input: input_dim={self.input_dim} but the network gives {input_dim} values")

    def forward(self, h, x=None):
        return h, None

    def backward(self, dout, cache):
        return dout, None, {}


class Layer(BaseLayer):
    """Any layer with weights: ``params`` holds them, ``get_weights()`` returns them."""

    def get_weights(self) -> dict[str, np.ndarray]:
        return self.params


class Dense(Layer):
    """A fully connected layer followed by an activation: a = activation(h @ W + b).

    Parameters: ``W`` of shape (input_dim, units), drawn from the Glorot
    uniform distribution U(-r, r) with r = sqrt(6 / (input_dim + units)), and
    ``b`` of shape (units,), zeros. ``factor`` (the lab's students' parameter,
    a choice the lab leaves open): when given, W is drawn from
    U(-factor, factor) instead. ``input_dim`` is needed for the first layer of
    a network only (or use an ``Input`` layer). ``activation``: a name
    (``"tanh"``), an activation object or class, or None (linear).
    """

    def __init__(self, units, activation=None, input_dim=None, factor=None):
        super().__init__()
        check_positive_int("units", units)
        if input_dim is not None:
            check_positive_int("input_dim", input_dim)
        if factor is not None:
            check_non_negative_real("factor", factor)
        self.units = int(units)
        self.input_dim = input_dim
        self.factor = factor
        self.activation = activations.get(activation)

    @property
    def output_dim(self) -> int:
        return self.units

    def build(self, input_dim, network_input_dim, rng: np.random.Generator) -> None:
        if self.input_dim is not None and self.input_dim != input_dim:
            raise ValueError(f"Dense: input_dim={self.input_dim} but the previous layer gives {input_dim} values")
        self.input_dim = int(input_dim)
        limit = np.sqrt(6.0 / (self.input_dim + self.units)) if self.factor is None else float(self.factor)
        self.params = {
            "W": rng.uniform(-limit, limit, size=(self.input_dim, self.units)),
            "b": np.zeros(self.units),
        }

    def forward(self, h, x=None):
        """h: (N, input_dim) -> (a of shape (N, units), cache)."""
        W, b = self.params["W"], self.params["b"]
        if np.ndim(h) != 2 or h.shape[1] != W.shape[0]:
            raise ValueError(f"Dense: expected an input of shape (N, {W.shape[0]}), got {np.shape(h)}")
        a, cache = None, None
        # BEGIN SOLUTION
        z = h @ W + b
        a, act_cache = self.activation.forward(z)
        cache = (h, act_cache)
        # END SOLUTION
        return a, cache

    def backward(self, da, cache):
        """da: (N, units) -> (dh of shape (N, input_dim), None, {"W": dW, "b": db})."""
        W = self.params["W"]
        dh, grads = None, None
        # BEGIN SOLUTION
        h, act_cache = cache
        dz = self.activation.backward(da, act_cache)
        grads = {"W": h.T @ dz, "b": dz.sum(axis=0)}
        dh = dz @ W.T
        # END SOLUTION
        return dh, None, grads


class Concatenate(BaseLayer):
    """Joins the network's input x with the previous layer's output h: out = [x, h] (x first).

    No parameters. With it a later layer sees the input directly, as in
    architecture (b) of exercise 6 (2 inputs -> 1 hidden unit -> [2 inputs,
    hidden] -> 1 output). ``Concatenate(n)``: n, when given, is the number of
    network inputs joined, checked when the layer is added.
    """

    def __init__(self, input_dim=None):
        super().__init__()
        if input_dim is not None:
            check_positive_int("input_dim", input_dim)
        self.expected_input_dim = input_dim
        self.input_dim = None
        self.network_input_dim = None

    @property
    def output_dim(self) -> int:
        return self.network_input_dim + self.input_dim

    def build(self, input_dim, network_input_dim, rng: np.random.Generator) -> None:
        if self.expected_input_dim is not None and self.expected_input_dim != network_input_dim:
            raise ValueError(f"Concatenate({self.expected_input_dim}): the network has {network_input_dim} inputs")
        self.input_dim = int(input_dim)
        self.network_input_dim = int(network_input_dim)

    def forward(self, h, x):
        """h: (N, H), x: (N, D) -> (out of shape (N, D + H), cache)."""
        if np.ndim(h) != 2 or np.ndim(x) != 2 or h.shape[0] != x.shape[0]:
            raise ValueError(f"Concatenate: expected h (N, H) and x (N, D), got {np.shape(h)} and {np.shape(x)}")
        out, cache = None, None
        # BEGIN SOLUTION
        out = np.concatenate([x, h], axis=1)
        cache = x.shape[1]
        # END SOLUTION
        return out, cache

    def backward(self, dout, cache):
        """dout: (N, D + H) -> (dh of shape (N, H), dx of shape (N, D), {})."""
        dh, dx = None, None
        # BEGIN SOLUTION
        d = cache
        dx, dh = dout[:, :d], dout[:, d:]
        # END SOLUTION
        return dh, dx, {}
