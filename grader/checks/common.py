"""Helpers shared by the check modules.

Conventions: a loss is returned as a 0-d float64 array under ``loss``;
gradients under ``d<name>``, and the numeric gradient of the submission's own
forward or loss under ``d<name>_num`` (``NUM``), which only sharpens the
failure message (see ``grader.compare.compare_gradients``).
"""
from __future__ import annotations

import re

import numpy as np

from ..compare import compare_gradients, numeric_gradient
from .base import Arrays, Case, Comparator, Measure

#: Suffix of the numeric-gradient outputs.
NUM = "_num"
#: How many standard deviations a statistical property may stray before a
#: check fails: at 5 sigma a correct implementation fails with probability
#: about 6e-7 per tested statistic, a negligible rate even over thousands of
#: hidden gradings, while the bugs these properties look for are off by
#: tens or hundreds of sigma.
SIGMAS = 5.0
_PARAM = re.compile(r"(W|b)\d+")


def log_uniform(rng: np.random.Generator, low: float, high: float, size=None):
    """exp(U(log low, log high)): a float, or an array of ``size`` such values (one rng.uniform call)."""
    v = np.exp(rng.uniform(np.log(low), np.log(high), size=size))
    return float(v) if size is None else v


def clusters(
    rng: np.random.Generator, n: int, n_held: int, shape: tuple, classes: int, separation: float
) -> tuple[Arrays, Arrays]:
    """A training set ``{X, y}`` of ``n`` rows and a held-out set of ``n_held`` rows from the same classes.

    Each class is a Gaussian blob around a mean drawn as ``separation`` times
    a standard normal (of ``shape``), with unit noise, all scaled to unit
    variance per feature (the inputs of the random-data checks); labels cover
    every class as evenly as ``n`` allows. A network that learns generalises to the
    held-out rows; one that memorises the rows it was fed does not (the
    held-out rows are never sent to the untrusted side: ``Case.held``).
    """
    size = int(np.prod(shape))
    means = separation * rng.standard_normal((classes, size))

    def draw(count: int) -> Arrays:
        y = rng.permutation(np.arange(count) % classes)
        X = (means[y] + rng.standard_normal((count, size))) / np.sqrt(1.0 + separation**2)
        return {"X": X.reshape((count, *shape)), "y": y}

    train = draw(n)
    held = draw(n_held)
    return train, {"X_held": held["X"], "y_held": held["y"]}


def scalar(value) -> np.ndarray:
    """A loss as a 0-d float64 array (a 1-element array is accepted as well)."""
    arr = np.asarray(value, dtype=np.float64)
    return arr.reshape(()) if arr.size == 1 else arr


def all_of(*comparators: Comparator) -> Comparator:
    """Pass when every comparator passes; the first failure is reported, else the largest error."""

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        worst = Measure(0.0, True)
        for c in comparators:
            m = c(got, expected, case, tolerance)
            if not m.passed:
                return m
            if m.error > worst.error:
                worst = m
        return worst

    return compare


def param_names(case: Case, tag: str = "") -> list[str]:
    """The model parameters stored in the case under ``tag`` (``W1``, ``b1``, ...), layer by layer."""
    names = [k[len(tag):] for k in case.arrays if k.startswith(tag) and _PARAM.fullmatch(k[len(tag):])]
    return sorted(names, key=lambda n: (int(re.sub(r"\D", "", n)), n))


def set_params(model, case: Case, tag: str = "") -> list[str]:
    """Overwrite the model's parameters with (copies of) those of the case; return their names."""
    names = param_names(case, tag)
    for k in names:
        model.params[k] = case.copy(tag + k)
    return names


def model_loss_outputs(model, case: Case, names: list[str], tag: str = "", numeric: bool = True) -> Arrays:
    """Loss and gradients of ``model`` on the case's X, y, and the numeric gradients of its own loss."""
    y = case.copy("y")
    loss, grads = model.loss(case.copy("X"), y)
    out = {tag + "loss": scalar(loss)}
    for k in names:
        if k in grads:
            out[f"{tag}d{k}"] = np.array(grads[k], copy=True)
    if numeric:
        one = np.array(1.0)
        for k in names:
            # perturbs model.params[k] in place, element by element
            out[f"{tag}d{k}{NUM}"] = numeric_gradient(lambda _: model.loss(case.copy("X"), y)[0], model.params[k], one)
    return out


def nonzero_normal(rng: np.random.Generator, shape, scale: float = 1.0, gap: float = 0.05) -> np.ndarray:
    """Normal draws pushed away from 0 by ``gap * scale`` (no ReLU kink, no exact zero)."""
    z = rng.standard_normal(shape)
    return scale * (z + gap * np.sign(z) + (z == 0) * gap)


def compare_all_gradients(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """``compare_gradients`` over every analytic key of ``expected``.

    An expected key ``k`` is an analytic gradient; ``k_num``, when the check
    returned it, is the numeric gradient of the student's own forward (used
    only to word the diagnosis). For checks whose outputs vary with the case
    (the depth of a network).
    """
    pairs = {k: f"{k}{NUM}" for k in expected if not k.endswith(NUM)}
    return compare_gradients(pairs)(got, expected, case, tolerance)


def numeric_gradients(parts: dict, h: float = 1e-5) -> Arrays:
    """``{key: numeric_gradient(f, x, df, h)}`` for ``parts = {key: (f, x, df)}``, for the diagnosis only.

    A key whose forward fails or returns an output of the wrong shape (a
    forward bug, which the forward's own check scores) is left out rather
    than turning the backward check into an error.
    """
    out: Arrays = {}
    for key, (f, x, df) in parts.items():
        try:
            out[key] = numeric_gradient(f, x, df, h)
        except (ValueError, TypeError, IndexError, ArithmeticError):
            continue
    return out


def scalar_gradient(f, x: np.ndarray) -> np.ndarray:
    """Centred numeric gradient of the scalar ``f()`` with respect to ``x``, perturbed in place."""
    return numeric_gradient(lambda _: np.asarray(f(), dtype=np.float64), x, np.asarray(1.0))


def edge(hidden, options):
    """The option of this hidden draw: draw i (``grader.checks.cases.Draw``) takes ``options[(i - 1) % len]``.

    Case generators pass the values that distinguish real bugs (pad 0 and
    pad > 0, a batch of one and of several...) so that the K hidden draws of
    ``grade`` cover them on purpose, whatever the secret; ``hidden=True`` (one
    draw) takes the first option.
    """
    return options[(int(hidden) - 1) % len(options)]


def both_signs(x: np.ndarray) -> np.ndarray:
    """``x`` with at least one positive and one negative entry (when it has two or more).

    Flips the first one if needed.
    """
    flat = x.reshape(-1)
    if flat.size >= 2 and (np.all(flat > 0) or np.all(flat < 0)):
        flat[0] = -flat[0]
    return x


def trained_accuracies(scores, params: Arrays, case: Case, tolerance: float, held_required: float, *,
                       trained: str, advice: str) -> Measure:
    """Training and held-out accuracy of trained weights, both computed here from ``scores(params, X)``.

    The training accuracy on ``case["X"]`` must reach ``tolerance`` and the accuracy on the held-out rows
    (``case.held``, never sent to the sandbox) ``held_required``; the measure is the lower of the two.
    ``trained`` says how the network was trained, ``advice`` what to look at when it does not learn.
    """
    X, y = case["X"], case["y"]
    acc = float(np.mean(np.argmax(scores(params, X), axis=1) == y))
    if acc < tolerance:
        return Measure(
            acc, False,
            f"training accuracy {acc:.2f} {trained}, below the required {tolerance:.2f}: the network does not "
            f"learn ({advice})",
        )
    held_x, held_y = case.held["X_held"], case.held["y_held"]
    held = float(np.mean(np.argmax(scores(params, held_x), axis=1) == held_y))
    if held < held_required:
        return Measure(
            held, False,
            f"accuracy {held:.2f} on {len(held_y)} held-out examples of the same classes, below the required "
            f"{held_required:.2f} (training accuracy {acc:.2f}): the trained weights fit the training rows "
            "without learning the classes",
        )
    return Measure(min(acc, held), True)
