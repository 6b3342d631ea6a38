"""The TP2 reference: the exercises' numbers, exact gradients against numeric ones, XOR and parity.

Tolerances: gradients are compared with centred differences (h = 1e-5,
float64, error about 1e-10) by the largest elementwise relative error; 1e-7
leaves a margin of 1000 while any formula error shows at 1e-2 or more.
Inputs are kept 0.05 away from the kinks of ReLU-like functions.
"""

import itertools

import numpy as np
import pytest

from reference import layers as L
from reference.network import losses, metrics, optimizers, regularizers
from reference.network.layers import Concatenate, Dense
from reference.network.models import Network

from .helpers import numeric_grad, rel_error

GRAD_TOL = 1e-7
XOR_X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
#: The lab's XOR: -1 when the inputs differ, 1 when they are equal.
XOR_Y = np.array([[1.0], [-1.0], [-1.0], [1.0]])


def away_from_zero(rng, shape, scale=1.0):
    z = rng.standard_normal(shape)
    return scale * (z + 0.05 * np.sign(z))


ACTIVATIONS = {
    "sigmoid": (L.sigmoid_forward, L.sigmoid_backward),
    "tanh": (L.tanh_forward, L.tanh_backward),
    "elu": (lambda x: L.elu_forward(x, 0.7), L.elu_backward),
    "leaky_relu": (lambda x: L.leaky_relu_forward(x, 0.2), L.leaky_relu_backward),
}


# -- exercises 1 and 2 ------------------------------------------------------------


def neuron(name):
    """Exercise 1: f = act(w . x + b) and its gradients, from the reference's forward/backward."""
    x, w, b = np.array([2.8, -1.8]), np.array([1.45, -0.35]), -4.0
    fwd, bwd = {
        "sigmoid": (L.sigmoid_forward, L.sigmoid_backward),
        "tanh": (L.tanh_forward, L.tanh_backward),
        "elu": (L.elu_forward, L.elu_backward),
        "leaky_relu": (L.leaky_relu_forward, L.leaky_relu_backward),
    }[name]
    z = np.array([[w @ x + b]])
    f, cache = fwd(z)
    dz = bwd(np.ones_like(z), cache).item()
    return f.item(), dz, dz * x, dz * w


@pytest.mark.parametrize(
    "name, f, df_db, df_dw, df_dx",
    [
        ("sigmoid", 0.666, 0.222, (0.623, -0.400), (0.323, -0.078)),
        ("tanh", 0.598, 0.642, (1.799, -1.156), (0.931, -0.225)),
        ("elu", 0.690, 1.0, (2.8, -1.8), (1.45, -0.35)),
        ("leaky_relu", 0.690, 1.0, (2.8, -1.8), (1.45, -0.35)),
    ],
)
def test_exercise_1_numbers(name, f, df_db, df_dw, df_dx):
    """Does one neuron give the exercise's values and gradients to the 3 decimals published?

    The published df/dx of tanh, 0.931, is 0.642 x 1.45 from the rounded df/db
    (exactly 0.9315): the tolerance is 1e-3, half a unit of the last decimal
    plus that rounding.
    """
    got = neuron(name)
    assert got[0] == pytest.approx(f, abs=5e-4)
    assert got[1] == pytest.approx(df_db, abs=5e-4)
    np.testing.assert_allclose(got[2], df_dw, atol=1e-3)
    np.testing.assert_allclose(got[3], df_dx, atol=1e-3)


def test_exercise_2_numbers():
    """Does the layer of two sigmoids give z = (-0.380, 0.100), a = (0.406, 0.525) and, for the
    target (0, 0), the course's MSE (sum over the two outputs) of 0.441?"""
    x = np.array([[-3.1, 1.5]])
    W = np.array([[-0.2, 2.0], [-0.5, -0.3]])  # rows: neurons, as in the lab
    b = np.array([-4.0, -1.0])
    z = x @ W.T + b
    a, _ = L.sigmoid_forward(z)
    loss, _ = L.mse_loss(a, np.zeros((1, 2)))
    np.testing.assert_allclose(z[0], [-0.380, 0.100], atol=5e-4)
    np.testing.assert_allclose(a[0], [0.406, 0.525], atol=5e-4)
    assert loss == pytest.approx(0.441, abs=5e-4)


# -- forward values and gradients -----------------------------------------------------


def test_forward_values_against_closed_forms():
    """Do the forwards equal their textbook definitions (written here independently)?"""
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(L.sigmoid_forward(x)[0], 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(L.tanh_forward(x)[0], (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), rtol=1e-13)
    np.testing.assert_allclose(L.elu_forward(x, 1.5)[0], [v if v > 0 else 1.5 * (np.exp(v) - 1) for v in x], rtol=1e-14)
    np.testing.assert_allclose(L.leaky_relu_forward(x)[0], [v if v > 0 else 0.1 * v for v in x], rtol=1e-15)


def test_sigmoid_is_stable_and_keeps_float32():
    """No overflow warning or NaN for inputs of magnitude 1e3, and float32 stays float32."""
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, _ = L.sigmoid_forward(x)
    np.testing.assert_allclose(out, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=1e-300)
    assert L.sigmoid_forward(x.astype(np.float32))[0].dtype == np.float32
    assert L.elu_forward(x.astype(np.float32))[0].dtype == np.float32


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_backward_matches_numeric_gradient(name):
    fwd, bwd = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (4, 5), 2.0)
    dout = rng.standard_normal((4, 5))
    _, cache = fwd(x)
    dx = bwd(dout, cache)
    assert rel_error(dx, numeric_grad(lambda: fwd(x)[0], x, dout)) < GRAD_TOL


def test_mse_loss_is_the_courses_mean_over_examples_of_the_sum_over_outputs():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss, dx = L.mse_loss(x, y)
    assert loss == pytest.approx(np.mean(np.sum((x - y) ** 2, axis=1)), rel=1e-14)
    np.testing.assert_allclose(dx, 2 * (x - y) / 5, rtol=1e-14)  # the lab's 2 (S - Y), over the batch
    assert rel_error(dx, numeric_grad(lambda: L.mse_loss(x, y)[0], x)) < GRAD_TOL


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear"])
def test_dense_gradients_match_numeric(activation):
    rng = np.random.default_rng(3)
    layer = Dense(4, activation, input_dim=3)
    layer.build(3, 3, rng)
    layer.params["b"] = 0.3 * rng.standard_normal(4)
    h = away_from_zero(rng, (5, 3))
    dout = rng.standard_normal((5, 4))
    _, cache = layer.forward(h)
    dh, dx, grads = layer.backward(dout, cache)
    assert dx is None
    assert rel_error(dh, numeric_grad(lambda: layer.forward(h)[0], h, dout)) < GRAD_TOL
    for k in ("W", "b"):
        assert rel_error(grads[k], numeric_grad(lambda: layer.forward(h)[0], layer.params[k], dout)) < GRAD_TOL


def test_concatenate_joins_input_first_and_splits_its_gradient():
    rng = np.random.default_rng(4)
    h, x, dout = rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((3, 6))
    layer = Concatenate()
    layer.build(2, 4, rng)
    assert layer.output_dim == 6
    out, cache = layer.forward(h, x)
    np.testing.assert_array_equal(out, np.hstack([x, h]))
    dh, dx, grads = layer.backward(dout, cache)
    assert grads == {}
    assert rel_error(dh, numeric_grad(lambda: layer.forward(h, x)[0], h, dout)) < GRAD_TOL
    assert rel_error(dx, numeric_grad(lambda: layer.forward(h, x)[0], x, dout)) < GRAD_TOL


@pytest.mark.parametrize("kind", ["MSE", "SVM", "CCE"])
@pytest.mark.parametrize("coded", [False, True])
def test_network_losses_match_numeric_gradients(kind, coded):
    rng = np.random.default_rng(5)
    pred = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, size=6)
    target = np.eye(4)[labels] if coded else labels
    loss = getattr(losses, kind)()
    value, dpred = loss(pred, target), loss.gradient(pred, target)  # the lab's Loss interface
    assert isinstance(value, float)
    assert rel_error(dpred, numeric_grad(lambda: loss(pred, target), pred)) < GRAD_TOL
    if kind == "CCE":  # the same value as softmax_loss on the labels
        assert value == pytest.approx(L.softmax_loss(pred, labels)[0], rel=1e-14)


@pytest.mark.parametrize(
    "kind, value", [("L2", lambda W, lam: 0.5 * lam * np.sum(W**2)), ("L1", lambda W, lam: lam * np.sum(np.abs(W)))]
)
def test_regularizer_gradients_are_arrays_of_the_weights_shape(kind, value):
    rng = np.random.default_rng(6)
    W = away_from_zero(rng, (3, 5))
    reg = getattr(regularizers, kind)(0.3)
    assert reg(W) == pytest.approx(value(W, 0.3), rel=1e-14)
    g = reg.gradient(W)
    assert isinstance(g, np.ndarray) and g.shape == W.shape
    assert rel_error(g, numeric_grad(lambda: reg(W), W)) < GRAD_TOL
    assert reg.penalty(W) == reg(W) and np.array_equal(reg.grad(W), g)  # the kit's earlier names


def small_net(seed=7):
    net = Network(seed=seed)
    net.add(Dense(4, "tanh", input_dim=3))
    net.add(Concatenate())
    net.add(Dense(3, "sigmoid"))
    net.add(Dense(2, "linear"))
    for layer in net.layers:
        if "b" in layer.params:
            layer.params["b"] = 0.2 * net.rng.standard_normal(layer.params["b"].shape)
    return net


@pytest.mark.parametrize("reg", [None, regularizers.L2(0.4), regularizers.L1(0.2)])
def test_network_gradients_match_numeric_with_regularizer_on_every_layer(reg):
    """Is each layer's gradient exact, the penalty's included (on its own layer's weights only)?"""
    rng = np.random.default_rng(8)
    net = small_net()
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    loss = losses.MSE()
    _, grads = net.loss_and_grads(X, y, loss, reg)
    for layer, g in zip(net.layers, grads, strict=True):
        assert set(g) == set(layer.params)
        for k, p in layer.params.items():
            assert rel_error(g[k], numeric_grad(lambda: net.loss_and_grads(X, y, loss, reg)[0], p)) < GRAD_TOL


def test_averaged_loss_gives_averaged_gradient():
    """Repeating the batch leaves the loss and every gradient unchanged (a summed gradient would double)."""
    rng = np.random.default_rng(9)
    net = small_net()
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    v1, g1 = net.loss_and_grads(X, y, losses.MSE())
    v2, g2 = net.loss_and_grads(np.vstack([X, X]), np.vstack([y, y]), losses.MSE())
    assert v2 == pytest.approx(v1, rel=1e-12)
    for a, b in zip(g1, g2, strict=True):
        for k in a:
            np.testing.assert_allclose(b[k], a[k], rtol=1e-10, atol=1e-14)


# -- the optimizer and fit --------------------------------------------------------------


def test_bgd_batches_are_shuffled_partitions():
    opt = optimizers.BGD(lr=0.1, bs=4)
    rng = np.random.default_rng(10)
    first, second = opt.batches(10, rng), opt.batches(10, rng)
    assert [len(b) for b in first] == [4, 4, 2]
    for epoch in (first, second):
        assert sorted(np.concatenate(epoch).tolist()) == list(range(10))
    assert np.concatenate(first).tolist() != list(range(10))
    assert np.concatenate(first).tolist() != np.concatenate(second).tolist()
    assert [len(b) for b in optimizers.BGD(bs=None).batches(7, rng)] == [7]


def test_bgd_update_is_in_place():
    p, g = np.ones(3), np.array([1.0, 2.0, 3.0])
    out = optimizers.BGD(lr=0.5).update(p, g)
    assert out is p
    np.testing.assert_allclose(p, [0.5, 0.0, -0.5])


def test_fit_returns_per_epoch_history_with_test_data():
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, size=30)
    net = Network(seed=0).add(Dense(8, "relu", input_dim=4)).add(Dense(3))
    hist = net.fit(
        X,
        y,
        test_data=(X[:10], y[:10]),
        epochs=5,
        loss=losses.CCE(),
        opt=optimizers.BGD(lr=0.5, bs=8),
        reg=regularizers.L2(1e-3),
    )
    assert set(hist) == {"loss", "accuracy", "test_loss", "test_accuracy"}
    assert all(len(v) == 5 for v in hist.values())
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["accuracy"][-1] == pytest.approx(metrics.class_accuracy(net.predict(X), y))


def test_metrics_sign_and_class():
    assert metrics.accuracy(np.array([[0.3], [-0.2], [0.1]]), np.array([[1], [1], [1]])) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert metrics.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([[-1, 1], [1, -1]])) == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: L.mse_loss(np.zeros((2, 3)), np.zeros((2, 2))), "y must have shape (2, 3)"),
        (lambda: L.leaky_relu_forward(np.zeros(2), slope=float("nan")), "slope must be a finite number"),
        (lambda: L.sigmoid_forward([1.0, 2.0]), "x must be a floating-point numpy array"),
        (lambda: Network().add(Dense(2, "tanh")), "the first layer needs input_dim"),
        (lambda: Dense(2, "softplus"), "unknown name 'softplus'"),
        (lambda: Network().add(Dense(2, input_dim=3)).predict(np.zeros((4, 2))), "x must have shape (N, 3)"),
    ],
)
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


def test_plot_history_draws_train_and_test_curves():
    import matplotlib

    matplotlib.use("Agg")
    from reference.network.plotting import plot_history

    axes = plot_history(
        {"loss": [3, 2, 1], "accuracy": [0.1, 0.5, 0.9], "test_loss": [3, 2.5, 2], "test_accuracy": [0.1, 0.4, 0.6]}
    )
    assert [len(ax.get_lines()) for ax in axes] == [2, 2]


# -- XOR and parity (the lab's settings: MSE, BGD(lr=0.01, full batch), 3000 epochs) --------

XOR_SEEDS = range(20)
#: Measured with the reference (Glorot-uniform weights, zero biases, seeds 0-19, the lab's
#: targets): architecture (a) reaches 100% for 15 of the 20 seeds, (b) (one hidden unit) for 8.
XOR_MIN_SOLVED = {"a": 14, "b": 7}
#: The documented seed: both architectures reach 100% from it.
XOR_SEED = 3


def xor_net(arch, seed):
    net = Network(seed=seed)
    if arch == "a":  # 2-2-1 tanh
        net.add(Dense(2, "tanh", input_dim=2)).add(Dense(1, "tanh"))
    else:  # the lab's (b): one tanh hidden unit; the output unit sees it beside the two inputs
        net.add(Dense(1, "tanh", input_dim=2)).add(Concatenate(2)).add(Dense(1, "tanh"))
    return net


def train_xor(arch, seed):
    net = xor_net(arch, seed)
    return net.fit(XOR_X, XOR_Y, epochs=3000, loss=losses.MSE(), opt=optimizers.BGD(lr=0.01, bs=None))


@pytest.mark.parametrize("arch", ["a", "b"])
def test_xor_reaches_100_percent_for_the_documented_seed(arch):
    assert train_xor(arch, XOR_SEED)["accuracy"][-1] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["a", "b"])
def test_xor_reaches_100_percent_for_most_of_20_seeds(arch):
    solved = sum(train_xor(arch, s)["accuracy"][-1] == 1.0 for s in XOR_SEEDS)
    assert solved >= XOR_MIN_SOLVED[arch], f"architecture ({arch}): {solved} of 20 seeds reach 100%"


def test_parity_3_with_15_hidden_units_reaches_100_percent():
    x = np.array(list(itertools.product([-1.0, 1.0], repeat=3)))
    y = np.prod(x, axis=1, keepdims=True)  # the lab's target: the product of the inputs
    net = Network(seed=0).add(Dense(15, "tanh", input_dim=3)).add(Dense(1, "tanh"))
    hist = net.fit(x, y, epochs=3000, loss=losses.MSE(), opt=optimizers.BGD(lr=0.01, bs=None))
    assert hist["accuracy"][-1] == 1.0
