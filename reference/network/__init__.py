"""TP2's small network library: the lab's vocabulary on top of layers.py.

``models.Network`` stacks ``layers.Dense`` and ``layers.Concatenate`` and
trains them with ``fit`` (a loss of ``losses``, an optimizer of
``optimizers``, an optional regularizer of ``regularizers``); ``activations``
wraps the forward/backward functions of ``layers.py``; ``metrics`` measures
accuracy; ``plotting`` draws a training history (matplotlib is imported only
there, and only when called).

Conventions, as in layers.py: a forward pass returns ``(out, cache)`` and the
matching backward pass takes ``(dout, cache)``. A loss is a callable
``loss(pred, target) -> (value, dpred)``, the value averaged over the batch
and ``dpred`` the exact gradient of that average.
"""
