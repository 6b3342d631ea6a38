"""Do the diagnoses of Q1 and Q3 fire on their bugs, and do hidden cases score the reference full marks?

Each catalogued wrong answer is exercised by a buggy implementation written
here (not by its own producer): the check runs it in-process on the public
case and on a few hidden cases, and the diagnosis must be the catalogued
message wherever the bug is visible. The property comparators (dropout mask
statistics, initial weights, training accuracy) are exercised directly.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from grader import fixtures
from grader.checks import registry
from grader.checks.base import Case, Impl
from grader.diagnose import diagnose
from grader.wrong_answers import WRONG_ANSWERS

REFERENCE = Impl("reference")
QUESTIONS = ("q1", "q3")
CHECKS = [c for q in QUESTIONS for c in registry.for_question(q)]
HIDDEN_SALTS = ("secret-a", "secret-b", "secret-c", "secret-d")


class FakeImpl:
    """The reference's modules with some functions replaced (``layers={'relu_backward': f}``)."""

    def __init__(self, **overrides: dict):
        for name in ("layers", "optim", "fc_net", "solver"):
            module = getattr(REFERENCE, name)
            setattr(self, name, types.SimpleNamespace(**{**vars(module), **overrides.get(name, {})}))


def outcome(check_id: str, impl, salt: str = "public", hidden: bool = False):
    """(passed, diagnosis, detail) of ``impl`` on one case, scored against the reference."""
    c = registry.get(check_id)
    case = fixtures.case_for(c, salt, hidden)
    fx = fixtures.compute(c, case, REFERENCE)
    got = {k: np.asarray(v) for k, v in c.run(impl, case).items()}
    m = c.compare(got, fx.expected, case, c.tolerance)
    hint = None if m.passed else diagnose(got, fx.expected, fx.wrong, fx.messages, c.tolerance, dict(case.arrays))
    return m.passed, hint, m.detail


# ---------------------------------------------------------------------------
# Buggy implementations, one per catalogued wrong answer
# ---------------------------------------------------------------------------


def _softmax(x, y, shift=True, average_loss=True, average_dx=True, minus_one=True):
    n = x.shape[0]
    z = x - x.max(axis=1, keepdims=True) if shift else x
    with np.errstate(all="ignore"):
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).sum()
    dx = probs.copy()
    if minus_one:
        dx[np.arange(n), y] -= 1
    return (loss / n if average_loss else loss), (dx / n if average_dx else dx)


def _svm(x, y, average_loss=True, average_dx=True, skip_correct=True, delta=1.0):
    n, c = x.shape
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(n):
        for j in range(c):
            if skip_correct and j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + delta
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return (loss / n if average_loss else loss), (dx / n if average_dx else dx)


def _affine_bias_twice(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + 2 * b, (x, w, b)


def _affine_db_mean(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.mean(axis=0)


def _momentum(store=True, sign=-1, step=1):
    def sgd_momentum(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        v = config.get("velocity", np.zeros_like(w))
        new_v = config["momentum"] * v + sign * config["learning_rate"] * dw
        # sign=+1 stores the velocity with the flipped convention; step=-1 walks against it
        next_w = w + step * (new_v if sign < 0 else -new_v)
        config["velocity"] = new_v if store else v
        return next_w, config

    return sgd_momentum


def _rmsprop(eps_inside=False, store=True):
    def rmsprop(w, dw, config=None):
        config = {} if config is None else config
        for k, d in (("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
            config.setdefault(k, d)
        old = config.get("cache", np.zeros_like(w))
        cache = config["decay_rate"] * old + (1 - config["decay_rate"]) * dw**2
        if eps_inside:
            next_w = w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])
        else:
            next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
        config["cache"] = cache if store else old
        return next_w, config

    return rmsprop


def _adam(correct=True, t_after=False, store=True):
    def adam(w, dw, config=None):
        config = {} if config is None else config
        for k, d in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
            config.setdefault(k, d)
        config.setdefault("m", np.zeros_like(w))
        config.setdefault("v", np.zeros_like(w))
        config.setdefault("t", 0)
        b1, b2 = config["beta1"], config["beta2"]
        t = config["t"] if t_after else config["t"] + 1
        m = b1 * config["m"] + (1 - b1) * dw
        v = b2 * config["v"] + (1 - b2) * dw**2
        with np.errstate(all="ignore"):
            mt, vt = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
            next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
        if store:
            config["t"], config["m"], config["v"] = config["t"] + 1, m, v
        return next_w, config

    return adam


def _models(bug: str) -> dict:
    """TwoLayerNet and FullyConnectedNet subclasses whose training loss / gradients carry ``bug``."""
    ref = REFERENCE.fc_net

    def wrap(cls):
        class Buggy(cls):
            def loss(self, X, y=None):
                result = super().loss(X, y)
                if y is None:
                    return result
                loss, grads = result
                weights = {k: v for k, v in self.params.items() if k.startswith("W")}
                biases = {k: v for k, v in self.params.items() if k.startswith("b")}
                if bug == "no_half":  # reg * sum(W**2), gradient 2 * reg * W
                    loss += 0.5 * self.reg * sum(np.sum(w * w) for w in weights.values())
                    grads = {k: g + self.reg * self.params[k] if k in weights else g for k, g in grads.items()}
                elif bug == "biases":
                    loss += 0.5 * self.reg * sum(np.sum(b * b) for b in biases.values())
                    grads = {k: g + self.reg * self.params[k] if k in biases else g for k, g in grads.items()}
                elif bug == "no_reg_grad":
                    grads = {k: g - self.reg * self.params[k] if k in weights else g for k, g in grads.items()}
                return loss, grads

        return Buggy

    return {"TwoLayerNet": wrap(ref.TwoLayerNet), "FullyConnectedNet": wrap(ref.FullyConnectedNet)}


def _dropout_forward(test_factor=None, cache_unscaled=False):
    def dropout_forward(x, dropout_param):
        p, mode = dropout_param["p"], dropout_param["mode"]
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        if mode == "train":
            keep = np.random.rand(*x.shape) < p
            return x * keep / p, (dropout_param, keep if cache_unscaled else keep / p)
        out = x if test_factor is None else (x * p if test_factor == "times" else x / p)
        return out, (dropout_param, None)

    return dropout_forward


def _dropout_backward(use_mask=True):
    def dropout_backward(dout, cache):
        dropout_param, mask = cache
        if dropout_param["mode"] == "train" and use_mask:
            return dout * mask
        return dout

    return dropout_backward


LAYERS, OPTIM, FC = "layers", "optim", "fc_net"

#: wrong answer -> (check id, the buggy implementation)
BUGS = {
    "affine_no_reshape_bias_twice": ("affine_forward", {LAYERS: {"affine_forward": _affine_bias_twice}}),
    "affine_db_mean": ("affine_backward", {LAYERS: {"affine_backward": _affine_db_mean}}),
    "relu_backward_precedence": ("relu_backward", {LAYERS: {"relu_backward": lambda dout, x: dout * x > 0}}),
    "relu_backward_no_dout": ("relu_backward", {LAYERS: {"relu_backward": lambda dout, x: (x > 0).astype(float)}}),
    "softmax_loss_summed": (
        "softmax_loss",
        {LAYERS: {"softmax_loss": lambda x, y: _softmax(x, y, average_loss=False, average_dx=False)}},
    ),
    "softmax_dx_not_averaged": (
        "softmax_loss",
        {LAYERS: {"softmax_loss": lambda x, y: _softmax(x, y, average_dx=False)}},
    ),
    "softmax_dx_no_minus_one": (
        "softmax_loss",
        {LAYERS: {"softmax_loss": lambda x, y: _softmax(x, y, minus_one=False)}},
    ),
    "svm_loss_summed": (
        "svm_loss",
        {LAYERS: {"svm_loss": lambda x, y: _svm(x, y, average_loss=False, average_dx=False)}},
    ),
    "svm_dx_not_averaged": ("svm_loss", {LAYERS: {"svm_loss": lambda x, y: _svm(x, y, average_dx=False)}}),
    "svm_counts_correct_class": ("svm_loss", {LAYERS: {"svm_loss": lambda x, y: _svm(x, y, skip_correct=False)}}),
    "svm_no_margin": ("svm_loss", {LAYERS: {"svm_loss": lambda x, y: _svm(x, y, delta=0.0)}}),
    "reg_without_half": ("two_layer_net_loss_reg", {FC: _models("no_half")}),
    "reg_on_biases": ("fc_net_loss_reg", {FC: _models("biases")}),
    "reg_gradient_missing": ("fc_net_loss_reg", {FC: _models("no_reg_grad")}),
    "momentum_velocity_not_stored": ("sgd_momentum", {OPTIM: {"sgd_momentum": _momentum(store=False)}}),
    "momentum_sign_convention": ("sgd_momentum", {OPTIM: {"sgd_momentum": _momentum(sign=+1)}}),
    "momentum_step_sign": ("sgd_momentum", {OPTIM: {"sgd_momentum": _momentum(step=-1)}}),
    "rmsprop_epsilon_inside_sqrt": ("rmsprop", {OPTIM: {"rmsprop": _rmsprop(eps_inside=True)}}),
    "rmsprop_cache_not_stored": ("rmsprop", {OPTIM: {"rmsprop": _rmsprop(store=False)}}),
    "adam_no_bias_correction": ("adam", {OPTIM: {"adam": _adam(correct=False)}}),
    "adam_t_incremented_after_use": ("adam", {OPTIM: {"adam": _adam(t_after=True)}}),
    "adam_state_not_stored": ("adam", {OPTIM: {"adam": _adam(store=False)}}),
    "dropout_test_mode_scaled": (
        "dropout_forward_test",
        {LAYERS: {"dropout_forward": _dropout_forward(test_factor="times")}},
    ),
    "dropout_test_mode_divided": (
        "dropout_forward_test",
        {LAYERS: {"dropout_forward": _dropout_forward(test_factor="over")}},
    ),
    "dropout_backward_ignores_mask": (
        "dropout_backward",
        {LAYERS: {"dropout_backward": _dropout_backward(use_mask=False)}},
    ),
    "dropout_backward_not_scaled": (
        "dropout_backward",
        {LAYERS: {"dropout_forward": _dropout_forward(cache_unscaled=True), "dropout_backward": _dropout_backward()}},
    ),
}


def test_every_catalogued_wrong_answer_of_q1_q3_has_a_bug_here():
    attached = {w for c in CHECKS for w in c.wrong_answers}
    assert attached == set(BUGS)
    assert all(name in WRONG_ANSWERS for name in attached)


@pytest.mark.parametrize("name", sorted(BUGS))
def test_the_diagnosis_names_the_bug(name):
    """Does the bug fail its check on the public case with its catalogued message, and wherever it shows on hidden
    cases?
    """
    check_id, overrides = BUGS[name]
    assert name in registry.get(check_id).wrong_answers
    message = WRONG_ANSWERS[name].message
    impl = FakeImpl(**overrides)
    passed, hint, detail = outcome(check_id, impl)
    assert not passed, f"{name} passes the public case of {check_id}"
    assert hint == message, (hint, detail)
    for salt in HIDDEN_SALTS:
        passed, hint, detail = outcome(check_id, impl, salt, hidden=True)
        if not passed:
            assert hint == message, (salt, hint, detail)


def _log_sum_exp_unshifted(x, y):
    n = x.shape[0]
    with np.errstate(all="ignore"):
        lse = np.log(np.exp(x).sum(axis=1))
        dx = np.exp(x - lse[:, None])
        dx[np.arange(n), y] -= 1
        return (lse - x[np.arange(n), y]).mean(), dx / n


@pytest.mark.parametrize("softmax", [lambda x, y: _softmax(x, y, shift=False), _log_sum_exp_unshifted])
def test_softmax_without_the_max_shift_is_told_to_shift(softmax):
    """Whatever the formulation, does an unshifted softmax fail the stability check with the hint to shift by the
    max?
    """
    impl = FakeImpl(layers={"softmax_loss": softmax})
    for salt, hidden in [("public", False), *[(s, True) for s in HIDDEN_SALTS]]:
        passed, hint, _ = outcome("softmax_loss_stability", impl, salt, hidden)
        assert not passed and "shift by the max" in hint
    assert outcome("softmax_loss", impl)[0]  # moderate scores: no overflow, full marks


# ---------------------------------------------------------------------------
# Hidden cases against the reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("c", CHECKS, ids=[c.id for c in CHECKS])
def test_hidden_cases_give_the_reference_full_marks(c):
    """Does the reference pass every hidden case drawn from a few secret seeds?"""
    for salt in HIDDEN_SALTS:
        passed, _, detail = outcome(c.id, REFERENCE, salt, hidden=True)
        assert passed, (salt, detail)


# ---------------------------------------------------------------------------
# Property comparators
# ---------------------------------------------------------------------------


def _dropout_outputs(case: Case, draw) -> dict:
    rng = np.random.default_rng(0)
    return {f"out{i}": case["x"] * draw(rng, case["x"].shape, p) for i, p in enumerate(case["p"])}


@pytest.mark.parametrize("salt,hidden", [("public", False), ("secret-a", True), ("secret-b", True)])
def test_dropout_forward_train_judges_the_mask_by_its_statistics(salt, hidden):
    """Is any Bernoulli(p) mask scaled by 1/p accepted, and are the usual bugs rejected with their explanation?"""
    c = registry.get("dropout_forward_train")
    case = fixtures.case_for(c, salt, hidden)
    expected = c.run(REFERENCE, case)

    def score(draw):
        return c.compare(_dropout_outputs(case, draw), expected, case, c.tolerance)

    assert c.compare(expected, expected, case, c.tolerance).passed
    assert score(lambda rng, s, p: rng.binomial(1, p, size=s) / p).passed
    assert score(lambda rng, s, p: (rng.random(s) > 1 - p) / p).passed
    unscaled = score(lambda rng, s, p: rng.random(s) < p)
    assert not unscaled.passed and "1 / p" in unscaled.detail
    swapped = score(lambda rng, s, p: (rng.random(s) >= p) / p)
    assert not swapped.passed and "KEEPING" in swapped.detail
    identity = score(lambda rng, s, p: np.ones(s))
    assert not identity.passed and "keeps every unit" in identity.detail
    biased = score(lambda rng, s, p: (rng.random(s) < 0.9 * p) / p)  # keeps too few units
    assert not biased.passed and biased.error > c.tolerance


def test_dropout_backward_follows_the_forwards_own_mask():
    """Is dx checked against the mask the submission's forward applied, whatever mask that is?"""
    c = registry.get("dropout_backward")
    case = fixtures.case_for(c)
    expected = c.run(REFERENCE, case)
    x, dout, p = case["x"], case["dout"], case["p"]
    other = (np.random.default_rng(1).random(x.shape) < p) / p
    good = {"out": x * other, "dx": dout * other, "dx_test": dout.copy()}
    assert c.compare(good, expected, case, c.tolerance).passed
    stale = dict(good, dx=expected["dx"])  # the reference's mask, not the one applied
    assert not c.compare(stale, expected, case, c.tolerance).passed
    test_mode = dict(good, dx_test=2 * dout)
    assert not c.compare(test_mode, expected, case, c.tolerance).passed


def test_fc_net_dropout_rejects_a_model_that_never_drops():
    """Is a self-consistent model that ignores dropout in train mode caught?"""

    class NoDropout(REFERENCE.fc_net.FullyConnectedNet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.use_dropout = False

    passed, _, detail = outcome("fc_net_dropout", FakeImpl(fc_net={"FullyConnectedNet": NoDropout}))
    assert not passed and "not applied in train mode" in detail


def test_two_layer_init_accepts_other_valid_draws_and_rejects_wrong_ones():
    c = registry.get("two_layer_net_init")
    case = fixtures.case_for(c)
    expected = c.run(REFERENCE, case)
    ws = case["weight_scale"]
    rng = np.random.default_rng(3)

    def params(draw):
        return {k: (draw(v.shape) if k.startswith("W") else np.zeros_like(v)) for k, v in expected.items()}

    assert c.compare(params(lambda s: ws * rng.standard_normal(s)), expected, case, c.tolerance).passed
    for wrong in (
        lambda s: rng.standard_normal(s),
        lambda s: ws * rng.random(s),
        lambda s: 2 * ws * rng.standard_normal(s),
    ):
        m = c.compare(params(wrong), expected, case, c.tolerance)
        assert not m.passed and "weight_scale" in m.detail
    biased = dict(expected, b1=np.ones_like(expected["b1"]))
    assert "not all zeros" in c.compare(biased, expected, case, c.tolerance).detail
    missing = {k: v for k, v in expected.items() if k != "W2"}
    assert "missing" in c.compare(missing, expected, case, c.tolerance).detail


def test_solver_accuracy_is_recomputed_from_the_returned_parameters():
    """Is the training accuracy measured here from the parameters, so that nothing else returned counts?"""
    c = registry.get("solver_overfit")
    case = fixtures.case_for(c)
    expected = c.run(REFERENCE, case)
    good = c.compare(expected, expected, case, c.tolerance)
    assert good.passed and good.error >= c.tolerance
    untrained = {k: np.zeros_like(v) for k, v in expected.items()}
    untrained["train_acc"] = np.asarray(1.0)
    m = c.compare(untrained, expected, case, c.tolerance)
    assert not m.passed and m.error < c.tolerance and "training accuracy" in m.detail


def test_a_scalar_off_by_an_arbitrary_factor_gets_no_constant_factor_hint():
    """A single number always has "a constant factor" to any other: only a named factor is a hint."""
    x = np.zeros((5, 4))
    assert diagnose({"loss": np.asarray(1.3)}, {"loss": np.asarray(1.0)}, {}, {}, 1e-8, {"x": x}) is None
    hint = diagnose({"loss": np.asarray(5.0)}, {"loss": np.asarray(1.0)}, {}, {}, 1e-8, {"x": x})
    assert hint and "a sum where a mean is expected" in hint


def test_right_values_in_another_dtype_get_no_constant_factor_1_hint():
    """dW1 right but float64 in a float32 model (real 2020 work): the diagnosis said "off by a constant factor 1".
    Is no factor named when the ratio is 1, so that the dtype note is the message?"""
    g = np.arange(1.0, 13.0).reshape(3, 4)
    assert diagnose({"dW1": g}, {"dW1": g.astype(np.float32)}, {}, {}, 1e-5, {"x": np.zeros((3, 4))}) is None
    hint = diagnose({"dW1": 3 * g}, {"dW1": g}, {}, {}, 1e-5, {"x": np.zeros((5, 4))})
    assert hint and "constant factor 3" in hint
