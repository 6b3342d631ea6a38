"""Tests of reference/classifiers/cnn.py with numpy only.

The comparison with torch.autograd lives in test_cnn_torch.py.

Tolerances:
- Numeric gradients: as in test_fc_net.py (centred differences, h = 1e-5,
  float64; ``grad_error`` = largest difference over the gradient's largest
  magnitude, floored at 1e-2). Random inputs keep every ReLU input and every
  pooling window away from kinks and ties, so the numeric error is the
  centred formula's, about 1e-10 (measured worst case: 8e-10).
  ``GRAD_TOL`` = 1e-7.
- The initial loss with weight_scale 1e-3: with CIFAR-scale inputs the
  scores stay below 1e-2 (measured: 2e-3), and the softmax loss is
  then within 2 * max|score| of log(10), a bound, not a tolerance.
"""

import numpy as np
import pytest

from reference.classifiers.cnn import ThreeLayerConvNet
from reference.solver import Model, Solver

from .helpers import numeric_grad

#: grad_error allowed between analytic and numeric gradients (module docstring).
GRAD_TOL = 1e-7


def grad_error(analytic, numeric):
    """Largest |analytic - numeric| over max(largest magnitude, 1e-2)."""
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-2)
    return float(np.abs(np.asarray(analytic) - np.asarray(numeric)).max() / scale)


def cifar_shaped_random_data(seed, num_train=50, num_val=20, shape=(3, 32, 32)):
    """Random CIFAR-shaped images at CIFAR's scale (mean-subtracted pixels in [0, 255)), random labels.

    Memorizing random labels is exactly the overfitting sanity check; the
    pixel scale makes the learning rates tuned for CIFAR-10 apply.
    """
    rng = np.random.default_rng(seed)
    N = num_train + num_val
    X = rng.uniform(0, 255, size=(N,) + shape)
    X -= X.mean(axis=0)
    y = rng.integers(10, size=N)
    return {"X_train": X[:num_train], "y_train": y[:num_train], "X_val": X[num_train:], "y_val": y[num_train:]}


def test_parameters_shapes_draw_order_and_dtype():
    """Are W1, W2, W3 drawn in that order with the documented shapes, biases zero, all float32?"""
    np.random.seed(3)
    model = ThreeLayerConvNet(
        input_dim=(3, 8, 6), num_filters=4, filter_size=5, hidden_dim=7, num_classes=5, weight_scale=0.1
    )
    np.random.seed(3)
    W1 = 0.1 * np.random.randn(4, 3, 5, 5)
    W2 = 0.1 * np.random.randn(4 * 4 * 3, 7)
    W3 = 0.1 * np.random.randn(7, 5)
    assert set(model.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for name, expected in (("W1", W1), ("W2", W2), ("W3", W3)):
        np.testing.assert_array_equal(model.params[name], expected.astype(np.float32))
    for name, size in (("b1", 4), ("b2", 7), ("b3", 5)):
        np.testing.assert_array_equal(model.params[name], np.zeros(size))
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert model.reg == 0.0 and model.dtype == np.float32
    assert isinstance(model, Model)


def test_default_model_is_cifar_sized():
    model = ThreeLayerConvNet()
    assert model.params["W1"].shape == (32, 3, 7, 7)
    assert model.params["W2"].shape == (32 * 16 * 16, 100)
    assert model.params["W3"].shape == (100, 10)


def test_initial_loss_is_about_log_10():
    """With small weights are the scores near zero and the loss near log(10)?"""
    np.random.seed(0)
    model = ThreeLayerConvNet(dtype=np.float64)
    data = cifar_shaped_random_data(0, num_train=10, num_val=1)
    scores = model.loss(data["X_train"])
    assert scores.shape == (10, 10)
    largest = np.abs(scores).max()
    assert largest < 1e-2
    loss, _ = model.loss(data["X_train"], data["y_train"])
    # each example's loss moves by at most 2 * max|score| from log(10) (its
    # gradient with respect to the scores has an l1 norm of at most 2)
    assert abs(loss - np.log(10)) <= 2 * largest


def test_odd_image_sizes_are_pooled_by_flooring():
    """Does a 7x9 image give a 3x4 pooled map (W2 with F * 3 * 4 rows) and a working loss?"""
    model = ThreeLayerConvNet(input_dim=(3, 7, 9), num_filters=4, filter_size=3, hidden_dim=6, dtype=np.float64)
    assert model.params["W2"].shape == (4 * 3 * 4, 6)
    X = np.random.default_rng(0).standard_normal((2, 3, 7, 9))
    assert model.loss(X).shape == (2, 10)


def test_regularizes_the_weights_only():
    """Does reg add exactly 0.5 * reg * (sum W1**2 + sum W2**2 + sum W3**2)?"""
    np.random.seed(1)
    model = ThreeLayerConvNet(
        input_dim=(2, 6, 6),
        num_filters=3,
        filter_size=3,
        hidden_dim=5,
        num_classes=4,
        weight_scale=0.2,
        dtype=np.float64,
    )
    for name in ("b1", "b2", "b3"):
        model.params[name] = model.params[name] + 0.1
    X, y = np.random.randn(3, 2, 6, 6), np.array([0, 3, 1])
    base, _ = model.loss(X, y)
    model.reg = 0.8
    regularized, _ = model.loss(X, y)
    penalty = 0.5 * 0.8 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert regularized - base == pytest.approx(penalty, rel=1e-12)  # float64 rounding only


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_gradients_match_numeric_ones(reg):
    """Do the analytic gradients of every parameter match numeric ones (float64, small net)?"""
    np.random.seed(231)
    X = np.random.randn(2, 3, 8, 8)
    y = np.random.randint(10, size=2)
    model = ThreeLayerConvNet(
        input_dim=(3, 8, 8), num_filters=3, filter_size=3, hidden_dim=7, reg=reg, weight_scale=0.2, dtype=np.float64
    )
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name in sorted(model.params):
        num = numeric_grad(lambda: model.loss(X, y)[0], model.params[name])
        err = grad_error(grads[name], num)
        assert err < GRAD_TOL, f"{name}: gradient error {err:.3g} >= {GRAD_TOL}"


def test_float32_model_computes_in_float32():
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, filter_size=3, hidden_dim=4)
    X = np.random.randn(2, 3, 8, 8)
    assert model.loss(X).dtype == np.float32
    _, grads = model.loss(X, np.array([1, 2]))
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"input_dim": (32, 32)}, "input_dim"),
        ({"input_dim": (3, 0, 32)}, "input_dim"),
        ({"input_dim": (3, 1, 1)}, "input_dim"),
        ({"filter_size": 4}, "filter_size"),
        ({"filter_size": 0}, "filter_size"),
        ({"num_filters": 2.5}, "num_filters"),
        ({"hidden_dim": -1}, "hidden_dim"),
        ({"num_classes": 0}, "num_classes"),
        ({"weight_scale": -1.0}, "weight_scale"),
        ({"reg": float("nan")}, "reg"),
        ({"dtype": np.int64}, "dtype"),
    ],
)
def test_rejects_bad_arguments(kwargs, name):
    """Is a bad constructor argument a ValueError naming it?"""
    with pytest.raises(ValueError, match=name):
        ThreeLayerConvNet(**kwargs)


@pytest.mark.slow
def test_overfits_50_examples():
    """Does the net memorize 50 random images (train accuracy >= 0.9 within 10 epochs)?

    The default architecture (32 7x7 filters, 100 hidden units,
    weight_scale 1e-2, adam with learning rate 3e-4, batches of 10) on
    CIFAR-like images at half resolution (3x16x16), which keeps the test near
    1.5 s: it passes 0.9 by epoch 7 to 9 for every seed tried (0, 1, 2), and
    reaches 1.0 by epoch 8 with seed 0. The full 3x32x32 size behaves the
    same (0.96-0.98 after 8 epochs with learning rate 1e-4) at 3x the cost.
    """
    data = cifar_shaped_random_data(0, shape=(3, 16, 16))
    np.random.seed(0)
    model = ThreeLayerConvNet(input_dim=(3, 16, 16), weight_scale=1e-2)
    solver = Solver(
        model,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 3e-4},
        batch_size=10,
        num_epochs=10,
        verbose=False,
    )
    solver.train()
    assert solver.train_acc_history[-1] >= 0.9
