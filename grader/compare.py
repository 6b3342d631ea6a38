"""Numeric comparisons with failure messages that pinpoint.

``rel_error`` is cs231n's: the largest element-wise ``|x - y| / max(1e-8, |x| + |y|)``.
The comparators validate what the implementation returned (type, shape,
dtype, finiteness) before measuring anything, and describe a mismatch the way
pytest's ``approx`` does: shape first, then how many elements differ, the
largest absolute and relative difference and where.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .checks.base import Arrays, Case, Comparator, Measure
from .i18n import _

#: Around the values of a case in a comparison's detail ("got X, expected Y"): ``grader.scoring`` takes the
#: marked part out of a hidden case's message and the marks out of a public one's, in any language.
VALUES_START, VALUES_END = "\x02", "\x03"


def values_part(text: str) -> str:
    """``text`` marked as the case's values (withheld on hidden cases)."""
    return f"{VALUES_START}{text}{VALUES_END}"


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """cs231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def validate(name: str, got: object, expected: np.ndarray) -> str | None:
    """Why ``got`` cannot be compared with ``expected`` (None when it can)."""
    if not isinstance(got, np.ndarray) or type(got) is not np.ndarray:
        return _("{name}: expected a numpy array, got {type}").format(name=name, type=type(got).__name__)
    if got.dtype.kind not in "biuf":
        return _("{name}: expected a numeric array, got dtype {dtype}").format(name=name, dtype=got.dtype)
    if got.shape != expected.shape:
        return _("{name}: shape {got}, expected {expected}").format(name=name, got=got.shape, expected=expected.shape)
    if not np.all(np.isfinite(got)):
        bad = int(np.size(got) - np.count_nonzero(np.isfinite(got)))
        return _("{name}: {bad} of {size} elements are NaN or inf").format(name=name, bad=bad, size=got.size)
    return None


def describe_mismatch(name: str, got: np.ndarray, expected: np.ndarray, tolerance: float) -> str:
    """One line: how many elements differ, the largest differences and where."""
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    absdiff = np.abs(g - e)
    rel = absdiff / np.maximum(1e-8, np.abs(g) + np.abs(e))
    bad = rel > tolerance
    n_bad = int(np.count_nonzero(bad))
    if g.ndim == 0:
        got, want = f"{g.item():.10g}", f"{e.item():.10g}"
        values = values_part(_("got {got}, expected {expected}").format(got=got, expected=want))
        return _("{name}: {values} (rel error {rel})").format(name=name, values=values, rel=f"{rel.item():.3g}")
    worst = np.unravel_index(int(np.argmax(rel)), rel.shape)
    where = tuple(int(i) for i in worst)
    values = values_part(
        "(" + _("got {got}, expected {expected}").format(got=f"{g[worst]:.6g}", expected=f"{e[worst]:.6g}") + ")"
    )
    return _(
        "{name}: {bad} of {size} elements differ; max abs diff {absdiff}, max rel error {rel} at index {where} {values}"
    ).format(
        name=name, bad=n_bad, size=g.size, absdiff=f"{absdiff.max():.3g}", rel=f"{rel.max():.3g}", where=where,
        values=values,
    )


def compare_values(keys: Iterable[str] | None = None) -> Comparator:
    """Pass when every expected array (or the named ones) is within ``tolerance`` relative error."""

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        names = list(keys) if keys is not None else list(expected)
        worst, worst_name = 0.0, None
        for name in names:
            if name not in got:
                return Measure(float("inf"), False, _("{name}: not returned").format(name=name))
            problem = validate(name, got[name], expected[name])
            if problem:
                return Measure(float("inf"), False, problem)
            err = rel_error(got[name], expected[name])
            if err > worst or worst_name is None:
                worst, worst_name = err, name
        if worst <= tolerance:
            return Measure(worst, True)
        return Measure(worst, False, describe_mismatch(worst_name, got[worst_name], expected[worst_name], tolerance))

    return compare


def compare_gradients(pairs: dict[str, str]) -> Comparator:
    """Analytic gradients against the reference AND against the numeric gradient of the student's own forward.

    ``pairs`` maps each analytic gradient key (``dx``) to the key of the numeric
    gradient the untrusted side computed from the student's forward (``dx_num``).
    The expected arrays hold the reference gradients under the analytic keys.
    """
    values = compare_values(list(pairs))

    def compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
        m = values(got, expected, case, tolerance)
        if m.error == float("inf"):
            return m
        own_worst, own_name = 0.0, None
        for name, num in pairs.items():
            if num not in got or validate(num, got[num], expected[name]):
                continue  # the numeric gradient is diagnostic only
            err = rel_error(got[name], got[num])
            if err > own_worst or own_name is None:
                own_worst, own_name = err, name
        if m.passed:
            return m
        if own_name is not None and own_worst > tolerance:
            detail = m.detail + "; " + _(
                "{name} also disagrees with the numeric gradient of your own forward (rel error {rel}): the "
                "backward pass does not differentiate your forward"
            ).format(name=own_name, rel=f"{own_worst:.3g}")
        elif own_name is not None:
            detail = m.detail + "; " + _(
                "but it matches the numeric gradient of your own forward: the backward is consistent, so the "
                "forward (or its cache) is what is wrong"
            )
        else:
            detail = m.detail
        return Measure(m.error, False, detail)

    return compare


def numeric_gradient(f, x: np.ndarray, df: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred numeric gradient of sum(f(x) * df) with respect to x (x is restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old
        g[i] = np.sum((pos - neg) * df) / (2 * h)
    return grad
