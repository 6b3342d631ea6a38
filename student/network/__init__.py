"""TP2's small network library: the lab's modules, classes and methods on top of layers.py.

The lab (exercise 6) prescribes ``metrics`` (Accuracy, MSE), ``losses`` (the
interface Loss with ``__call__`` and ``gradient``; MSE), ``activations``
(ReLU / Relu, Tanh, Sigmoid), ``models`` (Network), ``layers`` (BaseLayer,
Input, Layer, Dense) and ``optimizers`` (Optimizador, SGD); regularizers have
the same shape as losses (``reg(W)``, ``reg.gradient(W)``).

``models.Network`` stacks ``layers.Input``, ``layers.Dense`` and ``layers.Concatenate`` and
trains them with ``fit`` (a loss of ``losses``, an optimizer of
``optimizers``, an optional regularizer of ``regularizers``); ``activations``
wraps the forward/backward functions of ``layers.py``; ``metrics`` measures
accuracy; ``plotting`` draws a training history (matplotlib is imported only
there, and only when called).

Conventions, as in layers.py: a forward pass returns ``(out, cache)`` and the
matching backward pass takes ``(dout, cache)``. A loss is the lab's
``loss(scores, y) -> float`` (averaged over the batch) with
``loss.gradient(scores, y)`` its exact gradient.
"""
