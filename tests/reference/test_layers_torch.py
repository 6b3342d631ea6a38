"""Tests of reference/layers.py against PyTorch (forward values and torch.autograd gradients).

Skipped, with the reason, where PyTorch is not installed.

Tolerances: everything runs in float64 on both sides, so the two
implementations differ only by rounding in a different order of operations.
- forward outputs: elementwise cs231n relative error < 1e-10 (observed 1e-16),
  except for outputs that legitimately cross zero (conv, normalizations), where
  the error relative to the array's scale (``scaled_error``) must be < 1e-12
  (observed 1e-15);
- gradients: ``scaled_error`` < 1e-10. Gradients are sums of many products and
  some entries nearly cancel (batchnorm's dx columns sum to zero), so only
  an error measured against the array's scale is meaningful; rounding
  gives ~4e-15 of it (observed), and any real bug gives errors of order 1e-2 or more.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the torch-oracle tests are skipped")
F = torch.nn.functional

from reference import layers as L  # noqa: E402

from .helpers import rel_error, scaled_error  # noqa: E402

pytestmark = pytest.mark.torch

#: Forward outputs vs torch (see the module docstring).
FORWARD_REL = 1e-10
FORWARD_SCALED = 1e-12
#: Gradients vs torch.autograd (see the module docstring).
GRAD_SCALED = 1e-10


@pytest.fixture
def rng():
    return np.random.default_rng(2311)


def torch_grads(fn, arrays, dout):
    """Run ``fn`` on float64 tensors made from ``arrays``; return (out, grads) as numpy."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    grads = torch.autograd.grad(out, ts, grad_outputs=torch.tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), [g.numpy() for g in grads]


def assert_grads_close(ours, theirs):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.shape == b.shape, f"gradient {k}: shape {a.shape} vs torch's {b.shape}"
        err = scaled_error(a, b)
        assert err < GRAD_SCALED, f"gradient {k}: scaled error {err:.3g} vs torch"


def test_affine_matches_torch(rng):
    """Do affine_forward/backward match x.reshape(N, -1) @ w + b under autograd?"""
    x, w, b = rng.standard_normal((4, 3, 2, 5)), rng.standard_normal((30, 6)), rng.standard_normal(6)
    out, cache = L.affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b, [x, w, b], dout)
    assert rel_error(out, t_out) < FORWARD_REL
    assert_grads_close(L.affine_backward(dout, cache), t_grads)


def test_relu_matches_torch(rng):
    """Do relu_forward/backward match F.relu under autograd?"""
    x = rng.standard_normal((5, 7))
    out, cache = L.relu_forward(x)
    dout = rng.standard_normal(x.shape)
    t_out, t_grads = torch_grads(F.relu, [x], dout)
    np.testing.assert_array_equal(out, t_out)
    assert_grads_close([L.relu_backward(dout, cache)], t_grads)


@pytest.mark.parametrize("scale", [0.01, 3.0, 1e4])
def test_softmax_loss_matches_cross_entropy(rng, scale):
    """Does softmax_loss equal F.cross_entropy (mean reduction), value and gradient, even for huge logits?"""
    N, C = 9, 6
    x, y = scale * rng.standard_normal((N, C)), rng.integers(C, size=N)
    loss, dx = L.softmax_loss(x, y)
    xt = torch.tensor(x, requires_grad=True)
    t_loss = F.cross_entropy(xt, torch.tensor(y))
    t_loss.backward()
    assert rel_error(loss, t_loss.item()) < FORWARD_REL
    assert_grads_close([dx], [xt.grad.numpy()])


@pytest.mark.parametrize("scale", [0.01, 1.0, 3.0])
def test_svm_loss_matches_multi_margin(rng, scale):
    """Does svm_loss equal C times F.multi_margin_loss (which averages over classes too)?"""
    N, C = 9, 6
    x, y = scale * rng.standard_normal((N, C)), rng.integers(C, size=N)
    loss, dx = L.svm_loss(x, y)
    xt = torch.tensor(x, requires_grad=True)
    # multi_margin_loss = mean_i sum_{j != y_i} max(0, 1 - x[i, y_i] + x[i, j]) / C
    t_loss = C * F.multi_margin_loss(xt, torch.tensor(y), p=1, margin=1.0)
    t_loss.backward()
    assert rel_error(loss, t_loss.item()) < FORWARD_REL
    assert_grads_close([dx], [xt.grad.numpy()])


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt], ids=["graph", "alt"])
@pytest.mark.parametrize("N,D,eps", [(4, 3, 1e-5), (32, 10, 1e-3)])
def test_batchnorm_train_matches_torch(rng, backward, N, D, eps):
    """Does train-mode batchnorm match F.batch_norm(training=True), both backward passes included?"""
    x = 3 * rng.standard_normal((N, D)) + 2
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    out, cache = L.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=eps), [x, gamma, beta], dout
    )
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(backward(dout, cache), t_grads)


def test_batchnorm_test_mode_matches_torch(rng):
    """Does test-mode batchnorm match F.batch_norm(training=False) with the same running statistics?"""
    N, D = 6, 4
    x = rng.standard_normal((N, D))
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    mean, var = rng.standard_normal(D), rng.random(D) + 0.1
    bn_param = {"mode": "test", "running_mean": mean.copy(), "running_var": var.copy()}
    out, cache = L.batchnorm_forward(x, gamma, beta, bn_param)
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(
        lambda x, g, b: F.batch_norm(x, torch.tensor(mean), torch.tensor(var), g, b, training=False, eps=1e-5),
        [x, gamma, beta],
        dout,
    )
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(L.batchnorm_backward(dout, cache), t_grads)
    assert_grads_close(L.batchnorm_backward_alt(dout, cache), t_grads)


@pytest.mark.parametrize("N,D,eps", [(3, 5, 1e-5), (8, 16, 1e-3)])
def test_layernorm_matches_torch(rng, N, D, eps):
    """Does layernorm match F.layer_norm over the feature dimension?"""
    x = 2 * rng.standard_normal((N, D)) - 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    out, cache = L.layernorm_forward(x, gamma, beta, {"eps": eps})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(lambda x, g, b: F.layer_norm(x, (D,), g, b, eps=eps), [x, gamma, beta], dout)
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(L.layernorm_backward(dout, cache), t_grads)


def test_dropout_backward_matches_autograd_of_the_same_mask(rng):
    """Is dropout_backward the autograd gradient of x * mask, with the forward pass's own mask?"""
    x = rng.standard_normal((20, 30))
    out, cache = L.dropout_forward(x, {"mode": "train", "p": 0.3, "seed": 1})
    mask = cache[1]
    dout = rng.standard_normal(x.shape)
    t_out, t_grads = torch_grads(lambda x: x * torch.tensor(mask), [x], dout)
    np.testing.assert_array_equal(out, t_out)
    assert_grads_close([L.dropout_backward(dout, cache)], t_grads)


# (x shape, w shape, stride, pad): strides 1/2/3, pads 0/1/2, non-square filters and inputs.
CONV_CASES = [
    ((2, 3, 6, 6), (4, 3, 3, 3), 1, 1),
    ((2, 3, 7, 7), (2, 3, 3, 3), 2, 1),
    ((1, 2, 8, 11), (3, 2, 2, 5), 3, 0),
    ((2, 1, 5, 6), (2, 1, 3, 2), 1, 2),
    ((3, 2, 6, 8), (2, 2, 4, 2), 2, 2),
    ((2, 3, 32, 32), (4, 3, 7, 7), 1, 3),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_conv_matches_torch(rng, x_shape, w_shape, stride, pad):
    """Does the naive convolution match F.conv2d, value and gradients, over strides, pads and filter shapes?"""
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, cache = L.conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=pad), [x, w, b], dout)
    assert out.shape == t_out.shape
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(L.conv_backward_naive(dout, cache), t_grads)


@pytest.mark.parametrize(
    "x_shape,ph,pw,stride",
    [
        ((2, 3, 8, 8), 2, 2, 2),
        ((2, 2, 7, 9), 2, 2, 2),  # non-tiling: the last row and column are ignored
        ((1, 3, 6, 7), 3, 2, 1),  # overlapping, non-square
        ((2, 2, 9, 8), 3, 3, 2),  # overlapping
        ((1, 2, 7, 10), 2, 3, 3),  # non-square, non-tiling
    ],
)
def test_max_pool_matches_torch(rng, x_shape, ph, pw, stride):
    """Does the naive max pool match F.max_pool2d (floor mode), value and gradient?"""
    x = rng.standard_normal(x_shape)
    out, cache = L.max_pool_forward_naive(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(lambda x: F.max_pool2d(x, (ph, pw), stride=stride), [x], dout)
    np.testing.assert_array_equal(out, t_out)  # a max is exact
    assert_grads_close([L.max_pool_backward_naive(dout, cache)], t_grads)


def test_max_pool_ties_match_torch():
    """With ties in a window, does the gradient go where torch's CPU kernel sends it (the first maximum)?"""
    x = np.array([[[[2.0, 2.0, 1.0, 1.0], [2.0, 0.0, 1.0, 1.0], [0.0, 0.0, 3.0, 3.0], [0.0, 0.0, 3.0, 3.0]]]])
    out, cache = L.max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    _, t_grads = torch_grads(lambda x: F.max_pool2d(x, 2, stride=2), [x], dout)
    np.testing.assert_array_equal(L.max_pool_backward_naive(dout, cache), t_grads[0])


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (5, 4, 3, 3)])
def test_spatial_batchnorm_matches_torch(rng, shape):
    """Does spatial batchnorm match F.batch_norm on (N, C, H, W) in train mode?"""
    x = 3 * rng.standard_normal(shape) + 1
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    out, cache = L.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5), [x, gamma, beta], dout
    )
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(L.spatial_batchnorm_backward(dout, cache), t_grads)


@pytest.mark.parametrize("shape,G", [((2, 6, 4, 5), 2), ((3, 4, 3, 3), 4), ((2, 6, 2, 3), 1), ((2, 8, 3, 2), 4)])
def test_spatial_groupnorm_matches_torch(rng, shape, G):
    """Does spatial groupnorm match F.group_norm, dgamma/dbeta keeping the (1, C, 1, 1) shape?"""
    x = 2 * rng.standard_normal(shape) + 1
    C = shape[1]
    gamma, beta = rng.standard_normal((1, C, 1, 1)), rng.standard_normal((1, C, 1, 1))
    out, cache = L.spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    dout = rng.standard_normal(out.shape)
    t_out, t_grads = torch_grads(
        lambda x, g, b: F.group_norm(x, G, g.reshape(C), b.reshape(C), eps=1e-5), [x, gamma, beta], dout
    )
    assert scaled_error(out, t_out) < FORWARD_SCALED
    assert_grads_close(L.spatial_groupnorm_backward(dout, cache), t_grads)
