"""Tests of reference/optim.py with numpy only.

The comparisons with torch.optim live in test_optim_torch.py.

Tolerances:
- The cs231n notebook's expected arrays are printed with 8 decimals, so a
  correct update differs from them by at most half a unit in the 8th decimal,
  5e-9 (measured: at most 4.85e-9); ``PUBLISHED_ATOL`` adds float slack.
- Against the straight-line implementations written in this file the same
  float64 operations run in a possibly different order, so results agree to
  a few ulps; ``STEP_RTOL`` = 1e-12 leaves room for that over several steps.
"""

import numpy as np
import pytest

from reference import optim
from reference.optim import adam, rmsprop, sgd, sgd_momentum

#: Half a unit in the 8th decimal of the published arrays, plus float slack.
PUBLISHED_ATOL = 5e-9 + 1e-12
#: Relative tolerance against the independent implementations (a few ulps).
STEP_RTOL = 1e-12

N, D = 4, 5


def notebook_inputs():
    """The w, dw and state the cs231n notebook feeds to each rule."""
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return w, dw


# ---------------------------------------------------------------------------
# Published numbers (the cs231n FullyConnectedNets notebook)
# ---------------------------------------------------------------------------


def test_sgd_momentum_matches_the_published_arrays():
    """Does sgd_momentum reproduce the notebook's next_w and velocity?"""
    w, dw = notebook_inputs()
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    next_w, config = sgd_momentum(w, dw, config={"learning_rate": 1e-3, "velocity": v})
    expected_next_w = np.asarray(
        [
            [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
            [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
            [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
            [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096],
        ]
    )
    expected_velocity = np.asarray(
        [
            [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
            [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
            [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
            [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096],
        ]
    )
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=PUBLISHED_ATOL)
    np.testing.assert_allclose(config["velocity"], expected_velocity, rtol=0, atol=PUBLISHED_ATOL)


def test_rmsprop_matches_the_published_arrays():
    """Does rmsprop reproduce the notebook's next_w and cache?"""
    w, dw = notebook_inputs()
    cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    next_w, config = rmsprop(w, dw, config={"learning_rate": 1e-2, "cache": cache})
    expected_next_w = np.asarray(
        [
            [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
            [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
            [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
            [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619],
        ]
    )
    expected_cache = np.asarray(
        [
            [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
            [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
            [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
            [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926],
        ]
    )
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=PUBLISHED_ATOL)
    np.testing.assert_allclose(config["cache"], expected_cache, rtol=0, atol=PUBLISHED_ATOL)


def test_adam_matches_the_published_arrays():
    """Does adam reproduce the notebook's next_w, m and v (from t = 5)?"""
    w, dw = notebook_inputs()
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    next_w, config = adam(w, dw, config={"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
    expected_next_w = np.asarray(
        [
            [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
            [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
            [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
            [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459],
        ]
    )
    expected_v = np.asarray(
        [
            [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
            [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
            [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
            [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966],
        ]
    )
    expected_m = np.asarray(
        [
            [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
            [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
            [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
            [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85],
        ]
    )
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=PUBLISHED_ATOL)
    np.testing.assert_allclose(config["v"], expected_v, rtol=0, atol=PUBLISHED_ATOL)
    np.testing.assert_allclose(config["m"], expected_m, rtol=0, atol=PUBLISHED_ATOL)
    assert config["t"] == 6


# ---------------------------------------------------------------------------
# Against straight-line implementations, over several steps
# ---------------------------------------------------------------------------


def run_rule(rule, w, grads, config):
    """Apply ``rule`` once per gradient, threading the config; return all iterates."""
    iterates = []
    for g in grads:
        w, config = rule(w, g, config)
        iterates.append(np.array(w, copy=True))
    return iterates, config


@pytest.fixture
def trajectory():
    """A starting point and a sequence of 6 gradients of mixed sign and scale."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) * 10.0 ** rng.integers(-3, 2) for _ in range(6)]
    return w0, grads


def test_sgd_is_w_minus_lr_dw(trajectory):
    """Is each sgd step exactly w - learning_rate * dw?"""
    w0, grads = trajectory
    lr = 0.05
    got, config = run_rule(sgd, w0.copy(), grads, {"learning_rate": lr})
    w = w0.copy()
    for g, w_got in zip(grads, got, strict=True):
        w = w - lr * g
        np.testing.assert_allclose(w_got, w, rtol=STEP_RTOL)
    assert config == {"learning_rate": lr}


def test_sgd_momentum_follows_its_recurrence(trajectory):
    """Does sgd_momentum follow v = mu*v - lr*dw, w = w + v from a zero velocity?"""
    w0, grads = trajectory
    lr, mu = 0.03, 0.8
    got, config = run_rule(sgd_momentum, w0.copy(), grads, {"learning_rate": lr, "momentum": mu})
    w, v = w0.copy(), np.zeros_like(w0)
    for g, w_got in zip(grads, got, strict=True):
        v = mu * v - lr * g
        w = w + v
        np.testing.assert_allclose(w_got, w, rtol=STEP_RTOL)
    np.testing.assert_allclose(config["velocity"], v, rtol=STEP_RTOL)


def test_sgd_momentum_without_momentum_is_sgd(trajectory):
    """Does momentum = 0 reduce sgd_momentum to sgd?"""
    w0, grads = trajectory
    got_m, _ = run_rule(sgd_momentum, w0.copy(), grads, {"learning_rate": 0.1, "momentum": 0.0})
    got_s, _ = run_rule(sgd, w0.copy(), grads, {"learning_rate": 0.1})
    for a, b in zip(got_m, got_s, strict=True):
        np.testing.assert_allclose(a, b, rtol=STEP_RTOL)


def test_rmsprop_follows_its_recurrence(trajectory):
    """Does rmsprop follow cache = d*cache + (1-d)*dw**2, w -= lr*dw/(sqrt(cache)+eps)?"""
    w0, grads = trajectory
    lr, decay, eps = 0.01, 0.9, 1e-6
    got, config = run_rule(rmsprop, w0.copy(), grads, {"learning_rate": lr, "decay_rate": decay, "epsilon": eps})
    w, cache = w0.copy(), np.zeros_like(w0)
    for g, w_got in zip(grads, got, strict=True):
        cache = decay * cache + (1 - decay) * g**2
        w = w - lr * g / (np.sqrt(cache) + eps)
        np.testing.assert_allclose(w_got, w, rtol=STEP_RTOL)
    np.testing.assert_allclose(config["cache"], cache, rtol=STEP_RTOL)


def test_adam_follows_its_recurrence(trajectory):
    """Does adam follow the bias-corrected recurrences with t counted from 1?"""
    w0, grads = trajectory
    lr, b1, b2, eps = 0.02, 0.8, 0.95, 1e-6
    got, config = run_rule(adam, w0.copy(), grads, {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps})
    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, (g, w_got) in enumerate(zip(grads, got, strict=True), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(w_got, w, rtol=STEP_RTOL)
    assert config["t"] == len(grads)
    np.testing.assert_allclose(config["m"], m, rtol=STEP_RTOL)
    np.testing.assert_allclose(config["v"], v, rtol=STEP_RTOL)


# ---------------------------------------------------------------------------
# Defaults, the step counter, state per parameter
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, defaults",
    [
        (sgd, {"learning_rate": 1e-2}),
        (sgd_momentum, {"learning_rate": 1e-2, "momentum": 0.9}),
        (rmsprop, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}),
        (adam, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 1}),
    ],
    ids=["sgd", "sgd_momentum", "rmsprop", "adam"],
)
def test_config_none_gets_the_cs231n_defaults(rule, defaults):
    """Does config=None give a fresh dict holding the cs231n default hyperparameters?"""
    w = np.ones(3)
    _, config = rule(w, np.full(3, 0.5), None)
    for key, value in defaults.items():
        assert config[key] == value, key


def test_caller_values_win_over_defaults():
    """Are the hyperparameters the caller passes kept (setdefault, not overwrite)?"""
    _, config = adam(np.zeros(2), np.ones(2), {"learning_rate": 0.5, "beta1": 0.5})
    assert config["learning_rate"] == 0.5 and config["beta1"] == 0.5 and config["beta2"] == 0.999


def test_adam_increments_t_before_using_it():
    """Does the first Adam step (t = 1) move every weight by about the learning rate?

    With t incremented first, both bias corrections undo the (1 - beta)
    factors exactly: mt = dw and vt = dw**2, so the step is
    lr * dw / (|dw| + eps) = lr * sign(dw) up to a relative eps / |dw| <= 1e-7
    (rtol 1e-6).
    Using t = 0 would divide by zero; bias-correcting with t = 2 would give
    steps of about lr * 0.1 / 0.045**0.5 = 0.47 * lr instead.
    """
    lr = 1e-3
    w = np.array([1.0, -2.0, 0.5, 3.0])
    dw = np.array([0.1, -5.0, 300.0, -0.2])
    next_w, config = adam(w.copy(), dw, {"learning_rate": lr})
    assert config["t"] == 1
    np.testing.assert_allclose(w - next_w, lr * np.sign(dw), rtol=1e-6)


def test_rules_do_not_share_state_between_parameters():
    """Does each parameter keep its own state when two are updated in turn?"""
    for rule, key in [(sgd_momentum, "velocity"), (rmsprop, "cache"), (adam, "m")]:
        wa, wb = np.zeros(3), np.zeros(3)
        config_a, config_b = None, None
        for _ in range(3):
            wa, config_a = rule(wa, np.ones(3), config_a)
            wb, config_b = rule(wb, -np.ones(3), config_b)
        assert config_a is not config_b
        assert config_a[key] is not config_b[key]
        # opposite gradients from the same start: mirror-image trajectories
        np.testing.assert_allclose(wa, -wb, rtol=STEP_RTOL)
        # each parameter's state equals that of a run with that parameter alone
        w_alone, config_alone = np.zeros(3), None
        for _ in range(3):
            w_alone, config_alone = rule(w_alone, np.ones(3), config_alone)
        np.testing.assert_allclose(config_a[key], config_alone[key], rtol=STEP_RTOL)


def test_rules_keep_shape_and_float32_dtype():
    """Do the rules return arrays of w's shape, and keep float32 weights float32?"""
    w = np.ones((2, 3), dtype=np.float32)
    dw = np.full((2, 3), 0.1, dtype=np.float32)
    for rule in (sgd_momentum, rmsprop, adam):
        next_w, _ = rule(w.copy(), dw, None)
        assert next_w.shape == (2, 3)
        assert next_w.dtype == np.float32, rule.__name__


def test_every_rule_satisfies_the_update_rule_protocol():
    """Are the four rules listed in __all__ and callable as UpdateRule(w, dw, config)?"""
    assert {"sgd", "sgd_momentum", "rmsprop", "adam", "UpdateRule"} <= set(optim.__all__)
    for name in ("sgd", "sgd_momentum", "rmsprop", "adam"):
        rule: optim.UpdateRule = getattr(optim, name)
        out = rule(np.zeros(2), np.ones(2))
        assert isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)
