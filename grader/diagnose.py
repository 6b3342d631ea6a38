"""The diagnosis engine: recognise common wrong answers from the outputs alone.

Two sources of diagnoses, tried in order:

1. the check's catalogued wrong answers (``grader.wrong_answers``): the outputs
   that a known bug would give on the same inputs, computed on the trusted side
   (for public checks they ship precomputed in the fixtures);
2. generic transforms of the expected outputs: a constant factor (sum instead
   of mean, a missing 1/N or 0.5), a flipped sign, a transpose, all zeros,
   unchanged inputs.

A diagnosis is a hint, phrased "likely: ..."; the score never depends on it.
"""
from __future__ import annotations

import numpy as np

from .checks.base import Arrays
from .i18n import _, ngettext


def _matches(got: np.ndarray, target: np.ndarray, tol: float) -> bool:
    if not isinstance(got, np.ndarray) or got.shape != target.shape or got.dtype.kind not in "biuf":
        return False
    g = got.astype(np.float64)
    t = target.astype(np.float64)
    if not np.array_equal(np.isnan(g), np.isnan(t)):
        return False
    finite = np.isfinite(g) & np.isfinite(t)
    if not np.array_equal(np.isinf(g), np.isinf(t)):
        return False
    if not finite.any():
        return True
    d = np.abs(g[finite] - t[finite]) / np.maximum(1e-8, np.abs(g[finite]) + np.abs(t[finite]))
    return bool(d.max() <= tol)


def _wrong_answer_match(got: Arrays, wrong: Arrays, tol: float) -> bool:
    """All arrays the wrong answer defines match what was returned."""
    return bool(wrong) and all(name in got and _matches(got[name], arr, tol) for name, arr in wrong.items())


def _differs(wrong: Arrays, expected: Arrays, tol: float) -> bool:
    """Some array the wrong answer defines differs from the expected one."""
    return any(name not in expected or not _matches(arr, expected[name], tol) for name, arr in wrong.items())


def _shape_hint(name: str, got: np.ndarray, exp: np.ndarray, tol: float) -> str | None:
    """A hint when ``got`` has the wrong shape: transposed, or the right count but not reshaped."""
    if got.ndim == 2 and exp.ndim == 2 and got.shape == exp.shape[::-1]:
        if _matches(got.T, exp, tol):
            return _("{name} is transposed").format(name=name)
        return _("{name} has the transposed shape {shape} (expected {expected})").format(
            name=name, shape=str(got.shape), expected=str(exp.shape)
        )
    if got.size == exp.size:
        return _(
            "{name} has the right values count but shape {shape} instead of {expected} (a reshape is missing)"
        ).format(name=name, shape=str(got.shape), expected=str(exp.shape))
    return None


def _factor_hint(name: str, g: np.ndarray, e: np.ndarray, tol: float, inputs: Arrays) -> str | None:
    """A hint when ``g`` is ``e`` times a constant: a missing 1/N, an extra N, a 0.5 or 2, another factor."""
    mask = np.abs(e) > 1e-12 * np.abs(e).max()
    ratio = g[mask] / e[mask]
    if not (ratio.size and np.allclose(ratio, ratio[0], rtol=max(tol, 1e-6) * 10)):
        return None
    k = float(ratio[0])
    if abs(k - 1) <= max(tol, 1e-6) * 10:  # the values agree: the failure is elsewhere (a dtype, a shape)
        return None
    sizes = {s for arr in inputs.values() if isinstance(arr, np.ndarray) for s in arr.shape if s > 1}
    if any(abs(k - s) < 1e-6 * s for s in sizes):
        return _("{name} is {factor} times too large: a sum where a mean is expected (missing division by N?)").format(
            name=name, factor=f"{k:g}"
        )
    if any(abs(k * s - 1) < 1e-6 for s in sizes):
        return _("{name} is {factor} times too small: divided by N where a sum is expected?").format(
            name=name, factor=f"{1 / k:g}"
        )
    if abs(k - 2) < 1e-6 or abs(k - 0.5) < 1e-6:
        return _("{name} is off by a factor {factor}: a missing or extra 0.5 / factor 2").format(
            name=name, factor=f"{k:g}"
        )
    if ratio.size > 1 and k != 0:  # one element always has "a constant factor": only a named one is evidence
        return _("{name} is off by a constant factor {factor}").format(name=name, factor=f"{k:.4g}")
    return None


def _input_or_border_hint(name: str, g: np.ndarray, e: np.ndarray, tol: float, inputs: Arrays) -> str | None:
    """A hint when ``g`` is an input returned unchanged, or right except on a border (padding)."""
    for src_name, src in inputs.items():
        if isinstance(src, np.ndarray) and src.shape == e.shape and _matches(g, src, tol):
            return _("{name} equals the input '{input}' unchanged").format(name=name, input=src_name)
    width = _border_width(g, e, tol)
    if width:
        return ngettext(
            "{name} is right except on a border {width} element wide: "
            "check the padding (zeros on every side of the input)",
            "{name} is right except on a border {width} elements wide: "
            "check the padding (zeros on every side of the input)",
            width,
        ).format(name=name, width=width)
    return None


def _generic(name: str, got: np.ndarray, exp: np.ndarray, tol: float, inputs: Arrays) -> str | None:
    """A generic hint for one mismatching output, tried in order: shape, NaN/inf, zeros, sign, factor, input, border."""
    if not isinstance(got, np.ndarray) or got.dtype.kind not in "biuf":
        return None
    if got.shape != exp.shape:
        return _shape_hint(name, got, exp, tol)
    g = got.astype(np.float64)
    e = exp.astype(np.float64)
    if not np.all(np.isfinite(g)):
        return _(
            "{name} overflows to NaN/inf: look for exp() of large values (shift by the max) or a division by zero"
        ).format(name=name)
    if np.all(e == 0):
        return None
    if np.all(g == 0):
        return _("{name} is all zeros").format(name=name)
    if _matches(-g, e, tol):
        return _("{name} has the wrong sign").format(name=name)
    return _factor_hint(name, g, e, tol, inputs) or _input_or_border_hint(name, g, e, tol, inputs)


def _border_width(got: np.ndarray, exp: np.ndarray, tol: float) -> int | None:
    """The width k when ``got`` matches ``exp`` everywhere but a border of width k of the last two axes.

    For images (N, C, H, W): a padding bug (edge or reflect padding, a
    misplaced pad) changes only the outputs whose window reaches the padding.
    The interior left once the border is removed must hold at least 4
    positions, so a small output never passes for "only the border".
    """
    if got.ndim < 3 or got.shape != exp.shape:
        return None
    h, w = got.shape[-2:]
    d = np.abs(got - exp) / np.maximum(1e-8, np.abs(got) + np.abs(exp))
    bad = (d > tol).reshape(-1, h, w).any(axis=0)
    if not bad.any():
        return None
    for k in range(1, min(h, w) // 2 + 1):
        interior = bad[k : h - k, k : w - k]
        if interior.size < 4:
            return None
        if not interior.any():
            return k
    return None


def diagnose(
    got: Arrays, expected: Arrays, wrong: dict[str, Arrays], messages: dict[str, str], tol: float, inputs: Arrays
) -> str | None:
    """The most likely cause of a mismatch, or None."""
    # Outputs of a wrong answer must match closely; a check whose tolerance is not a
    # relative error (an accuracy, a number of sigmas) must not make everything match.
    loose = min(max(tol, 1e-6), 1e-3)
    for key, outs in wrong.items():
        # On some cases a wrong answer coincides with the right one (dx not divided by N when
        # N = 1): it explains nothing there and must not hide the bug that does differ.
        if not _differs(outs, expected, min(tol, loose)):
            continue
        if _wrong_answer_match(got, outs, loose):
            message = messages.get(key, key)  # English, as the fixtures store it: the msgid of its translation
            return _(message) if message else message
    for name, exp in expected.items():
        if name not in got:
            continue
        g = got[name]
        if isinstance(g, np.ndarray) and g.shape == exp.shape and _matches(g, exp, tol):
            continue
        hint = _generic(name, g, exp, loose, inputs)
        if hint:
            return hint
    return None
