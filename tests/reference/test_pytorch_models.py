"""Tests of reference/pytorch_models.py against oracles that do not use its code.

- Forward passes against numpy: the convolutions against
  ``reference.layers.conv_forward_naive`` (itself tested against numeric
  gradients and torch), the affine layers and ReLU written out with numpy.
  All in float64; both sides compute the same sums in another order, so they
  agree to ``FWD_TOL`` = 1e-10 relative to the largest score (measured: ~1e-16).
- Gradients (which the module leaves to autograd) against centred numeric
  gradients of the module's own forward in float64, at ``GRAD_TOL`` = 1e-7 of
  the gradient's scale (the numeric gradient's error with h = 1e-5 is ~1e-10).
- The training loops against SGD simulated with numpy: softmax cross-entropy
  gradient (softmax - onehot) / N of a linear model, one update per
  minibatch, at 1e-10 relative to the weights' scale.
- Initializations by their statistics: the sample std within 5 standard
  errors (1 / sqrt(2 n) relative) of sqrt(2 / fan_in).
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; pytorch_models.py needs it")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402 - after importorskip

from reference import layers  # noqa: E402
from reference import pytorch_models as pm  # noqa: E402

pytestmark = pytest.mark.torch

FWD_TOL = 1e-10
GRAD_TOL = 1e-7


def scaled_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-12))


def t64(a):
    return torch.tensor(a, dtype=torch.float64)


def numeric_grad(f, x, h=1e-5):
    """Centred differences of the scalar f() with respect to the numpy array x (perturbed in place)."""
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        g[i] = (plus - minus) / (2 * h)
    return grad


def relu(a):
    return np.maximum(a, 0)


def numpy_convnet(x, conv_w1, conv_b1, conv_w2, conv_b2):
    """conv 5x5 pad 2, ReLU, conv 3x3 pad 1, ReLU, with the numpy layers; returns the flattened activations."""
    h, _ = layers.conv_forward_naive(x, conv_w1, conv_b1, {"stride": 1, "pad": 2})
    h, _ = layers.conv_forward_naive(relu(h), conv_w2, conv_b2, {"stride": 1, "pad": 1})
    return relu(h).reshape(x.shape[0], -1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- Part I ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 7), (1, 2, 1, 3, 2)])
def test_flatten_is_numpys_row_major_reshape(rng, shape):
    x = rng.standard_normal(shape)
    out = pm.flatten(t64(x)).numpy()
    assert np.array_equal(out, x.reshape(shape[0], -1))


def test_flatten_accepts_a_non_contiguous_tensor(rng):
    """Does flatten work on a transposed (non-contiguous) tensor, where .view would fail?"""
    x = rng.standard_normal((3, 4, 5, 2))
    t = t64(x).permute(0, 3, 1, 2)
    assert np.array_equal(pm.flatten(t).numpy(), np.transpose(x, (0, 3, 1, 2)).reshape(3, -1))


def test_two_layer_fc_matches_numpy_and_numeric_gradients(rng):
    x = rng.standard_normal((4, 3, 2, 2))
    w1, w2 = rng.standard_normal((12, 6)) / 3, rng.standard_normal((6, 5)) / 2
    dout = rng.standard_normal((4, 5))
    expected = relu(x.reshape(4, -1) @ w1) @ w2
    params = [t64(w1).requires_grad_(), t64(w2).requires_grad_()]
    scores = pm.two_layer_fc(t64(x), params)
    assert scaled_error(scores.detach().numpy(), expected) < FWD_TOL
    (scores * t64(dout)).sum().backward()
    for p, w in zip(params, (w1, w2), strict=True):
        num = numeric_grad(lambda: float(np.sum((relu(x.reshape(4, -1) @ w1) @ w2) * dout)), w)
        assert scaled_error(p.grad.numpy(), num) < GRAD_TOL


@pytest.mark.parametrize("n, c, c1, c2, k, hw", [(2, 3, 4, 3, 5, (8, 8)), (1, 2, 3, 2, 4, (5, 7))])
def test_three_layer_convnet_matches_the_numpy_conv_layers(rng, n, c, c1, c2, k, hw):
    x = rng.standard_normal((n, c, *hw))
    p = {
        "conv_w1": rng.standard_normal((c1, c, 5, 5)) / 5,
        "conv_b1": rng.standard_normal(c1) / 10,
        "conv_w2": rng.standard_normal((c2, c1, 3, 3)) / 4,
        "conv_b2": rng.standard_normal(c2) / 10,
        "fc_w": rng.standard_normal((c2 * hw[0] * hw[1], k)) / 8,
        "fc_b": rng.standard_normal(k) / 10,
    }
    order = ("conv_w1", "conv_b1", "conv_w2", "conv_b2", "fc_w", "fc_b")
    expected = numpy_convnet(x, *(p[k_] for k_ in order[:4])) @ p["fc_w"] + p["fc_b"]
    params = [t64(p[k_]).requires_grad_() for k_ in order]
    scores = pm.three_layer_convnet(t64(x), params)
    assert scaled_error(scores.detach().numpy(), expected) < FWD_TOL
    # Gradients of a few parameters against numeric gradients of the numpy forward.
    dout = rng.standard_normal(expected.shape)
    (scores * t64(dout)).sum().backward()

    def loss():
        return float(np.sum((numpy_convnet(x, *(p[k_] for k_ in order[:4])) @ p["fc_w"] + p["fc_b"]) * dout))

    for name in ("conv_b1", "conv_w2", "fc_b"):
        num = numeric_grad(loss, p[name])
        assert scaled_error(params[order.index(name)].grad.numpy(), num) < GRAD_TOL, name


@pytest.mark.parametrize(
    "shape, fan_in", [((600, 200), 600), ((200, 600), 200), ((32, 16, 3, 3), 144), ((64, 3, 5, 5), 75)]
)
def test_random_weight_is_kaiming_normal_with_cs231n_fan_in(shape, fan_in):
    torch.manual_seed(0)
    w = pm.random_weight(shape)
    assert tuple(w.shape) == shape and w.requires_grad and w.is_leaf and w.dtype == torch.float32
    values = w.detach().cpu().double().numpy()
    n, sigma = values.size, math.sqrt(2.0 / fan_in)
    assert abs(values.std() / sigma - 1) < 5 / math.sqrt(2 * n)
    assert abs(values.mean()) < 5 * sigma / math.sqrt(n)


def test_zero_weight():
    z = pm.zero_weight((3, 4))
    assert tuple(z.shape) == (3, 4) and z.requires_grad and z.is_leaf
    assert not z.detach().cpu().numpy().any()


def loader(X, y, batch):
    return DataLoader(TensorDataset(torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y)), batch_size=batch)


def numpy_sgd(X, y, w, lr, batch):
    """Plain SGD on softmax cross-entropy of the linear model scores = x w, one step per minibatch."""
    w = w.copy()
    for i in range(0, len(X), batch):
        xb, yb = X[i : i + batch].reshape(-1, w.shape[0]), y[i : i + batch]
        s = xb @ w
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        w -= lr * xb.T @ p / len(yb)
    return w


@pytest.fixture
def linear_data(rng):
    X = rng.standard_normal((12, 2, 2, 2)).astype(np.float32).astype(np.float64)
    y = rng.integers(0, 3, size=12)
    return X, y, rng.standard_normal((8, 3)) / 3


def test_train_part2_is_sgd_one_step_per_minibatch(linear_data):
    X, y, w0 = linear_data
    w = t64(w0).requires_grad_()

    def model_fn(x, params):
        return pm.flatten(x) @ params[0]

    history = pm.train_part2(model_fn, [w], 0.3, loader(X, y, 4), loader(X, y, 5), epochs=1, print_every=0)
    assert scaled_error(w.detach().numpy(), numpy_sgd(X, y, w0, 0.3, 4)) < 1e-10
    expected_acc = float(np.mean(np.argmax(X.reshape(12, -1) @ w.detach().numpy(), axis=1) == y))
    assert history == [pytest.approx(expected_acc)]
    assert pm.check_accuracy_part2(loader(X, y, 5), model_fn, [w]) == pytest.approx(expected_acc)


def test_train_is_sgd_one_step_per_minibatch_and_reports_each_epoch(linear_data):
    X, y, w0 = linear_data
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 3, bias=False)).double()
    with torch.no_grad():
        model[1].weight.copy_(t64(w0.T))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    history = pm.train(model, optimizer, loader(X, y, 4), loader(X, y, 5), epochs=2, print_every=0)
    w = numpy_sgd(X, y, numpy_sgd(X, y, w0, 0.3, 4), 0.3, 4)
    assert scaled_error(model[1].weight.detach().numpy().T, w) < 1e-10
    assert len(history) == 2 and all(0 <= a <= 1 for a in history)
    assert history[-1] == pytest.approx(float(np.mean(np.argmax(X.reshape(12, -1) @ w, axis=1) == y)))


def test_check_accuracy_evaluates_in_eval_mode_and_train_switches_back():
    """A dropout model that drops everything in training mode: is accuracy measured without dropout?"""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(p=1.0), torch.nn.Linear(2, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        model[2].bias.zero_()
    X = np.array([[[[3.0, 0.0]]], [[[0.0, 3.0]]]], dtype=np.float32)  # class = argmax of the two pixels
    y = np.array([0, 1])
    model.train()
    assert pm.check_accuracy(loader(X, y, 2), model) == 1.0  # with dropout on, the scores would all be 0
    assert not model.training
    modes = []
    model.register_forward_pre_hook(lambda m, args: modes.append(m.training))
    pm.train(
        model, torch.optim.SGD(model.parameters(), lr=0.0), loader(X, y, 1), loader(X, y, 2), epochs=2, print_every=0
    )
    # per epoch: two training steps in train mode, then one validation batch in eval mode
    assert modes == [True, True, False, True, True, False]


# -- Part II and III ---------------------------------------------------------------------


def load(model, arrays):
    with torch.no_grad():
        for p, a in zip(model.parameters(), arrays, strict=True):
            assert tuple(p.shape) == a.shape
            p.copy_(t64(a))
    return model


def test_modules_and_sequentials_match_numpy(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    w1, b1, w2, b2 = (
        rng.standard_normal((7, 48)) / 7,
        rng.standard_normal(7),
        rng.standard_normal((5, 7)) / 3,
        rng.standard_normal(5),
    )
    expected = relu(x.reshape(2, -1) @ w1.T + b1) @ w2.T + b2
    for model in (pm.TwoLayerFC(48, 7, 5), pm.sequential_two_layer_fc(48, 7, 5)):
        out = load(model.double(), (w1, b1, w2, b2))(t64(x)).detach().numpy()
        assert scaled_error(out, expected) < FWD_TOL

    x = rng.standard_normal((2, 3, 32, 32))
    conv = (
        rng.standard_normal((4, 3, 5, 5)) / 9,
        rng.standard_normal(4) / 10,
        rng.standard_normal((2, 4, 3, 3)) / 6,
        rng.standard_normal(2) / 10,
    )
    fc_w, fc_b = rng.standard_normal((6, 2 * 32 * 32)) / 45, rng.standard_normal(6) / 10
    expected = numpy_convnet(x, *conv) @ fc_w.T + fc_b
    for model in (pm.ThreeLayerConvNet(3, 4, 2, 6), pm.sequential_three_layer_convnet(3, 4, 2, 6)):
        out = load(model.double(), (*conv, fc_w, fc_b))(t64(x)).detach().numpy()
        assert scaled_error(out, expected) < FWD_TOL


def test_module_weights_are_kaiming_normal_fan_in():
    torch.manual_seed(0)
    for model in (pm.TwoLayerFC(900, 300, 10), pm.ThreeLayerConvNet(3, 16, 8, 10)):
        for p in model.parameters():
            if p.dim() < 2:
                continue
            values = p.detach().double().numpy()
            fan_in = int(np.prod(values.shape[1:]))
            assert abs(values.std() / math.sqrt(2 / fan_in) - 1) < 5 / math.sqrt(2 * values.size), values.shape


def test_open_model_builds_a_trainable_cifar_model():
    model, optimizer = pm.make_open_model()
    x = torch.randn(4, 3, 32, 32)
    assert tuple(model(x).shape) == (4, 10)
    covered = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert covered == {id(p) for p in model.parameters()}
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_importing_without_torch_names_the_install_command(tmp_path):
    """With a torch that cannot be imported first on the path, is the ImportError one clear line?"""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
    )
    root = os.path.dirname(os.path.dirname(pm.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), root]))
    done = subprocess.run(
        [sys.executable, "-c", "import reference.pytorch_models"], check=False, capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        'ImportError: pytorch_models.py needs PyTorch, which is not installed: pip install -e ".[torch]" '
        "(the CPU build is enough), then restart Python"
    )
