"""Hidden cases must keep every known bug visible, whatever the secret.

Two gaps found by the mutant round trip through ``grade``
(tests/grader/test_grade_roundtrip.py): a hidden case so large that the
regularization gradient of W1 vanished below the tolerance, and a hidden
weight_scale of 1.0 that made "weight_scale ignored" invisible. These tests
draw the hidden cases of many secrets and measure the margin directly.
"""
import numpy as np
import pytest

from grader.checks import registry
from grader.checks.base import Impl
from grader.fixtures import case_for

SECRETS = [f"secret-{i}" for i in range(40)]


def test_convnet_grads_hidden_case_shows_the_regularization_gradient_of_w1():
    """reg * W1 must be at least 100x the check's tolerance (1e-6) relative to dW1, for every secret."""
    check = registry.get("convnet_grads")
    reference = Impl("reference")
    worst = np.inf
    for secret in SECRETS:
        case = case_for(check, salt=secret, hidden=True)
        model = reference.cnn.ThreeLayerConvNet(
            input_dim=tuple(case["input_dim"]), num_filters=case["num_filters"], filter_size=case["filter_size"],
            hidden_dim=case["hidden_dim"], num_classes=case["num_classes"], reg=case["reg"], dtype=np.float64,
        )
        for k in ("W1", "b1", "W2", "b2", "W3", "b3"):
            model.params[k] = case.copy(k)
        _, grads = model.loss(case.copy("X"), case["y"])
        term = case["reg"] * case["W1"]
        worst = min(worst, np.linalg.norm(term) / np.linalg.norm(grads["W1"]))
    assert worst > 100 * check.tolerance, worst


@pytest.mark.parametrize("secret", SECRETS)
def test_two_layer_init_hidden_weight_scale_is_never_one(secret):
    """With weight_scale 1.0, weights drawn without it would have the right statistics."""
    case = case_for(registry.get("two_layer_net_init"), salt=secret, hidden=True)
    assert abs(np.log10(case["weight_scale"])) >= 0.5
