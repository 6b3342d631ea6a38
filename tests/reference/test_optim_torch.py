"""Tests of reference/optim.py against torch.optim (skipped where torch is absent).

Each rule runs several steps on the same float64 start and gradient sequence
as the torch optimizer, whose gradient is set by hand before each step.

Conventions:
- torch.optim.Adam and torch.optim.RMSprop (alpha = decay_rate, no momentum,
  not centered) add eps outside the square root, as optim.py does, so the
  iterates agree up to rounding.
- torch.optim.SGD keeps a buffer b = mu * b + dw (b = dw at the first step)
  and moves w -= lr * b; optim.sgd_momentum keeps v = mu * v - lr * dw and
  moves w += v. With a constant learning rate and a zero initial velocity,
  induction gives v = -lr * b at every step, so the iterates agree.

Tolerance: ``TORCH_RTOL`` = 1e-10 relative. Both sides compute in float64 but
order the operations differently (torch divides sqrt(v) by
sqrt(1 - beta2**t) rather than v by 1 - beta2**t, for instance); after 8
steps the differences are a few ulps (measured: below 1e-14), far below 1e-10.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the torch.optim comparisons need it")

from reference.optim import adam, rmsprop, sgd_momentum  # noqa: E402

pytestmark = pytest.mark.torch

#: Relative tolerance between our iterates and torch's (see the module docstring).
TORCH_RTOL = 1e-10
STEPS = 8


@pytest.fixture
def trajectory():
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) * 10.0 ** rng.integers(-2, 2) for _ in range(STEPS)]
    return w0, grads


def torch_iterates(make_optimizer, w0, grads):
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    opt = make_optimizer([p])
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def our_iterates(rule, w0, grads, config):
    w, out = w0.copy(), []
    for g in grads:
        w, config = rule(w, g, config)
        out.append(np.array(w, copy=True))
    return out


def assert_same_trajectory(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=TORCH_RTOL, atol=0, err_msg=f"step {step}")


def test_adam_matches_torch(trajectory):
    """Does adam follow torch.optim.Adam step for step?"""
    w0, grads = trajectory
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    theirs = torch_iterates(lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps), w0, grads)
    ours = our_iterates(adam, w0, grads, {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps})
    assert_same_trajectory(ours, theirs)


def test_rmsprop_matches_torch(trajectory):
    """Does rmsprop follow torch.optim.RMSprop (alpha = decay_rate) step for step?"""
    w0, grads = trajectory
    lr, decay, eps = 1e-2, 0.99, 1e-8
    theirs = torch_iterates(lambda p: torch.optim.RMSprop(p, lr=lr, alpha=decay, eps=eps), w0, grads)
    ours = our_iterates(rmsprop, w0, grads, {"learning_rate": lr, "decay_rate": decay, "epsilon": eps})
    assert_same_trajectory(ours, theirs)


def test_sgd_momentum_matches_torch(trajectory):
    """Does sgd_momentum follow torch.optim.SGD(momentum=mu) step for step (v = -lr * buffer)?"""
    w0, grads = trajectory
    lr, mu = 1e-2, 0.9
    theirs = torch_iterates(lambda p: torch.optim.SGD(p, lr=lr, momentum=mu), w0, grads)
    ours = our_iterates(sgd_momentum, w0, grads, {"learning_rate": lr, "momentum": mu})
    assert_same_trajectory(ours, theirs)
