"""``Network`` (lab, exercise 6: ``models.py``): a feedforward stack of layers trained by gradient descent.

    net = Network(seed=0)
    net.add(Input(2))                       # or Dense(2, ..., input_dim=2) first
    net.add(Dense(2, activations.Tanh()))
    net.add(Dense(1, activations.Tanh()))
    history = net.fit(x, y, epochs=3000, loss=losses.MSE(), opt=optimizers.SGD(lr=0.01), name="XOR")

``fit`` returns the history, a dict of per-epoch lists: ``loss`` and
``accuracy`` on the training set after each epoch, and ``test_loss`` and
``test_accuracy`` on ``test_data`` (empty lists without it). The loss recorded
is the averaged data loss plus the penalty, the quantity whose gradient each
step follows. ``plotting.plot_history`` draws it.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_positive_int
from . import losses as losses_mod
from . import metrics
from .optimizers import SGD


class Network:
    """A sequence of layers; ``seed`` fixes the initial weights and the shuffling."""

    def __init__(self, seed=None):
        self.layers: list = []
        self.input_dim: int | None = None
        self.rng = np.random.default_rng(seed)

    # -- building -------------------------------------------------------------

    def add(self, layer) -> Network:
        """Append ``layer`` and draw its parameters (the first layer: an ``Input`` or one with ``input_dim``)."""
        if not self.layers:
            if getattr(layer, "input_dim", None) is None:
                raise ValueError("Network.add: the first layer needs input_dim")
            self.input_dim = int(layer.input_dim)
            previous = self.input_dim
        else:
            previous = self.layers[-1].output_dim
        layer.build(previous, self.input_dim, self.rng)
        self.layers.append(layer)
        return self

    def get_layer(self, i):
        """The i-th layer added (0 is the first)."""
        return self.layers[i]

    @property
    def params(self) -> list[dict]:
        """The parameters of every layer, in order (the arrays themselves, not copies)."""
        return [layer.params for layer in self.layers]

    # -- passes ---------------------------------------------------------------

    def _check_input(self, x) -> None:
        if not self.layers:
            raise ValueError("Network: no layers (call add first)")
        if np.ndim(x) != 2 or np.shape(x)[1] != self.input_dim:
            raise ValueError(f"Network: x must have shape (N, {self.input_dim}), got {np.shape(x)}")

    def forward(self, x):
        """The network's output for x (N, input_dim), and the caches of every layer."""
        self._check_input(x)
        h, caches = x, []
        for layer in self.layers:
            h, cache = layer.forward(h, x)
            caches.append(cache)
        return h, caches

    def predict(self, x):
        """The network's output for x (N, input_dim)."""
        return self.forward(x)[0]

    def backward(self, dout, caches) -> list[dict]:
        """The gradients of every layer's parameters, given d(loss)/d(output) ``dout``."""
        grads = None
        # BEGIN SOLUTION
        grads = [None] * len(self.layers)
        dh = dout
        for i in range(len(self.layers) - 1, -1, -1):
            dh, _, grads[i] = self.layers[i].backward(dh, caches[i])
        # END SOLUTION
        return grads

    def loss_and_grads(self, x, y, loss, reg=None):
        """The averaged loss (plus the penalty of ``reg`` on every weight matrix) and its gradients.

        ``loss``: the lab's interface, ``loss(scores, y)`` and ``loss.gradient(scores, y)``;
        ``reg``: ``reg(W)`` and ``reg.gradient(W)``, or None.
        """
        loss = losses_mod.get(loss)
        value, grads = None, None
        # BEGIN SOLUTION
        out, caches = self.forward(x)
        value, dout = loss.value_and_gradient(out, y)
        value = float(value)
        grads = self.backward(dout, caches)
        if reg is not None:
            for layer, g in zip(self.layers, grads):
                W = layer.params.get("W")
                if W is not None:
                    value += float(reg(W))
                    g["W"] = g["W"] + reg.gradient(W)
        # END SOLUTION
        return value, grads

    def evaluate(self, x, y, loss, reg=None, metric=metrics.accuracy):
        """(loss with penalty, accuracy) on x, y."""
        out = self.predict(x)
        value = float(losses_mod.get(loss)(out, y))
        if reg is not None:
            value += sum(float(reg(layer.params["W"])) for layer in self.layers if "W" in layer.params)
        return value, float(metric(out, y))

    # -- training -------------------------------------------------------------

    def fit(self, x, y, test_data=None, epochs=1, loss=None, opt=None, name=None, reg=None, metric=None, verbose=False):
        """Train for ``epochs`` epochs; return the history (see the module docstring).

        ``loss``: a loss of ``losses`` or its name (default MSE); ``opt``: an
        optimizer (default ``SGD(lr=0.01)``, full batch); ``name``: the
        problem's name, which chooses the accuracy (``metrics.Accuracy(name)``:
        "XOR" / "parity" the sign accuracy, others the class accuracy; None: by
        the number of outputs); ``reg``: a regularizer or None (a lab-style
        ``L2(lam=0)`` does nothing); ``metric(pred, target)``: overrides ``name``.
        """
        self._check_input(x)
        if len(y) != len(x):
            raise ValueError(f"Network.fit: {len(x)} inputs but {len(y)} targets")
        check_positive_int("epochs", epochs)
        loss = losses_mod.get(loss if loss is not None else "mse")
        opt = opt if opt is not None else SGD()
        if metric is None:
            metric = metrics.Accuracy(name)
        if reg is not None and not (callable(reg) and callable(getattr(reg, "gradient", None))):
            raise TypeError(f"Network.fit: reg must have __call__ and gradient (the lab's interface), got {reg!r}")
        history = {"loss": [], "accuracy": [], "test_loss": [], "test_accuracy": []}
        for epoch in range(epochs):
            # BEGIN SOLUTION
            for idx in opt.batches(len(x), self.rng):
                _, grads = self.loss_and_grads(x[idx], y[idx], loss, reg)
                for layer, g in zip(self.layers, grads):
                    for k, dp in g.items():
                        opt.update(layer.params[k], dp)
            # END SOLUTION
            value, acc = self.evaluate(x, y, loss, reg, metric)
            history["loss"].append(value)
            history["accuracy"].append(acc)
            if test_data is not None:
                value, acc = self.evaluate(test_data[0], test_data[1], loss, reg, metric)
                history["test_loss"].append(value)
                history["test_accuracy"].append(acc)
            if verbose:
                line = f"epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}"
                line += f", accuracy {history['accuracy'][-1]:.3f}"
                if test_data is not None:
                    line += f", test loss {history['test_loss'][-1]:.4f}"
                    line += f", test accuracy {history['test_accuracy'][-1]:.3f}"
                print(line)
        return history
