"""Tests of reference/classifiers/fc_net.py with numpy only.

The comparisons with torch.autograd live in test_fc_net_torch.py.

Tolerances:
- Published cs231n numbers: the losses are compared at 1e-10 relative (the
  float64 computation reproduces them to the last printed digit; a different
  summation order changes only the last few ulps). The published scores are
  printed with 8 decimals: the sum of absolute differences must stay below
  1e-6, as the cs231n notebook checks them (21 roundings of at most 5e-9).
- Numeric gradients (``numeric_grad`` of tests/reference/helpers.py: centred
  differences, h = 1e-5, float64) are compared with ``grad_error``: the
  largest absolute difference over the gradient's largest magnitude, floored
  at 1e-2 so that gradients that are exactly zero (the biases feeding a
  batch normalization) are compared in absolute terms. The numeric error is
  truncation h**2/6 * |f'''| plus rounding 1e-16 * |loss| / h; the measured
  worst case over every model and option below is 2.5e-9, so ``GRAD_TOL`` =
  1e-7 leaves a 40x margin. Batches of 5 examples are used: with 2 examples
  batch normalization is ill-conditioned (a feature's two values can nearly
  coincide, and its third derivatives grow like 1/std**3) and the numeric
  gradient itself is off by 1e-4, as the cs231n notebook shows.
"""

import numpy as np
import pytest

from reference.classifiers.fc_net import FullyConnectedNet, TwoLayerNet
from reference.solver import Model, Solver

from .helpers import numeric_grad

#: Relative tolerance for the published losses.
PUBLISHED_RTOL = 1e-10
#: Bound on the summed absolute differences from the published scores (8 decimals).
PUBLISHED_SCORES_ATOL = 1e-6
#: grad_error allowed between analytic and numeric gradients (module docstring).
GRAD_TOL = 1e-7


def grad_error(analytic, numeric):
    """Largest |analytic - numeric| over max(largest magnitude, 1e-2)."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-2)
    return float(np.abs(analytic - numeric).max() / scale)


def check_model_gradients(model, X, y):
    """Compare every analytic gradient of model.loss with a numeric one."""
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name in sorted(model.params):
        assert grads[name].shape == model.params[name].shape, name
        num = numeric_grad(lambda: model.loss(X, y)[0], model.params[name])
        err = grad_error(grads[name], num)
        assert err < GRAD_TOL, f"{name}: gradient error {err:.3g} >= {GRAD_TOL}"


# ---------------------------------------------------------------------------
# TwoLayerNet
# ---------------------------------------------------------------------------


def test_two_layer_net_draws_weights_in_order_and_zero_biases():
    """Are W1 then W2 drawn as weight_scale * randn from the global generator, biases zero?"""
    np.random.seed(0)
    model = TwoLayerNet(input_dim=5, hidden_dim=4, num_classes=3, weight_scale=1e-3)
    np.random.seed(0)
    W1 = 1e-3 * np.random.randn(5, 4)
    W2 = 1e-3 * np.random.randn(4, 3)
    assert set(model.params) == {"W1", "b1", "W2", "b2"}
    np.testing.assert_array_equal(model.params["W1"], W1)
    np.testing.assert_array_equal(model.params["W2"], W2)
    np.testing.assert_array_equal(model.params["b1"], np.zeros(4))
    np.testing.assert_array_equal(model.params["b2"], np.zeros(3))
    assert model.reg == 0.0
    assert isinstance(model, Model)


@pytest.fixture
def published_two_layer_net():
    """The cs231n two-layer-net notebook's model, with its linspace parameters and inputs."""
    np.random.seed(231)
    N, D, H, C = 3, 5, 50, 7
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=N)
    model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-3)
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    y = np.asarray([0, 5, 1])
    return model, X, y


def test_two_layer_net_reproduces_the_published_scores(published_two_layer_net):
    model, X, _ = published_two_layer_net
    correct_scores = np.asarray(
        [
            [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
            [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
            [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319],
        ]
    )
    scores = model.loss(X)
    assert np.abs(scores - correct_scores).sum() < PUBLISHED_SCORES_ATOL


def test_two_layer_net_reproduces_the_published_losses(published_two_layer_net):
    model, X, y = published_two_layer_net
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(3.4702243556, rel=PUBLISHED_RTOL)
    model.reg = 1.0
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(26.5948426952, rel=PUBLISHED_RTOL)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_gradients_match_numeric_ones(reg):
    np.random.seed(231)
    N, D, H, C = 5, 6, 8, 4
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=N)
    model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=0.5, reg=reg)
    check_model_gradients(model, X, y)


def test_two_layer_net_regularizes_the_weights_only():
    """Does reg add exactly 0.5 * reg * (sum W1**2 + sum W2**2), whatever the biases?"""
    np.random.seed(1)
    X, y = np.random.randn(4, 6), np.array([0, 1, 2, 1])
    model = TwoLayerNet(input_dim=6, hidden_dim=5, num_classes=3, weight_scale=0.3)
    model.params["b1"] += 0.5
    model.params["b2"] -= 0.25
    base, _ = model.loss(X, y)
    model.reg = 2.5
    regularized, grads = model.loss(X, y)
    penalty = 0.5 * 2.5 * (np.sum(model.params["W1"] ** 2) + np.sum(model.params["W2"] ** 2))
    assert regularized - base == pytest.approx(penalty, rel=1e-12)  # float64 rounding only


def test_two_layer_net_accepts_image_shaped_inputs():
    """Are (N, d_1, ..., d_k) inputs flattened to D = d_1 * ... * d_k?"""
    model = TwoLayerNet(input_dim=3 * 4 * 4, hidden_dim=10, num_classes=5)
    assert model.loss(np.random.randn(7, 3, 4, 4)).shape == (7, 5)


# ---------------------------------------------------------------------------
# FullyConnectedNet: published numbers, parameters, modes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "normalization, expected",
    [(None, [2.3004790897684924, 7.052114776533016]), ("batchnorm", [2.2611955101340957, 6.996533220108303])],
    ids=["plain", "batchnorm"],
)
def test_fully_connected_net_reproduces_the_published_initial_losses(normalization, expected):
    """Do seed 231 and the notebook's loop over reg give cs231n's initial losses?"""
    np.random.seed(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    losses = []
    for reg in [0, 3.14]:
        model = FullyConnectedNet(
            [H1, H2],
            input_dim=D,
            num_classes=C,
            reg=reg,
            weight_scale=5e-2,
            dtype=np.float64,
            normalization=normalization,
        )
        loss, _ = model.loss(X, y)
        losses.append(loss)
    assert losses == pytest.approx(expected, rel=PUBLISHED_RTOL)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_parameters(normalization):
    """Are W then b drawn layer by layer (only W draws), gammas ones, betas zeros, in dtype?"""
    dims = [6, 5, 4, 3]
    np.random.seed(7)
    model = FullyConnectedNet(
        dims[1:-1], input_dim=dims[0], num_classes=dims[-1], normalization=normalization, weight_scale=0.1
    )
    np.random.seed(7)
    expected_W = [0.1 * np.random.randn(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)]
    L = len(dims) - 1
    names = {f"W{i}" for i in range(1, L + 1)} | {f"b{i}" for i in range(1, L + 1)}
    if normalization is not None:
        names |= {f"gamma{i}" for i in range(1, L)} | {f"beta{i}" for i in range(1, L)}
    assert set(model.params) == names
    assert model.num_layers == L
    for i in range(1, L + 1):
        np.testing.assert_array_equal(model.params[f"W{i}"], expected_W[i - 1].astype(np.float32))
        np.testing.assert_array_equal(model.params[f"b{i}"], np.zeros(dims[i]))
    for i in range(1, L if normalization else 1):
        np.testing.assert_array_equal(model.params[f"gamma{i}"], np.ones(dims[i]))
        np.testing.assert_array_equal(model.params[f"beta{i}"], np.zeros(dims[i]))
    assert all(p.dtype == np.float32 for p in model.params.values())


def test_fully_connected_net_bookkeeping_attributes():
    """Are use_dropout, dropout_param and bn_params set up as in cs231n?"""
    plain = FullyConnectedNet([4, 4], input_dim=3, num_classes=2)
    assert plain.use_dropout is False and plain.dropout_param == {} and plain.bn_params == []
    assert plain.normalization is None and plain.reg == 0.0 and plain.dtype == np.float32

    dropped = FullyConnectedNet([4, 4], input_dim=3, num_classes=2, dropout_keep_ratio=0.25, seed=3)
    assert dropped.use_dropout is True
    assert dropped.dropout_param == {"mode": "train", "p": 0.25, "seed": 3}
    assert "seed" not in FullyConnectedNet([4], input_dim=3, dropout_keep_ratio=0.5).dropout_param

    bn = FullyConnectedNet([4, 4, 4], input_dim=3, num_classes=2, normalization="batchnorm")
    assert bn.bn_params == [{"mode": "train"}] * 3
    assert bn.bn_params[0] is not bn.bn_params[1]
    ln = FullyConnectedNet([4, 4], input_dim=3, num_classes=2, normalization="layernorm")
    assert ln.bn_params == [{}, {}]


def test_fully_connected_net_sets_the_mode_from_y():
    """Does loss(X) run in test mode and loss(X, y) in train mode (dropout and batchnorm)?"""
    np.random.seed(0)
    model = FullyConnectedNet(
        [6, 6], input_dim=4, num_classes=3, dropout_keep_ratio=0.5, normalization="batchnorm", dtype=np.float64
    )
    X, y = np.random.randn(8, 4), np.random.randint(3, size=8)
    model.loss(X, y)
    assert model.dropout_param["mode"] == "train"
    assert all(p["mode"] == "train" for p in model.bn_params)
    assert all("running_mean" in p and "running_var" in p for p in model.bn_params)
    model.loss(X)
    assert model.dropout_param["mode"] == "test"
    assert all(p["mode"] == "test" for p in model.bn_params)


def test_dropout_is_off_at_test_time_and_on_at_train_time():
    """Are test-time scores those of the same net without dropout, and train losses different?"""
    np.random.seed(0)
    X, y = np.random.randn(10, 8), np.random.randint(4, size=10)
    with_dropout = FullyConnectedNet(
        [20, 20], input_dim=8, num_classes=4, dropout_keep_ratio=0.5, weight_scale=0.3, dtype=np.float64
    )
    without = FullyConnectedNet([20, 20], input_dim=8, num_classes=4, dtype=np.float64)
    without.params = {k: v.copy() for k, v in with_dropout.params.items()}
    np.testing.assert_array_equal(with_dropout.loss(X), without.loss(X))
    assert with_dropout.loss(X, y)[0] != without.loss(X, y)[0]


def test_fully_connected_net_regularizes_the_weights_only():
    """Does reg add exactly 0.5 * reg * sum of squared weights (not biases, gammas, betas)?"""
    np.random.seed(2)
    X, y = np.random.randn(6, 5), np.random.randint(3, size=6)
    model = FullyConnectedNet(
        [4, 4], input_dim=5, num_classes=3, normalization="layernorm", weight_scale=0.4, dtype=np.float64
    )
    for k in model.params:
        if not k.startswith("W"):
            model.params[k] = model.params[k] + 0.3  # nonzero biases, gammas, betas
    base, _ = model.loss(X, y)
    model.reg = 1.5
    regularized, _ = model.loss(X, y)
    penalty = 0.5 * 1.5 * sum(np.sum(model.params[f"W{i}"] ** 2) for i in range(1, 4))
    assert regularized - base == pytest.approx(penalty, rel=1e-12)  # float64 rounding only


def test_fully_connected_net_computes_in_its_dtype():
    """Does a float32 net give float32 scores and gradients even for float64 inputs?"""
    model = FullyConnectedNet([5], input_dim=3 * 2 * 2, num_classes=3, normalization="batchnorm")
    X = np.random.randn(4, 3, 2, 2)
    assert model.loss(X).dtype == np.float32
    _, grads = model.loss(X, np.array([0, 1, 2, 0]))
    assert all(g.dtype == np.float32 for g in grads.values())


# ---------------------------------------------------------------------------
# FullyConnectedNet: gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reg", [0.0, 3.14])
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("keep", [1, 0.5], ids=["no-dropout", "dropout"])
def test_fully_connected_net_gradients_match_numeric_ones(normalization, reg, keep):
    """Do the analytic gradients match numeric ones, with a fixed dropout seed so every probe uses one mask?"""
    np.random.seed(231)
    N, D, H1, H2, C = 5, 8, 10, 12, 6
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    model = FullyConnectedNet(
        [H1, H2],
        input_dim=D,
        num_classes=C,
        reg=reg,
        weight_scale=2e-1,
        dtype=np.float64,
        normalization=normalization,
        dropout_keep_ratio=keep,
        seed=123,
    )
    check_model_gradients(model, X, y)


def test_one_layer_net_is_a_softmax_classifier():
    """Does hidden_dims=[] give a single affine layer whose gradients are right?"""
    np.random.seed(3)
    model = FullyConnectedNet([], input_dim=4, num_classes=3, weight_scale=0.5, reg=0.1, dtype=np.float64)
    assert set(model.params) == {"W1", "b1"}
    check_model_gradients(model, np.random.randn(5, 4), np.random.randint(3, size=5))


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"hidden_dims": 100}, "hidden_dims"),
        ({"hidden_dims": [100, 0]}, r"hidden_dims\[1\]"),
        ({"hidden_dims": [50.5]}, r"hidden_dims\[0\]"),
        ({"hidden_dims": [True]}, r"hidden_dims\[0\]"),
        ({"hidden_dims": [10], "normalization": "groupnorm"}, "normalization.*groupnorm"),
        ({"hidden_dims": [10], "dropout_keep_ratio": 0}, "dropout_keep_ratio"),
        ({"hidden_dims": [10], "dropout_keep_ratio": 1.5}, "dropout_keep_ratio"),
        ({"hidden_dims": [10], "input_dim": 0}, "input_dim"),
        ({"hidden_dims": [10], "num_classes": 2.0}, "num_classes"),
        ({"hidden_dims": [10], "reg": -1.0}, "reg"),
        ({"hidden_dims": [10], "weight_scale": -1e-2}, "weight_scale"),
        ({"hidden_dims": [10], "dtype": np.int32}, "dtype"),
    ],
)
def test_fully_connected_net_rejects_bad_arguments(kwargs, name):
    """Is a bad constructor argument a ValueError naming it?"""
    with pytest.raises(ValueError, match=name):
        FullyConnectedNet(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"input_dim": -3}, "input_dim"),
        ({"hidden_dim": 0}, "hidden_dim"),
        ({"num_classes": "10"}, "num_classes"),
        ({"reg": -0.5}, "reg"),
    ],
)
def test_two_layer_net_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TwoLayerNet(**kwargs)


def test_validation_draws_no_random_numbers():
    """Does a rejected construction leave numpy's global generator untouched?"""
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    with pytest.raises(ValueError):
        FullyConnectedNet([10], normalization="bogus")
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# ---------------------------------------------------------------------------
# Training sanity
# ---------------------------------------------------------------------------


def cifar_shaped_random_data(seed, num_train=50, num_val=20):
    """Random CIFAR-shaped images at CIFAR's scale, with random labels.

    Pixels are uniform in [0, 255) with the per-pixel mean subtracted, as the
    course's data preprocessing does, so learning rates and weight scales
    tuned for CIFAR-10 behave the same. Memorizing random labels is exactly
    the overfitting sanity check.
    """
    rng = np.random.default_rng(seed)
    N = num_train + num_val
    X = rng.uniform(0, 255, size=(N, 3, 32, 32))
    X -= X.mean(axis=0)
    y = rng.integers(10, size=N)
    return {"X_train": X[:num_train], "y_train": y[:num_train], "X_val": X[num_train:], "y_val": y[num_train:]}


@pytest.mark.slow
def test_three_layer_net_overfits_50_examples():
    """Does a [100, 100] net with sgd (lr 1e-2, weight_scale 1e-2) reach 100% train accuracy in 20 epochs?

    With these data it gets there by epoch 6 or 7 for every seed tried (0, 1, 2).
    """
    data = cifar_shaped_random_data(0)
    np.random.seed(0)
    model = FullyConnectedNet([100, 100], weight_scale=1e-2)
    solver = Solver(
        model,
        data,
        update_rule="sgd",
        optim_config={"learning_rate": 1e-2},
        batch_size=25,
        num_epochs=20,
        print_every=10,
        verbose=False,
    )
    solver.train()
    assert solver.train_acc_history[-1] == 1.0
    assert len(solver.train_acc_history) == 21 and len(solver.loss_history) == 40
