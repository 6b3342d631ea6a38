"""Tests of reference/layer_utils.py: each sandwich equals the composition of its layers.

The sandwiches are compared with the same layers composed by hand (the
convolutional ones with the naive layers of layers.py, which the fast layers
must agree with), and their gradients with numeric ones.

Tolerances (float64): a sandwich and its hand composition with the same
layers perform the same operations, so they agree exactly or to rounding
(``scaled_error`` < 1e-12); against the naive conv and pool layers the fast
kernels sum in another order (< 1e-12 of the scale as well, observed ~1e-15).
Numeric gradients: ``scaled_error`` < 1e-8, as in test_layers.py.
All errors are measured against the largest magnitude among all the arrays
compared at once (the output, or all the gradients of a sandwich): db before a
normalization layer is analytically zero, so its own scale is rounding noise.
"""

import numpy as np
import pytest

from reference import layer_utils as U
from reference import layers as L

from .helpers import distinct_values, numeric_grad, scaled_error

#: Same operations, or the same sums in another order (see the module docstring).
COMPOSE_TOL = 1e-12
#: Analytic vs numeric gradients, as in test_layers.py.
NUMERIC_TOL = 1e-8


@pytest.fixture
def rng():
    return np.random.default_rng(1231)


def joint_scale(arrays):
    """The largest magnitude over a list of arrays."""
    return max(float(np.max(np.abs(a), initial=0.0)) for a in arrays)


def assert_all_close(ours, theirs, tol=COMPOSE_TOL):
    assert len(ours) == len(theirs)
    scale = joint_scale(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert np.shape(a) == np.shape(b), f"item {k}: shape {np.shape(a)} vs {np.shape(b)}"
        err = scaled_error(a, b, scale)
        assert err < tol, f"item {k}: scaled error {err:.3g} >= {tol}"


def check_numeric(forward, backward, inputs, rng):
    out, cache = forward(*inputs)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    assert len(grads) == len(inputs)
    nums = [numeric_grad(lambda: forward(*inputs)[0], x, dout) for x in inputs]
    scale = joint_scale(nums)
    for k, (g, num) in enumerate(zip(grads, nums, strict=True)):
        assert g.shape == num.shape, f"gradient {k}: shape {g.shape} vs {num.shape}"
        err = scaled_error(g, num, scale)
        assert err < NUMERIC_TOL, f"gradient {k}: error {err:.3g} >= {NUMERIC_TOL}"


def test_affine_relu_is_affine_then_relu(rng):
    """Is affine_relu the composition of affine and relu, forward and backward?"""
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    out, cache = U.affine_relu_forward(x, w, b)
    a, fc = L.affine_forward(x, w, b)
    expected, rc = L.relu_forward(a)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    assert_all_close(U.affine_relu_backward(dout, cache), L.affine_backward(L.relu_backward(dout, rc), fc))
    check_numeric(U.affine_relu_forward, U.affine_relu_backward, [x, w, b], rng)


@pytest.mark.parametrize("norm", ["batchnorm", "layernorm"])
def test_affine_norm_relu_is_the_composition(rng, norm):
    """Are affine_bn_relu and affine_ln_relu the compositions of their layers, with 5 gradients?"""
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    if norm == "batchnorm":
        fwd, bwd = U.affine_bn_relu_forward, U.affine_bn_relu_backward
        nf, nb = L.batchnorm_forward, L.batchnorm_backward
        make_param = lambda: {"mode": "train"}  # noqa: E731
    else:
        fwd, bwd = U.affine_ln_relu_forward, U.affine_ln_relu_backward
        nf, nb = L.layernorm_forward, L.layernorm_backward
        make_param = lambda: {}  # noqa: E731
    out, cache = fwd(x, w, b, gamma, beta, make_param())
    a, fc = L.affine_forward(x, w, b)
    an, nc = nf(a, gamma, beta, make_param())
    expected, rc = L.relu_forward(an)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    da, dgamma, dbeta = nb(L.relu_backward(dout, rc), nc)
    dx, dw, db = L.affine_backward(da, fc)
    assert_all_close(bwd(dout, cache), [dx, dw, db, dgamma, dbeta])
    check_numeric(lambda *a: fwd(*a, make_param()), bwd, [x, w, b, gamma, beta], rng)


def test_affine_bn_relu_updates_the_running_statistics(rng):
    """Does affine_bn_relu_forward store the running statistics in the bn_param it was given?"""
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), np.zeros(3)
    bn_param = {"mode": "train"}
    U.affine_bn_relu_forward(x, w, b, np.ones(3), np.zeros(3), bn_param)
    a = x @ w
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * a.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 1), (1, 0)])
def test_conv_relu_is_conv_then_relu(rng, stride, pad):
    """Is conv_relu the naive conv followed by relu, forward and backward?"""
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    conv_param = {"stride": stride, "pad": pad}
    out, cache = U.conv_relu_forward(x, w, b, conv_param)
    a, cc = L.conv_forward_naive(x, w, b, conv_param)
    expected, rc = L.relu_forward(a)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    assert_all_close(U.conv_relu_backward(dout, cache), L.conv_backward_naive(L.relu_backward(dout, rc), cc))


def test_conv_bn_relu_is_the_composition(rng):
    """Is conv_bn_relu the naive conv, spatial batchnorm and relu composed, with 5 gradients?"""
    x, w, b = rng.standard_normal((3, 2, 5, 5)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    conv_param = {"stride": 1, "pad": 1}
    bn_param = {"mode": "train"}
    out, cache = U.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)
    a, cc = L.conv_forward_naive(x, w, b, conv_param)
    an, bc = L.spatial_batchnorm_forward(a, gamma, beta, {"mode": "train"})
    expected, rc = L.relu_forward(an)
    assert_all_close([out], [expected])
    assert bn_param["running_mean"].shape == (4,)
    dout = rng.standard_normal(out.shape)
    da, dgamma, dbeta = L.spatial_batchnorm_backward(L.relu_backward(dout, rc), bc)
    dx, dw, db = L.conv_backward_naive(da, cc)
    assert_all_close(U.conv_bn_relu_backward(dout, cache), [dx, dw, db, dgamma, dbeta])


@pytest.mark.parametrize("pool", [(2, 2, 2), (3, 3, 2), (2, 3, 1)], ids=["2x2s2", "3x3s2", "2x3s1"])
def test_conv_relu_pool_is_the_composition(rng, pool):
    """Is conv_relu_pool the naive conv, relu and naive max pool composed, for several pool shapes?"""
    ph, pw, ps = pool
    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 3, 3, 3)), rng.standard_normal(3)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": ps}
    out, cache = U.conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    a, cc = L.conv_forward_naive(x, w, b, conv_param)
    s, rc = L.relu_forward(a)
    expected, pc = L.max_pool_forward_naive(s, pool_param)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    ds = L.max_pool_backward_naive(dout, pc)
    expected_grads = L.conv_backward_naive(L.relu_backward(ds, rc), cc)
    assert_all_close(U.conv_relu_pool_backward(dout, cache), expected_grads)


def test_conv_relu_pool_gradients_match_numeric(rng):
    """Are conv_relu_pool's gradients the numeric ones (inputs chosen away from ties and kinks)?"""
    # Distinct, well-spaced inputs and a 1x1 filter keep every conv output distinct and away
    # from 0, so neither the relu kink nor a pooling tie lies within h = 1e-5.
    x = distinct_values(rng, (2, 2, 4, 4), spacing=6.0)
    w, b = np.array([[[[1.0]], [[0.01]]]]), np.array([0.0])
    conv_param = {"stride": 1, "pad": 0}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    check_numeric(
        lambda *a: U.conv_relu_pool_forward(*a, conv_param, pool_param), U.conv_relu_pool_backward, [x, w, b], rng
    )
