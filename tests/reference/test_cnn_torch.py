"""Tests of reference/classifiers/cnn.py against torch.autograd (skipped where torch is absent).

The same network is written with torch.nn.functional (F.conv2d with the
model's padding, F.relu, F.max_pool2d, matrix products, F.cross_entropy) on
the model's own parameters, and torch's loss and gradients are compared with
the model's.

Tolerance: both sides compute exact gradients in float64 and differ only in
the order of operations, so they agree to rounding: the loss at 1e-12
relative and each gradient at ``TORCH_TOL`` = 1e-10 of its largest magnitude
(floored at 1e-2; measured: below 1e-15).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the torch.autograd comparisons need it")
F = torch.nn.functional

from reference.classifiers.cnn import ThreeLayerConvNet  # noqa: E402

pytestmark = pytest.mark.torch

#: Largest gradient difference, relative to the gradient's scale (see the module docstring).
TORCH_TOL = 1e-10
#: Relative tolerance for the loss.
LOSS_RTOL = 1e-12


def torch_loss_and_grads(model, X, y):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in model.params.items()}
    pad = (P["W1"].shape[2] - 1) // 2
    h = F.conv2d(torch.tensor(X, dtype=torch.float64), P["W1"], P["b1"], stride=1, padding=pad)
    h = F.max_pool2d(F.relu(h), kernel_size=2, stride=2)
    h = F.relu(h.reshape(X.shape[0], -1) @ P["W2"] + P["b2"])
    scores = h @ P["W3"] + P["b3"]
    loss = F.cross_entropy(scores, torch.tensor(y, dtype=torch.long))
    loss = loss + 0.5 * model.reg * sum((P[k] ** 2).sum() for k in ("W1", "W2", "W3"))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in P.items()}


@pytest.mark.parametrize("reg", [0.0, 0.5])
@pytest.mark.parametrize("input_dim, filter_size", [((3, 8, 8), 3), ((2, 9, 7), 5)], ids=["8x8", "9x7"])
def test_three_layer_conv_net_matches_torch(input_dim, filter_size, reg):
    np.random.seed(0)
    X = np.random.randn(4, *input_dim)
    y = np.random.randint(10, size=4)
    model = ThreeLayerConvNet(
        input_dim=input_dim,
        num_filters=5,
        filter_size=filter_size,
        hidden_dim=11,
        weight_scale=0.2,
        reg=reg,
        dtype=np.float64,
    )
    loss, grads = model.loss(X, y)
    t_loss, t_grads = torch_loss_and_grads(model, X, y)
    assert loss == pytest.approx(t_loss, rel=LOSS_RTOL)
    assert set(grads) == set(t_grads)
    for name, g in grads.items():
        t = t_grads[name]
        scale = max(np.abs(g).max(), np.abs(t).max(), 1e-2)
        err = np.abs(g - t).max() / scale
        assert err < TORCH_TOL, f"{name}: error {err:.3g} >= {TORCH_TOL}"
