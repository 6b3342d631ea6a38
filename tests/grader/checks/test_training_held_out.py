"""Training checks judged on the trusted side (issue 11, breach 6): weights, not claims, on rows never sent.

``solver_overfit`` and ``convnet_overfit`` return the trained parameters; the
trusted side computes the accuracies itself, on the training rows and on a
held-out split (``Case.held``) that is never written for the untrusted side.
``fc_net_dropout`` uses no value the sandbox computes for the grader: the
masks are read from the outputs of the submission's ``dropout_forward`` and
the loss and gradients of the network with those masks are recomputed here.
"""

from __future__ import annotations

import io
import types
from pathlib import Path

import numpy as np
import pytest

from grader import fixtures
from grader.checks import cases as cases_mod
from grader.checks import registry
from grader.checks.base import Case, Impl
from grader.checks.q1 import SOLVER_HELD_ACCURACY, fc_scores
from grader.checks.q3 import dropout_net_loss
from grader.checks.q4 import convnet_scores
from grader.compare import numeric_gradient, rel_error
from grader.grading.hidden import HiddenFixtures
from grader.runner import _write_job
from grader.session import Task

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Impl("reference")
TRAINING = ("solver_overfit", "convnet_overfit")
#: hidden draws per sweep: the reference must pass every one (the held-out thresholds leave a margin of
#: 0.085 and 0.13 over the worst of 500 and 60 measured draws: see the constants in q1.py and q4.py)
DRAWS = 12


def _hidden(check_id: str, i: int) -> Case:
    return fixtures.case_for(registry.get(check_id), salt=f"held-out-{i}", hidden=cases_mod.Draw(1))


@pytest.mark.parametrize("check_id", TRAINING)
def test_the_held_out_rows_never_reach_the_untrusted_side(check_id, tmp_path):
    """Are the held-out rows absent from the inputs written for the worker and from the batch's payload?"""
    case = fixtures.case_for(registry.get(check_id))
    assert set(case.held) == {"X_held", "y_held"} and not set(case.held) & set(case.arrays)
    _write_job(tmp_path, "student", [], [Task(check_id, case, 10.0)])
    with np.load(tmp_path / "in" / f"{check_id}.npz") as written:
        assert set(written.files) == set(case.arrays)
        sent = np.concatenate([written[k].ravel() for k in written.files if k.startswith("X")])
    assert not np.isin(case.held["X_held"].ravel(), sent).any()
    hidden = HiddenFixtures("held-out-secret", ROOT)
    with np.load(io.BytesIO(hidden.payload(check_id, 2)), allow_pickle=False) as payload:
        assert payload.files and not [k for k in payload.files if "held" in k]
    assert all(set(f.case.held) == {"X_held", "y_held"} for f in hidden.draws(check_id, 2))


def test_the_public_fixture_keeps_the_held_out_rows_for_check():
    """``check`` judges on the public case from the committed fixtures: do they hold the held-out rows?"""
    stored = fixtures.load()
    for check_id in TRAINING:
        fresh = fixtures.case_for(registry.get(check_id))
        assert np.array_equal(stored[check_id].case.held["X_held"], fresh.held["X_held"])


@pytest.mark.parametrize("check_id", TRAINING)
def test_the_reference_passes_every_hidden_draw(check_id):
    check = registry.get(check_id)
    for i in range(DRAWS):
        case = _hidden(check_id, i)
        got = check.run(REFERENCE, case)
        m = check.compare(got, got, case, check.tolerance)
        assert m.passed, f"draw {i}: {m.detail}"


class Memoriser:
    """A fake FullyConnectedNet: the first rows it is fed become a lookup table in its weights (no learning).

    Hidden unit i of the first layer fires only on training row i (its unit
    vector, thresholded halfway to the nearest other row); the last layer maps
    unit i to row i's label. It fits the rows it saw (training accuracy at
    least the required 0.9, as the red team's did) and learns nothing else.
    """

    def __init__(self, hidden_dims, input_dim, num_classes, **_):
        self.C = num_classes
        self.params = {
            "W1": np.zeros((input_dim, 1)),
            "b1": np.zeros(1),
            "W2": np.zeros((1, 1)),
            "b2": np.zeros(1),
            "W3": np.zeros((1, num_classes)),
            "b3": np.zeros(num_classes),
        }
        self.rows: dict[bytes, tuple[np.ndarray, int]] = {}

    def loss(self, X, y=None):
        if y is not None:
            for x, label in zip(X, y, strict=True):
                self.rows[x.tobytes()] = (x, int(label))
            xs = np.array([r[0] for r in self.rows.values()])
            labels = np.array([r[1] for r in self.rows.values()])
            w1 = (xs / np.linalg.norm(xs, axis=1, keepdims=True)).T
            sims = xs @ w1
            others = np.where(np.eye(len(xs), dtype=bool), -np.inf, sims).max(axis=0)
            n = len(xs)
            w3 = np.zeros((n, self.C))
            w3[np.arange(n), labels] = 1.0
            self.params = {
                "W1": w1,
                "b1": -(np.diag(sims) + others) / 2,
                "W2": np.eye(n),
                "b2": np.zeros(n),
                "W3": w3,
                "b3": np.zeros(self.C),
            }
            return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}
        return fc_scores(self.params, X)


def test_weights_that_memorise_the_training_rows_fail_solver_overfit():
    """The red team's fake FullyConnectedNet memorised the rows the Solver fed it and took the points: does it
    now fail on the held-out rows, under every draw, though it fits the training rows?"""
    check = registry.get("solver_overfit")
    impl = types.SimpleNamespace(fc_net=types.SimpleNamespace(FullyConnectedNet=Memoriser), solver=REFERENCE.solver)
    for i in range(DRAWS):
        case = _hidden("solver_overfit", i)
        got = check.run(impl, case)
        assert np.mean(np.argmax(fc_scores(got, case["X"]), axis=1) == case["y"]) >= check.tolerance
        m = check.compare(got, got, case, check.tolerance)
        assert not m.passed and m.error < SOLVER_HELD_ACCURACY and "held-out" in m.detail, m


class EchoConvNet:
    """A fake ThreeLayerConvNet that scores the labels it was trained on (the red team's): weights unchanged."""

    def __init__(self, input_dim, num_filters, filter_size, hidden_dim, num_classes, weight_scale, **_):
        c, h, w = input_dim
        rng = np.random.default_rng(0)
        self.params = {
            "W1": weight_scale * rng.standard_normal((num_filters, c, filter_size, filter_size)),
            "b1": np.zeros(num_filters),
            "W2": weight_scale * rng.standard_normal((num_filters * (h // 2) * (w // 2), hidden_dim)),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b3": np.zeros(num_classes),
        }
        self.seen: dict[bytes, int] = {}
        self.C = num_classes

    def loss(self, X, y=None):
        if y is not None:
            self.seen.update({x.tobytes(): int(label) for x, label in zip(X, y, strict=True)})
            return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}
        return np.eye(self.C)[[self.seen.get(x.tobytes(), 0) for x in X]]


def test_a_model_that_echoes_the_labels_it_saw_fails_convnet_overfit():
    check = registry.get("convnet_overfit")
    impl = types.SimpleNamespace(cnn=types.SimpleNamespace(ThreeLayerConvNet=EchoConvNet))
    case = fixtures.case_for(check)
    expected = check.run(REFERENCE, case)
    got = check.run(impl, case)
    assert "train_acc" not in got  # nothing it claims is asked for
    m = check.compare({**got, "train_acc": np.asarray(1.0)}, expected, case, check.tolerance)
    assert not m.passed and "training accuracy" in m.detail


def test_convnet_scores_are_the_reference_models_scores():
    """The trusted forward pass against the reference's ThreeLayerConvNet (float64: 1e-12, summation order only)."""
    check = registry.get("convnet_overfit")
    case = _hidden("convnet_overfit", 0)
    params = check.run(REFERENCE, case)
    model = REFERENCE.cnn.ThreeLayerConvNet(
        input_dim=(3, 8, 8),
        num_filters=8,
        filter_size=3,
        hidden_dim=32,
        num_classes=case["num_classes"],
        dtype=np.float64,
    )
    model.params = {k: v.copy() for k, v in params.items()}
    assert rel_error(convnet_scores(params, case["X"]), model.loss(case["X"])) < 1e-12


def _dropout_case(seed: int = 3):
    rng = np.random.default_rng(seed)
    dims = [5, 7, 4, 3]
    params = {}
    for i in range(1, len(dims)):
        params[f"W{i}"] = rng.standard_normal((dims[i - 1], dims[i]))
        params[f"b{i}"] = 0.1 * rng.standard_normal(dims[i])
    X, y = rng.standard_normal((6, 5)), rng.integers(0, 3, size=6)
    masks = [(rng.random((6, d)) < 0.6).astype(float) for d in dims[1:-1]]
    return params, X, y, masks


def test_dropout_net_loss_matches_numeric_gradients():
    """The trusted loss of a dropout network, differentiated by centred differences (h = 1e-5, float64):
    truncation and rounding stay below 1e-7 relative (a wrong term is of order 1)."""
    params, X, y, masks = _dropout_case()
    _, grads = dropout_net_loss(params, X, y, masks, 1 / 0.6, 0.3)
    for name, g in grads.items():

        def f(_, name=name):
            return np.asarray(dropout_net_loss(params, X, y, masks, 1 / 0.6, 0.3)[0])

        num = numeric_gradient(f, params[name], np.asarray(1.0))
        assert rel_error(g, num) < 1e-7, name


def test_dropout_net_loss_is_the_reference_models_loss_with_the_same_masks():
    """The reference's FullyConnectedNet, its dropout masks replaced by known ones, against the trusted loss."""
    params, X, y, masks = _dropout_case()
    model = REFERENCE.fc_net.FullyConnectedNet(
        [7, 4], input_dim=5, num_classes=3, dropout_keep_ratio=0.6, reg=0.3, dtype=np.float64
    )
    model.params = {k: v.copy() for k, v in params.items()}
    given = iter(masks)
    real = REFERENCE.layers.dropout_forward

    def dropout_forward(x, param):
        mask = next(given) / param["p"]
        return x * mask, (param, mask)

    module = REFERENCE.fc_net
    bound = module.dropout_forward
    module.dropout_forward = dropout_forward
    try:
        loss, grads = model.loss(X, y)
    finally:
        module.dropout_forward = bound
    assert real is REFERENCE.layers.dropout_forward
    ours, our_grads = dropout_net_loss(params, X, y, masks, 1 / 0.6, 0.3)
    assert rel_error(loss, ours) < 1e-12
    assert all(rel_error(grads[k], our_grads[k]) < 1e-10 for k in grads)


def _dropout_outputs(**changes):
    check = registry.get("fc_net_dropout")
    case = fixtures.case_for(check)
    got = check.run(REFERENCE, case)
    return check, case, got, dict(got, **changes)


def test_fc_net_dropout_needs_no_value_the_sandbox_computes_for_the_grader():
    """The red team replaced the grader's numeric_gradient in the sandbox: is there none left to replace, and
    do gradients computed without the masks fail against the masks the outputs show?"""
    check, case, expected, _ = _dropout_outputs()
    assert not [k for k in expected if k.endswith("_num")]
    plain = REFERENCE.fc_net.FullyConnectedNet(
        list(case["hidden_dims"]), input_dim=case["D"], num_classes=case["C"], reg=case["reg"], dtype=np.float64
    )
    for k in plain.params:
        plain.params[k] = case.copy(k)
    _, no_mask = plain.loss(case.copy("X"), case.copy("y"))
    forged = dict(expected, **{f"d{k}": v for k, v in no_mask.items()})
    m = check.compare(forged, expected, case, check.tolerance)
    assert not m.passed and "dropout_backward" in m.detail


def test_fc_net_dropout_rejects_outputs_that_drop_nothing_or_are_not_masks():
    check, case, expected, _ = _dropout_outputs()
    layers = len(case["hidden_dims"])
    h = case["X"]
    kept = {}
    for i in range(1, layers + 1):
        h = np.maximum(h @ case[f"W{i}"] + case[f"b{i}"], 0)
        kept[f"dropped{i}"] = kept[f"again{i}"] = h
    m = check.compare(dict(expected, **kept), expected, case, check.tolerance)
    assert not m.passed and "not applied in train mode" in m.detail
    noisy = dict(expected, dropped1=expected["dropped1"] + 0.5)
    m = check.compare(noisy, expected, case, check.tolerance)
    assert not m.passed and "mask" in m.detail
    reseeded = dict(expected, again1=expected["again1"][::-1])
    m = check.compare(reseeded, expected, case, check.tolerance)
    assert not m.passed and "same seed" in m.detail
    fewer = {k: v for k, v in expected.items() if k != f"dropped{layers}"}
    m = check.compare(fewer, expected, case, check.tolerance)
    assert not m.passed and f"expected {layers}" in m.detail
