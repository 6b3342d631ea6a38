"""Wrong answers of Q2 checks (batch and layer normalization).

Each producer recomputes, in plain numpy from the case's inputs, what the
buggy implementation returns. Only the arrays a bug changes are returned.
"""
from __future__ import annotations

import numpy as np

from ..checks.base import Arrays, Case
from ..i18n import N_
from ._registry import wrong_answer


def _normalize(x, gamma, beta, eps, axis, ddof=0, eps_outside=False):
    """gamma * (x - mean) / std + beta with the statistics taken along ``axis``."""
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return gamma * (x - mean) / std + beta


def _bn(case: Case, **kw):
    return _normalize(case["x"], case["gamma"], case["beta"], float(case["eps"]), axis=0, **kw)


def _is_test_mode(case: Case) -> bool:
    return case.params.get("mode") == "test"


# --- batchnorm_forward ------------------------------------------------------


@wrong_answer("bn_unbiased_var", N_("the variance is divided by N - 1; batchnorm uses the biased one (divide by N)"))
def _bn_unbiased(case: Case, expected: Arrays) -> Arrays:
    return {"out": _bn(case, ddof=1)}


@wrong_answer("bn_eps_outside_sqrt", N_("eps is added after the square root; use sqrt(var + eps)"))
def _bn_eps_outside(case: Case, expected: Arrays) -> Arrays:
    if _is_test_mode(case):
        std = np.sqrt(case["running_var"]) + float(case["eps"])
        return {"out": case["gamma"] * (case["x"] - case["running_mean"]) / std + case["beta"]}
    return {"out": _bn(case, eps_outside=True)}


@wrong_answer("bn_no_gamma_beta", N_("the normalized data is not scaled by gamma and shifted by beta"))
def _bn_no_affine(case: Case, expected: Arrays) -> Arrays:
    return {"out": _normalize(case["x"], 1.0, 0.0, float(case["eps"]), axis=0)}


@wrong_answer(
    "bn_normalized_over_features",
    N_("statistics taken over the features (axis 1); batchnorm uses the batch (axis 0)"),
)
def _bn_over_features(case: Case, expected: Arrays) -> Arrays:
    return {"out": _normalize(case["x"], case["gamma"], case["beta"], float(case["eps"]), axis=1)}


@wrong_answer(
    "bn_test_uses_batch_stats",
    N_("test mode uses the batch statistics; use the running_mean and running_var"),
)
def _bn_test_batch(case: Case, expected: Arrays) -> Arrays:
    return {"out": _bn(case)}


@wrong_answer("bn_test_running_var_as_std", N_("test mode divides by running_var + eps without the square root"))
def _bn_test_no_sqrt(case: Case, expected: Arrays) -> Arrays:
    std = case["running_var"] + float(case["eps"])
    return {"out": case["gamma"] * (case["x"] - case["running_mean"]) / std + case["beta"]}


# --- running averages ---------------------------------------------------------


def _running(case: Case, *, swapped=False, ddof=0, use_std=False):
    m = float(case.params.get("momentum", 0.9))
    steps = case["x_steps"]
    d = steps.shape[2]
    mean = np.array(case["running_mean0"], dtype=np.float64) if "running_mean0" in case.arrays else np.zeros(d)
    var = np.array(case["running_var0"], dtype=np.float64) if "running_var0" in case.arrays else np.zeros(d)
    keep, new = (1 - m, m) if swapped else (m, 1 - m)
    for x in steps:
        batch_var = x.var(axis=0, ddof=ddof)
        mean = keep * mean + new * x.mean(axis=0)
        var = keep * var + new * (np.sqrt(batch_var + float(case["eps"])) if use_std else batch_var)
    return mean, var


@wrong_answer(
    "bn_running_not_updated",
    N_("running_mean and running_var are never updated (store them back in bn_param)"),
)
def _bn_not_updated(case: Case, expected: Arrays) -> Arrays:
    d = case["x_steps"].shape[2]
    mean = case["running_mean0"] if "running_mean0" in case.arrays else np.zeros(d)
    var = case["running_var0"] if "running_var0" in case.arrays else np.zeros(d)
    return {"running_mean": mean, "running_var": var}


@wrong_answer(
    "bn_momentum_swapped",
    N_("momentum is applied to the new batch statistics: momentum * running + (1 - momentum) * batch"),
)
def _bn_swapped(case: Case, expected: Arrays) -> Arrays:
    mean, var = _running(case, swapped=True)
    return {"running_mean": mean, "running_var": var}


@wrong_answer("bn_running_var_unbiased", N_("running_var averages the unbiased (N - 1) variance; use the biased one"))
def _bn_running_unbiased(case: Case, expected: Arrays) -> Arrays:
    _, var = _running(case, ddof=1)
    return {"running_mean": expected["running_mean"], "running_var": var}


@wrong_answer("bn_running_std", N_("running_var averages the standard deviation instead of the variance"))
def _bn_running_std(case: Case, expected: Arrays) -> Arrays:
    _, var = _running(case, use_std=True)
    return {"running_mean": expected["running_mean"], "running_var": var}


# --- backward passes ----------------------------------------------------------


def _x_hat(case: Case, axis: int) -> np.ndarray:
    return _normalize(case["x"], 1.0, 0.0, float(case["eps"]), axis=axis)


def _norm_axis(case: Case) -> int:
    """The axis the layer normalizes over: 0 for batchnorm, 1 for layernorm (a case parameter)."""
    return int(case.params.get("axis", 0))


@wrong_answer("norm_dgamma_wrong_axis", N_("dgamma is summed over the features (axis 1); sum over the batch (axis 0)"))
def _dgamma_axis(case: Case, expected: Arrays) -> Arrays:
    x_hat = _x_hat(case, _norm_axis(case))
    return {"dgamma": (case["dout"] * x_hat).sum(axis=1)}


@wrong_answer("norm_dbeta_wrong_axis", N_("dbeta is summed over the features (axis 1); sum over the batch (axis 0)"))
def _dbeta_axis(case: Case, expected: Arrays) -> Arrays:
    return {"dbeta": case["dout"].sum(axis=1)}


@wrong_answer("bn_dx_without_mean_terms", N_("dx ignores that the batch mean and variance depend on x"))
def _bn_dx_local(case: Case, expected: Arrays) -> Arrays:
    var = case["x"].var(axis=0)
    return {"dx": case["dout"] * case["gamma"] / np.sqrt(var + float(case["eps"]))}


# --- layernorm_forward ----------------------------------------------------------


@wrong_answer(
    "ln_over_batch_axis",
    N_("layernorm normalizes over the batch (axis 0); normalize each example over its features"),
)
def _ln_batch_axis(case: Case, expected: Arrays) -> Arrays:
    return {"out": _normalize(case["x"], case["gamma"], case["beta"], float(case["eps"]), axis=0)}


@wrong_answer("ln_unbiased_var", N_("the variance is divided by D - 1; layernorm uses the biased one (divide by D)"))
def _ln_unbiased(case: Case, expected: Arrays) -> Arrays:
    return {"out": _normalize(case["x"], case["gamma"], case["beta"], float(case["eps"]), axis=1, ddof=1)}
