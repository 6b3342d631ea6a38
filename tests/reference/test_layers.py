"""Tests of reference/layers.py with numpy only: published numbers, numeric gradients, invariants.

The comparisons against PyTorch live in test_layers_torch.py.

Tolerances (all in float64 unless a test says otherwise):
- numeric gradients use centred differences with h = 1e-5. Their error is
  absolute, not relative to each entry: truncation O(h**2 * |f'''|) plus
  rounding O(1e-16 * |f| / h), both about 1e-10 of the gradient's scale. So
  analytic and numeric gradients are compared with ``scaled_error`` (largest
  difference over the array's largest magnitude) < 1e-8; measured values are
  at most 2.5e-10. The cs231n elementwise relative error (``rel_error``, kept
  for the published numbers) is not used for gradients: an
  entry 1e-4 times smaller than the rest (common in softmax and batchnorm
  gradients) legitimately shows 1e-7 of pure rounding noise.
"""

import numpy as np
import pytest

from reference import layers as L

from .helpers import distinct_values, numeric_grad, rel_error, scaled_error

#: scaled_error allowed between an analytic and a numeric gradient (see the
#: module docstring: the measured worst case is 2.5e-10, a 40x margin).
NUMERIC_TOL = 1e-8


@pytest.fixture
def rng():
    return np.random.default_rng(231)


def check_grads(forward, backward, inputs, rng):
    """Compare backward's gradients for every array in ``inputs`` with numeric ones.

    ``forward(*inputs)`` returns (out, cache); ``backward(dout, cache)`` returns
    one gradient per input, in order.
    """
    out, cache = forward(*inputs)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    if not isinstance(grads, tuple):
        grads = (grads,)
    assert len(grads) == len(inputs)
    for k, (x, g) in enumerate(zip(inputs, grads, strict=True)):
        assert g.shape == x.shape, f"gradient {k} has shape {g.shape}, input has {x.shape}"
        num = numeric_grad(lambda: forward(*inputs)[0], x, dout)
        err = scaled_error(g, num)
        assert err < NUMERIC_TOL, f"gradient {k}: error {err:.3g} >= {NUMERIC_TOL}"


# ---------------------------------------------------------------------------
# Affine and ReLU
# ---------------------------------------------------------------------------


def test_affine_forward_matches_the_published_cs231n_numbers():
    """Does affine_forward reproduce the cs231n notebook's expected output?"""
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = L.affine_forward(x, w, b)
    correct = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    # The published values carry 9 significant digits: their own rounding is ~1e-9.
    assert rel_error(out, correct) < 1e-8


@pytest.mark.parametrize("x_shape,M", [((3, 4), 5), ((2, 3, 4), 2), ((4, 2, 3, 2), 3)])
def test_affine_gradients_match_numeric(rng, x_shape, M):
    """Are affine_backward's dx, dw, db the numeric gradients, dx in x's own shape?"""
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((int(np.prod(x_shape[1:])), M))
    b = rng.standard_normal(M)
    check_grads(L.affine_forward, L.affine_backward, [x, w, b], rng)


def test_relu_forward_and_gradient(rng):
    """Does ReLU zero the negatives, and is its gradient the numeric one away from 0?"""
    x = distinct_values(rng, (3, 4, 5), spacing=6.0)
    out, _ = L.relu_forward(x)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0))
    check_grads(L.relu_forward, L.relu_backward, [x], rng)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss_fn", [L.softmax_loss, L.svm_loss], ids=["softmax", "svm"])
@pytest.mark.parametrize("scale", [0.001, 2.0])
def test_loss_gradients_match_numeric(rng, loss_fn, scale):
    """Is each loss's dx the numeric gradient, near the start of training and far from it?"""
    N, C = 7, 5
    x = scale * rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    loss, dx = loss_fn(x, y)
    num = numeric_grad(lambda: loss_fn(x, y)[0], x)
    assert scaled_error(dx, num) < NUMERIC_TOL


def test_softmax_loss_starts_at_log_C(rng):
    """With near-zero scores, is the softmax loss log(C) and the svm loss C - 1 (cs231n's sanity checks)?"""
    N, C = 50, 10
    x = 0.001 * rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    # Scores of 1e-3 move the loss by about 1e-3 from its limit.
    assert abs(L.softmax_loss(x, y)[0] - np.log(C)) < 1e-2
    assert abs(L.svm_loss(x, y)[0] - (C - 1)) < 1e-2


def test_losses_match_direct_formulas(rng):
    """Do the losses equal their textbook definitions, computed naively?"""
    N, C = 6, 4
    x = rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    softmax = -np.mean(np.log(probs[np.arange(N), y]))
    hinge = sum(max(0.0, x[i, j] - x[i, y[i]] + 1) for i in range(N) for j in range(C) if j != y[i]) / N
    # Same float64 arithmetic up to reassociation: agreement to rounding.
    assert abs(L.softmax_loss(x, y)[0] - softmax) < 1e-12
    assert abs(L.svm_loss(x, y)[0] - hinge) < 1e-12


def test_softmax_loss_is_stable_for_huge_logits():
    """Does softmax_loss stay finite (and right) for logits of magnitude 1e4?"""
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    y = np.array([0, 2])
    # Overflow or 0/0 would be a bug; exp(-2e4) underflowing to 0 is the expected, harmless part.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dx = L.softmax_loss(x, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    # Row 0 is certain and right (loss 0), row 1 misses by 5e3: mean 2500.
    assert abs(loss - 2500.0) < 1e-9
    np.testing.assert_allclose(dx, [[0, 0, 0], [0, 0.5, -0.5]], atol=1e-12)


# ---------------------------------------------------------------------------
# Batch normalization and layer normalization
# ---------------------------------------------------------------------------


def test_batchnorm_train_normalizes_each_feature(rng):
    """After batchnorm in train mode with gamma=1, beta=0, is each feature of mean 0 and std 1?"""
    x = 5 + 3 * rng.standard_normal((200, 4))
    out, _ = L.batchnorm_forward(x, np.ones(4), np.zeros(4), {"mode": "train"})
    # mean: exact up to rounding; std: sqrt(var / (var + eps)) differs from 1 by ~eps/var ~ 1e-6.
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-5)
    gamma, beta = np.array([1.0, 2.0, 3.0, 4.0]), np.array([11.0, 12.0, 13.0, 14.0])
    out, _ = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-11)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-5)


def test_batchnorm_running_statistics_and_test_mode(rng):
    """Are the running averages updated with our momentum convention and used in test mode?"""
    D = 3
    bn_param = {"mode": "train", "momentum": 0.8, "eps": 1e-4}
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    mean, var = np.zeros(D), np.zeros(D)
    for _ in range(5):
        x = 2 + 3 * rng.standard_normal((16, D))
        L.batchnorm_forward(x, gamma, beta, bn_param)
        mean = 0.8 * mean + 0.2 * x.mean(axis=0)
        var = 0.8 * var + 0.2 * x.var(axis=0)  # biased variance, as in the normalization
    # Same float64 operations in another order: agreement to rounding.
    np.testing.assert_allclose(bn_param["running_mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], var, rtol=1e-12)
    bn_param["mode"] = "test"
    x = rng.standard_normal((4, D))
    out, _ = L.batchnorm_forward(x, gamma, beta, bn_param)
    expected = gamma * (x - mean) / np.sqrt(var + 1e-4) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    # Test mode leaves the running statistics alone.
    np.testing.assert_allclose(bn_param["running_mean"], mean, rtol=1e-12)


def test_batchnorm_creates_running_stats_of_x_dtype():
    """Does batchnorm create zero running stats of shape (D,) and x's dtype when absent?"""
    bn_param = {"mode": "test"}
    x = np.ones((2, 3), dtype=np.float32)
    L.batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), bn_param)
    assert bn_param["running_mean"].shape == (3,)
    assert bn_param["running_mean"].dtype == np.float32
    np.testing.assert_array_equal(bn_param["running_var"], 0)


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt], ids=["graph", "alt"])
@pytest.mark.parametrize("N,D", [(4, 3), (10, 5)])
def test_batchnorm_gradients_match_numeric(rng, backward, N, D):
    """Are both batchnorm backward passes the numeric gradients of the train-mode forward?"""
    x = 4 * rng.standard_normal((N, D)) + 10
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)

    def forward(x, gamma, beta):
        return L.batchnorm_forward(x, gamma, beta, {"mode": "train"})

    check_grads(forward, backward, [x, gamma, beta], rng)


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt], ids=["graph", "alt"])
def test_batchnorm_test_mode_gradients_match_numeric(rng, backward):
    """In test mode, where the statistics are constants, are the gradients still right?"""
    x = rng.standard_normal((5, 3))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    bn_param = {"mode": "test", "running_mean": rng.standard_normal(3), "running_var": rng.random(3) + 0.5}
    check_grads(lambda *a: L.batchnorm_forward(*a, dict(bn_param)), backward, [x, gamma, beta], rng)


def test_batchnorm_backward_and_alt_agree(rng):
    """Do the graph and the closed-form batchnorm backward passes give the same result?"""
    N, D = 50, 20
    x = 3 * rng.standard_normal((N, D)) + 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    _, cache = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    # Two exact float64 formulas for the same quantity: they differ by rounding only
    # (~1e-15 relative to the scale). dx's columns sum to zero, so its small
    # entries are measured against the array's scale.
    g1, g2 = L.batchnorm_backward(dout, cache), L.batchnorm_backward_alt(dout, cache)
    assert scaled_error(g1[0], g2[0]) < 1e-10
    assert rel_error(g1[1], g2[1]) < 1e-10
    assert rel_error(g1[2], g2[2]) < 1e-10


def test_layernorm_normalizes_each_row_and_ignores_mode(rng):
    """Is each row of layernorm's output of mean 0 and std 1, whatever the mode key says?"""
    x = 3 * rng.standard_normal((4, 50)) + 7
    D = x.shape[1]
    out, _ = L.layernorm_forward(x, np.ones(D), np.zeros(D), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1, atol=1e-5)  # eps / var ~ 1e-6
    out_test, _ = L.layernorm_forward(x, np.ones(D), np.zeros(D), {"mode": "test"})
    np.testing.assert_array_equal(out, out_test)


@pytest.mark.parametrize("N,D", [(3, 4), (5, 8)])
def test_layernorm_gradients_match_numeric(rng, N, D):
    """Is layernorm_backward the numeric gradient?"""
    x = 2 * rng.standard_normal((N, D)) - 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    check_grads(lambda *a: L.layernorm_forward(*a, {"eps": 1e-5}), L.layernorm_backward, [x, gamma, beta], rng)


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.25, 0.4, 0.7])
def test_dropout_keeps_a_fraction_p_and_preserves_the_mean(p):
    """Does train-mode dropout keep about a fraction p of the units and preserve the mean?"""
    x = np.random.default_rng(0).standard_normal((500, 500)) + 10
    out, _ = L.dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    kept = np.mean(out != 0)
    # 250,000 Bernoulli(p) draws: the standard deviation of the fraction is < 1e-3.
    assert abs(kept - p) < 5e-3
    # Inverted dropout: the mean of out is the mean of x up to the same sampling noise
    # (std of the mean ~ 10 * sqrt((1 - p) / p) / 500 < 0.04 relative ~ 4e-3).
    assert abs(out.mean() / x.mean() - 1) < 2e-2
    # Kept units are scaled by exactly 1 / p.
    np.testing.assert_allclose(out[out != 0], x[out != 0] / p, rtol=1e-15)


def test_dropout_test_mode_is_identity_and_seed_is_reproducible(rng):
    """Is test-mode dropout the identity, and does one seed always give one mask?"""
    x = rng.standard_normal((10, 20))
    out, _ = L.dropout_forward(x, {"mode": "test", "p": 0.3})
    np.testing.assert_array_equal(out, x)
    dx = L.dropout_backward(x, L.dropout_forward(x, {"mode": "test", "p": 0.3})[1])
    np.testing.assert_array_equal(dx, x)
    a, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
    b, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
    c, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 8})
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_backward_uses_the_forward_mask(rng):
    """Does dropout_backward apply the very mask of the forward pass (numeric gradient with a seed)?"""
    x = rng.standard_normal((6, 7)) + 5  # away from 0 so the kept units are visible
    param = {"mode": "train", "p": 0.6, "seed": 42}
    out, cache = L.dropout_forward(x, param)
    dout = rng.standard_normal(x.shape)
    dx = L.dropout_backward(dout, cache)
    np.testing.assert_array_equal(dx == 0, out == 0)
    np.testing.assert_allclose(dx, dout * out / x, rtol=1e-14)
    check_grads(lambda x: L.dropout_forward(x, param), L.dropout_backward, [x], rng)


# ---------------------------------------------------------------------------
# Convolution and max pooling
# ---------------------------------------------------------------------------

# (x shape, w shape, stride, pad): strides 1/2/3, pads 0/1/2, non-square
# filters and inputs; every case tiles the padded input.
CONV_CASES = [
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
    ((1, 2, 7, 7), (3, 2, 3, 3), 2, 1),
    ((2, 2, 6, 8), (2, 2, 3, 2), 3, 0),
    ((2, 3, 4, 5), (3, 3, 2, 3), 1, 2),
    ((1, 1, 5, 7), (2, 1, 5, 3), 2, 0),
    ((1, 2, 4, 6), (2, 2, 4, 2), 2, 2),
]


def conv_direct(x, w, b, stride, pad):
    """Convolution by its definition, one output element at a time (slow, obviously right)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad : pad + H, pad : pad + W] = x
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    return out


def test_conv_forward_matches_the_published_cs231n_numbers():
    """Does conv_forward_naive reproduce the cs231n notebook's expected output?"""
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = L.conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    correct = np.array(
        [
            [
                [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
            ],
            [
                [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
            ],
        ]
    )
    # 8 decimals published: rounding ~1e-8 relative on the smallest entries.
    assert rel_error(out, correct) < 1e-7


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_conv_forward_matches_the_definition(rng, x_shape, w_shape, stride, pad):
    """Does conv_forward_naive agree with the convolution written out element by element?"""
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, _ = L.conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    # Same sums in another order: agreement to float64 rounding (scaled: outputs can be near 0).
    assert scaled_error(out, conv_direct(x, w, b, stride, pad)) < 1e-13


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_conv_gradients_match_numeric(rng, x_shape, w_shape, stride, pad):
    """Are conv_backward_naive's dx, dw, db the numeric gradients for every stride, pad and filter shape?"""
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    conv_param = {"stride": stride, "pad": pad}
    check_grads(lambda *a: L.conv_forward_naive(*a, conv_param), L.conv_backward_naive, [x, w, b], rng)


# (x shape, pool_height, pool_width, stride): tiling, non-tiling (leftover
# rows/columns), overlapping and non-square windows.
POOL_CASES = [
    ((2, 3, 4, 4), 2, 2, 2),
    ((2, 2, 5, 5), 2, 2, 2),
    ((1, 2, 6, 5), 3, 2, 1),
    ((2, 1, 7, 6), 3, 3, 2),
    ((1, 2, 5, 7), 2, 3, 3),
]


@pytest.mark.parametrize("x_shape,ph,pw,stride", POOL_CASES)
def test_max_pool_forward_matches_the_definition(rng, x_shape, ph, pw, stride):
    """Is each pooled value the max of its window, with floor output sizes?"""
    x = rng.standard_normal(x_shape)
    out, _ = L.max_pool_forward_naive(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    N, C, H, W = x_shape
    Ho, Wo = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    assert out.shape == (N, C, Ho, Wo)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]
            np.testing.assert_array_equal(out[:, :, i, j], window.max(axis=(2, 3)))


@pytest.mark.parametrize("x_shape,ph,pw,stride", POOL_CASES)
def test_max_pool_gradients_match_numeric(rng, x_shape, ph, pw, stride):
    """Is max_pool_backward_naive the numeric gradient, overlapping windows accumulating?"""
    # Distinct values spaced ~1e-2 apart: far from ties, so h = 1e-5 never changes an argmax
    # and the numeric gradient is exact up to rounding.
    x = distinct_values(rng, x_shape, spacing=0.01 * np.prod(x_shape))
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    check_grads(lambda x: L.max_pool_forward_naive(x, pool_param), L.max_pool_backward_naive, [x], rng)


def test_max_pool_backward_sends_ties_to_the_first_max():
    """On a tie, does the whole gradient go to the first maximum in row-major order?"""
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    _, cache = L.max_pool_forward_naive(x, pool_param)
    dx = L.max_pool_backward_naive(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_max_pool_backward_accumulates_overlaps():
    """When one element is the max of two overlapping windows, does it get both gradients?"""
    x = np.array([[[[0.0, 9.0, 0.0]]]])
    pool_param = {"pool_height": 1, "pool_width": 2, "stride": 1}
    _, cache = L.max_pool_forward_naive(x, pool_param)
    dx = L.max_pool_backward_naive(np.array([[[[1.5, 2.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 3.5, 0.0]]]])


# ---------------------------------------------------------------------------
# Spatial batch normalization and group normalization
# ---------------------------------------------------------------------------


def test_spatial_batchnorm_normalizes_each_channel(rng):
    """Is each channel normalized over N, H and W, with running stats of shape (C,)?"""
    x = 4 * rng.standard_normal((10, 3, 4, 5)) + 10
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 5.0])
    bn_param = {"mode": "train"}
    out, _ = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-11)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma, rtol=1e-5)  # eps / var ~ 1e-6
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 3, 2)])
def test_spatial_batchnorm_gradients_match_numeric(rng, shape):
    """Is spatial_batchnorm_backward the numeric gradient in train mode?"""
    x = 3 * rng.standard_normal(shape) + 2
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    check_grads(
        lambda *a: L.spatial_batchnorm_forward(*a, {"mode": "train"}),
        L.spatial_batchnorm_backward,
        [x, gamma, beta],
        rng,
    )


def test_spatial_groupnorm_normalizes_each_group(rng):
    """Is every (example, group) block of groupnorm's output of mean 0 and std 1?"""
    N, C, H, W, G = 3, 6, 4, 5, 2
    x = 4 * rng.standard_normal((N, C, H, W)) + 3
    out, _ = L.spatial_groupnorm_forward(x, np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1)), G, {})
    blocks = out.reshape(N, G, -1)
    np.testing.assert_allclose(blocks.mean(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(blocks.std(axis=2), 1, atol=1e-5)  # eps / var ~ 1e-6


@pytest.mark.parametrize("shape,G", [((2, 4, 3, 3), 2), ((2, 6, 2, 3), 3), ((1, 3, 2, 2), 1), ((2, 4, 2, 2), 4)])
def test_spatial_groupnorm_gradients_match_numeric(rng, shape, G):
    """Is spatial_groupnorm_backward the numeric gradient, dgamma/dbeta of shape (1, C, 1, 1)?"""
    x = 2 * rng.standard_normal(shape) + 1
    C = shape[1]
    gamma, beta = rng.standard_normal((1, C, 1, 1)), rng.standard_normal((1, C, 1, 1))
    check_grads(
        lambda *a: L.spatial_groupnorm_forward(*a, G, {"eps": 1e-5}),
        L.spatial_groupnorm_backward,
        [x, gamma, beta],
        rng,
    )


# ---------------------------------------------------------------------------
# dtype preservation
# ---------------------------------------------------------------------------


def _float32_cases(rng):
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    y = rng.integers(4, size=3)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    return {
        "affine": (L.affine_forward, L.affine_backward, (f(3, 2, 2), f(4, 5), f(5))),
        "relu": (L.relu_forward, L.relu_backward, (f(3, 4),)),
        "batchnorm": (
            lambda *a: L.batchnorm_forward(*a, {"mode": "train"}),
            L.batchnorm_backward,
            (f(5, 4), f(4), f(4)),
        ),
        "batchnorm_alt": (
            lambda *a: L.batchnorm_forward(*a, {"mode": "train"}),
            L.batchnorm_backward_alt,
            (f(5, 4), f(4), f(4)),
        ),
        "layernorm": (lambda *a: L.layernorm_forward(*a, {}), L.layernorm_backward, (f(5, 4), f(4), f(4))),
        "dropout": (
            lambda x: L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0}),
            L.dropout_backward,
            (f(5, 4),),
        ),
        "conv": (
            lambda *a: L.conv_forward_naive(*a, conv_param),
            L.conv_backward_naive,
            (f(2, 3, 4, 4), f(2, 3, 3, 3), f(2)),
        ),
        "pool": (lambda x: L.max_pool_forward_naive(x, pool_param), L.max_pool_backward_naive, (f(2, 3, 4, 4),)),
        "spatial_batchnorm": (
            lambda *a: L.spatial_batchnorm_forward(*a, {"mode": "train"}),
            L.spatial_batchnorm_backward,
            (f(2, 3, 2, 2), f(3), f(3)),
        ),
        "spatial_groupnorm": (
            lambda *a: L.spatial_groupnorm_forward(*a, 2, {}),
            L.spatial_groupnorm_backward,
            (f(2, 4, 2, 2), f(1, 4, 1, 1), f(1, 4, 1, 1)),
        ),
        "softmax": (lambda x: L.softmax_loss(x, y), None, (f(3, 4),)),
        "svm": (lambda x: L.svm_loss(x, y), None, (f(3, 4),)),
    }


@pytest.mark.parametrize("name", list(_float32_cases(np.random.default_rng(0))))
def test_float32_in_float32_out(name):
    """Does every layer keep float32 inputs in float32, forward and backward?"""
    rng = np.random.default_rng(5)
    forward, backward, inputs = _float32_cases(rng)[name]
    out, cache = forward(*inputs)
    if backward is None:  # a loss: (loss, dx)
        assert np.asarray(out).dtype == np.float32 and cache.dtype == np.float32
        return
    assert out.dtype == np.float32
    grads = backward(rng.standard_normal(out.shape).astype(np.float32), cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert [g.dtype for g in grads] == [np.float32] * len(inputs)


def test_batchnorm_float32_running_stats_stay_float32(rng):
    """Do float32 running statistics stay float32 through train-mode updates?"""
    bn_param = {"mode": "train"}
    x = rng.standard_normal((8, 3)).astype(np.float32)
    g, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    for _ in range(3):
        L.batchnorm_forward(x, g, b, bn_param)
    assert bn_param["running_mean"].dtype == np.float32
    assert bn_param["running_var"].dtype == np.float32


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------

_X4 = np.zeros((2, 3, 5, 5))
_W4 = np.zeros((4, 3, 3, 3))
_B4 = np.zeros(4)

BAD_INPUTS = [
    ("affine w rows", lambda: L.affine_forward(np.zeros((2, 3, 4)), np.zeros((11, 5)), np.zeros(5)), "w"),
    ("affine b length", lambda: L.affine_forward(np.zeros((2, 12)), np.zeros((12, 5)), np.zeros(4)), "b"),
    ("affine x 1-d", lambda: L.affine_forward(np.zeros(12), np.zeros((12, 5)), np.zeros(5)), "x"),
    ("softmax y shape", lambda: L.softmax_loss(np.zeros((3, 4)), np.zeros(2, int)), "y"),
    ("svm y range", lambda: L.svm_loss(np.zeros((3, 4)), np.array([0, 4, 1])), "y"),
    ("softmax y float", lambda: L.softmax_loss(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0])), "y"),
    (
        "batchnorm mode",
        lambda: L.batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), {"mode": "eval"}),
        "mode",
    ),
    ("batchnorm no mode", lambda: L.batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), {}), "mode"),
    (
        "batchnorm gamma",
        lambda: L.batchnorm_forward(np.zeros((2, 3)), np.ones(4), np.zeros(3), {"mode": "train"}),
        "gamma",
    ),
    ("layernorm beta", lambda: L.layernorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(2), {}), "beta"),
    ("dropout mode", lambda: L.dropout_forward(np.zeros(3), {"mode": "eval", "p": 0.5}), "mode"),
    ("dropout p", lambda: L.dropout_forward(np.zeros(3), {"mode": "train", "p": 0.0}), "p"),
    ("conv x ndim", lambda: L.conv_forward_naive(np.zeros((3, 5, 5)), _W4, _B4, {"stride": 1, "pad": 1}), "x"),
    (
        "conv channels",
        lambda: L.conv_forward_naive(np.zeros((2, 2, 5, 5)), _W4, _B4, {"stride": 1, "pad": 1}),
        "channels",
    ),
    ("conv b length", lambda: L.conv_forward_naive(_X4, _W4, np.zeros(3), {"stride": 1, "pad": 1}), "b"),
    ("conv stride 0", lambda: L.conv_forward_naive(_X4, _W4, _B4, {"stride": 0, "pad": 1}), "stride"),
    ("conv stride float", lambda: L.conv_forward_naive(_X4, _W4, _B4, {"stride": 1.0, "pad": 1}), "stride"),
    ("conv pad negative", lambda: L.conv_forward_naive(_X4, _W4, _B4, {"stride": 1, "pad": -1}), "pad"),
    (
        "conv stride does not tile",
        lambda: L.conv_forward_naive(_X4, _W4, _B4, {"stride": 3, "pad": 1}),
        "does not tile",
    ),
    (
        "conv filter too large",
        lambda: L.conv_forward_naive(np.zeros((1, 3, 2, 2)), _W4, _B4, {"stride": 1, "pad": 0}),
        "larger than the padded input",
    ),
    (
        "pool stride 0",
        lambda: L.max_pool_forward_naive(_X4, {"pool_height": 2, "pool_width": 2, "stride": 0}),
        "stride",
    ),
    (
        "pool window too tall",
        lambda: L.max_pool_forward_naive(_X4, {"pool_height": 6, "pool_width": 2, "stride": 1}),
        "pool_height",
    ),
    (
        "pool window too wide",
        lambda: L.max_pool_forward_naive(_X4, {"pool_height": 2, "pool_width": 6, "stride": 1}),
        "pool_width",
    ),
    ("spatial bn gamma", lambda: L.spatial_batchnorm_forward(_X4, np.ones(4), np.zeros(3), {"mode": "train"}), "gamma"),
    ("spatial bn mode", lambda: L.spatial_batchnorm_forward(_X4, np.ones(3), np.zeros(3), {"mode": "Train"}), "mode"),
    (
        "groupnorm G",
        lambda: L.spatial_groupnorm_forward(
            np.zeros((2, 6, 2, 2)), np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 4, {}
        ),
        "G",
    ),
    (
        "groupnorm gamma shape",
        lambda: L.spatial_groupnorm_forward(np.zeros((2, 6, 2, 2)), np.ones(6), np.zeros((1, 6, 1, 1)), 2, {}),
        "gamma",
    ),
]


@pytest.mark.parametrize("case,call,word", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_value_error_naming_the_argument(case, call, word):
    """Does bad input raise ValueError whose message names the faulty argument?"""
    with pytest.raises(ValueError, match=word):
        call()


def test_invalid_batchnorm_mode_message_follows_cs231n():
    """Does an unknown batchnorm mode give cs231n's 'Invalid forward batchnorm mode' message?"""
    with pytest.raises(ValueError, match='Invalid forward batchnorm mode "eval"'):
        L.batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), {"mode": "eval"})


def test_pool_allows_non_tiling_windows():
    """Are pooling windows that do not tile the input accepted (leftovers ignored)?"""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, _ = L.max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_array_equal(out, [[[[6.0, 8.0], [16.0, 18.0]]]])


def test_numpy_integer_parameters_are_accepted(rng):
    """Are numpy integers (as read back from .npz or JSON) valid strides, pads and group counts?"""
    x = rng.standard_normal((1, 2, 5, 5))
    w, b = rng.standard_normal((2, 2, 3, 3)), np.zeros(2)
    out, _ = L.conv_forward_naive(x, w, b, {"stride": np.int64(2), "pad": np.int32(1)})
    assert out.shape == (1, 2, 3, 3)
    out, _ = L.spatial_groupnorm_forward(x, np.ones((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), np.int64(2), {})
    assert out.shape == x.shape
