"""Several cases per check under ``grade``: the public case and K hidden draws, run as one task.

``grade`` runs every check on its public case and on K hidden draws (K from
the rubric's ``hidden_cases``); the check passes only if every case passes, so
``grade`` is never more lenient than ``check``. The cases travel to the worker
as one task (one ``.npz``, the check's one time limit for all its cases, so
a check that hangs costs one timeout): ``pack`` prefixes each case's arrays with its index
(``"0|x"``, ``"1|x"``...) and lists the cases' parameters under
``params[CASES]``; the worker (``grader.worker``) runs the check once per case
and names the outputs ``c<i>_<name>``; ``split`` undoes it on the trusted side.

``describe`` words a case for a student: its parameters (strides, pads, modes,
sizes) and the shapes of its arrays, never their values.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .base import Arrays, Case

#: The parameter that holds the list of packed cases' parameters.
CASES = "__cases__"
#: Draw 0 is the public case; draws 1..K are hidden.
PUBLIC = 0


class Draw(int):
    """The ``hidden`` argument of ``make_case`` under ``grade``: the index of the hidden draw (1..K).

    It is truthy like ``True`` (every generator's ``if hidden:`` still holds);
    generators that must cover an edge on purpose read the index through
    ``grader.checks.common.edge``.
    """

    def __repr__(self) -> str:
        return f"Draw({int(self)})"


def pack(cases: Sequence[Case]) -> Case:
    arrays = {f"{i}|{k}": v for i, c in enumerate(cases) for k, v in c.arrays.items()}
    return Case(arrays, {CASES: [dict(c.params) for c in cases]})


def is_packed(params: Mapping[str, Any]) -> bool:
    return isinstance(params.get(CASES), list)


def unpack(case: Case) -> list[Case]:
    """The cases of a packed ``Case`` (untrusted side: what the worker runs)."""
    params = case.params[CASES]
    out = []
    for i, p in enumerate(params):
        prefix = f"{i}|"
        out.append(Case({k[len(prefix):]: v for k, v in case.arrays.items() if k.startswith(prefix)}, dict(p)))
    return out


def prefix(i: int, outputs: Arrays) -> Arrays:
    """Case ``i``'s outputs as ``c<i>_<name>`` (identifiers, as the worker's channel wants them)."""
    return {f"c{i}_{k}": v for k, v in outputs.items()}


_OUTPUT = re.compile(r"c(\d{1,3})_(.+)")


def split(outputs: Arrays, n: int) -> list[Arrays]:
    """The outputs of each of ``n`` cases (keys without a valid prefix are dropped)."""
    parts: list[Arrays] = [{} for _ in range(n)]
    for key, value in outputs.items():
        m = _OUTPUT.fullmatch(key)
        if m and int(m.group(1)) < n:
            parts[int(m.group(1))][m.group(2)] = value
    return parts


def _param(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, str) and len(value) <= 20:
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 8 and all(isinstance(v, (int, np.integer)) for v in value):
        return "(" + ", ".join(str(int(v)) for v in value) + ")"
    return None


def describe(case: Case) -> str:
    """``"stride 2, pad 0, x (1, 3, 5, 5) float64, w (2, 3, 3, 3)"``: parameters and shapes, never values."""
    parts = []
    for key in sorted(case.params):
        if key.startswith("_"):
            continue
        text = _param(case.params[key])
        if text is not None:
            parts.append(f"{key.replace('_', ' ')} {text}")
    for key in sorted(case.arrays):
        arr = np.asarray(case.arrays[key])
        if arr.ndim == 0:
            continue
        dtype = f" {arr.dtype}" if arr.dtype == np.float32 else ""
        parts.append(f"{key} {tuple(int(s) for s in arr.shape)}{dtype}")
    return ", ".join(parts)
