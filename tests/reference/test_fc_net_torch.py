"""Tests of reference/classifiers/fc_net.py against torch.autograd (skipped where torch is absent).

The same network is written with torch.nn.functional (affine as a matrix
product, F.batch_norm in training mode, F.layer_norm, F.relu,
F.cross_entropy) on the model's own parameters, and torch's loss and
gradients are compared with the model's.

Dropout is not compared here: torch cannot draw numpy's mask. Its gradients
are checked numerically, with a fixed seed, in test_fc_net.py.

Tolerance: both sides compute exact gradients in float64 and differ only in
the order of operations, so they agree to rounding: the loss at 1e-12
relative and each gradient at ``TORCH_TOL`` = 1e-10 of its largest magnitude
(floored at 1e-2 for gradients that are exactly zero, as the biases feeding
a batch normalization; measured: below 2e-14).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the torch.autograd comparisons need it")
F = torch.nn.functional

from reference.classifiers.fc_net import FullyConnectedNet, TwoLayerNet  # noqa: E402

pytestmark = pytest.mark.torch

#: Largest gradient difference, relative to the gradient's scale (see the module docstring).
TORCH_TOL = 1e-10
#: Relative tolerance for the loss.
LOSS_RTOL = 1e-12


def torch_loss_and_grads(model, X, y, normalization=None):
    """Loss and gradients of the model's architecture, computed by torch autograd."""
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in model.params.items()}
    L = sum(1 for k in P if k.startswith("W"))
    h = torch.tensor(X, dtype=torch.float64).reshape(X.shape[0], -1)
    for i in range(1, L):
        h = h @ P[f"W{i}"] + P[f"b{i}"]
        if normalization == "batchnorm":
            h = F.batch_norm(h, None, None, weight=P[f"gamma{i}"], bias=P[f"beta{i}"], training=True, eps=1e-5)
        elif normalization == "layernorm":
            h = F.layer_norm(h, (h.shape[1],), weight=P[f"gamma{i}"], bias=P[f"beta{i}"], eps=1e-5)
        h = F.relu(h)
    scores = h @ P[f"W{L}"] + P[f"b{L}"]
    loss = F.cross_entropy(scores, torch.tensor(y, dtype=torch.long))
    loss = loss + 0.5 * model.reg * sum((P[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in P.items()}


def assert_matches_torch(model, X, y, normalization=None):
    loss, grads = model.loss(X, y)
    t_loss, t_grads = torch_loss_and_grads(model, X, y, normalization)
    assert loss == pytest.approx(t_loss, rel=LOSS_RTOL)
    assert set(grads) == set(t_grads)
    for name, g in grads.items():
        t = t_grads[name]
        scale = max(np.abs(g).max(), np.abs(t).max(), 1e-2)
        err = np.abs(g - t).max() / scale
        assert err < TORCH_TOL, f"{name}: error {err:.3g} >= {TORCH_TOL}"


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_matches_torch(reg):
    np.random.seed(0)
    X, y = np.random.randn(6, 3, 2, 2), np.random.randint(5, size=6)
    model = TwoLayerNet(input_dim=12, hidden_dim=9, num_classes=5, weight_scale=0.3, reg=reg)
    assert_matches_torch(model, X, y)


@pytest.mark.parametrize("reg", [0.0, 3.14])
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_matches_torch(normalization, reg):
    np.random.seed(1)
    X, y = np.random.randn(7, 10), np.random.randint(6, size=7)
    model = FullyConnectedNet(
        [12, 9, 8],
        input_dim=10,
        num_classes=6,
        reg=reg,
        weight_scale=0.3,
        normalization=normalization,
        dtype=np.float64,
    )
    assert_matches_torch(model, X, y, normalization)
