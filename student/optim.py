"""Update rules: how one parameter array moves given its gradient.

Every rule of this module has the same signature and contract, stated here
once (and as the ``UpdateRule`` protocol below)::

    next_w, config = rule(w, dw, config=None)

Inputs:
- w: A numpy array, the current value of one parameter.
- dw: A numpy array of the same shape as w, the gradient of the loss with
  respect to w.
- config: A dictionary holding the rule's hyperparameters (every rule reads
  'learning_rate') and the rule's state between steps (a velocity, running
  averages, a step counter). None means "all defaults". Missing keys are
  filled in with ``config.setdefault``, so values chosen by the caller are
  kept and the defaults are visible in the returned dictionary.

Returns a tuple of:
- next_w: A numpy array of the same shape as w, the parameter after the step.
- config: The dictionary to pass back at the next step of the same parameter.

State is per parameter: the Solver keeps one config per entry of
``model.params`` and never shares a dictionary (or its arrays) between two
parameters. The default learning rates are placeholders; tune them.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = ["UpdateRule", "sgd", "sgd_momentum", "rmsprop", "adam"]


class UpdateRule(Protocol):
    """The contract shared by ``sgd``, ``sgd_momentum``, ``rmsprop`` and ``adam``."""

    def __call__(
        self, w: np.ndarray, dw: np.ndarray, config: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        ...


def sgd(w, dw, config=None):
    """
    Plain stochastic gradient descent: next_w = w - learning_rate * dw.

    This one is written for you, as an example of the contract; w is updated
    in place and returned.

    config format:
    - learning_rate: Scalar step size (default 1e-2).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with (classical) momentum.

    A velocity accumulates a decaying sum of past steps:
        v = momentum * v - learning_rate * dw
        next_w = w + v

    config format:
    - learning_rate: Scalar step size (default 1e-2).
    - momentum: Scalar in [0, 1), the fraction of the previous velocity kept
      at each step (default 0.9); 0 gives back plain sgd.
    - velocity: A numpy array shaped like w, the current velocity (zeros at
      the first step).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("sgd_momentum is not implemented yet (optim.py)")
    config["velocity"] = v

    return next_w, config


def rmsprop(w, dw, config=None):
    """
    RMSProp: scale each coordinate's step by a running RMS of its gradients.

        cache = decay_rate * cache + (1 - decay_rate) * dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    config format:
    - learning_rate: Scalar step size (default 1e-2).
    - decay_rate: Scalar in [0, 1), how much of the old cache is kept at each
      step (default 0.99).
    - epsilon: Small scalar added to the denominator (default 1e-8).
    - cache: A numpy array shaped like w, the running average of dw**2
      (zeros at the first step).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("rmsprop is not implemented yet (optim.py)")

    return next_w, config


def adam(w, dw, config=None):
    """
    Adam: running averages of the gradient and of its square, bias-corrected.

    The step counter t is incremented first, so the first step uses t = 1:
        t = t + 1
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw**2
        mt = m / (1 - beta1**t)
        vt = v / (1 - beta2**t)
        next_w = w - learning_rate * mt / (sqrt(vt) + epsilon)

    config format:
    - learning_rate: Scalar step size (default 1e-3).
    - beta1: Decay of the running average of the gradient (default 0.9).
    - beta2: Decay of the running average of the squared gradient
      (default 0.999).
    - epsilon: Small scalar added to the denominator (default 1e-8).
    - m: A numpy array shaped like w, the running average of dw.
    - v: A numpy array shaped like w, the running average of dw**2.
    - t: Integer, the number of steps taken so far (0 before the first).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    next_w = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("adam is not implemented yet (optim.py)")

    return next_w, config
