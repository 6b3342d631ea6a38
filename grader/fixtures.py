"""The public fixtures: inputs and expected outputs of every check, from the reference.

``python -m grader fixtures`` regenerates ``grader/fixtures/public.npz`` by
drawing each check's public case from a seed derived from its id and running
the check against ``reference/`` in this (trusted) process, along with the
outputs of the catalogued wrong answers the check can diagnose. Students get
this file with the handout, so ``check`` never needs ``reference/``.
``--check`` fails when the committed file is stale.

File layout (one ``.npz``, no pickle): ``<id>|in|<name>``, ``<id>|out|<name>``,
``<id>|wrong|<wrong-answer>|<name>``, ``<id>|alt|<convention>|<name>`` (the outputs of
another correct convention, ``grader.checks.conventions``) arrays, and ``__meta__``, a JSON string
holding each check's parameters and the messages of its wrong answers.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .checks import registry
from .checks.base import Arrays, Case, Check, Impl

PUBLIC_PATH = Path(__file__).resolve().parent / "fixtures" / "public.npz"


def seed_for(check_id: str, salt: str = "public") -> int:
    """A stable 32-bit seed for one check (the salt is the secret in hidden grading)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{check_id}".encode()).digest()[:4], "little")


def case_for(check: Check, salt: str = "public", hidden: bool = False) -> Case:
    return check.make_case(np.random.default_rng(seed_for(check.id, salt)), hidden)


@dataclasses.dataclass(frozen=True)
class Fixture:
    case: Case
    expected: Arrays
    wrong: dict[str, Arrays]  # outputs of each catalogued wrong answer on this case
    messages: dict[str, str]  # the diagnosis of each catalogued wrong answer
    #: the outputs of each other correct convention the check accepts (grader.checks.conventions)
    variants: dict[str, Arrays] = dataclasses.field(default_factory=dict)


def compute(check: Check, case: Case, reference: Impl) -> Fixture:
    """Expected outputs and wrong-answer outputs for ``case``, computed by the reference."""
    from .wrong_answers import WRONG_ANSWERS

    expected = {k: np.asarray(v) for k, v in check.run(reference, case).items()}
    wrong, messages = {}, {}
    for name in check.wrong_answers:
        wrong[name] = {k: np.asarray(v) for k, v in WRONG_ANSWERS[name].produce(case, expected).items()}
        messages[name] = WRONG_ANSWERS[name].message
    variants = {}
    if check.conventions:
        from .checks import conventions

        for name, impl in conventions.variants(check.conventions, reference).items():
            variants[name] = {k: np.asarray(v) for k, v in check.run(impl, case).items()}
    return Fixture(case, expected, wrong, messages, variants)


def build(reference_package: str = "reference") -> dict[str, Fixture]:
    reference = Impl(reference_package)
    return {cid: compute(check, case_for(check), reference) for cid, check in registry.all_checks().items()}


def _flatten(fixtures: dict[str, Fixture]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    meta = {}
    for cid, fx in fixtures.items():
        meta[cid] = {"params": dict(fx.case.params), "messages": fx.messages}
        for k, v in fx.case.arrays.items():
            arrays[f"{cid}|in|{k}"] = v
        for k, v in fx.case.held.items():
            arrays[f"{cid}|held|{k}"] = v
        for k, v in fx.expected.items():
            arrays[f"{cid}|out|{k}"] = v
        for w, outs in fx.wrong.items():
            for k, v in outs.items():
                arrays[f"{cid}|wrong|{w}|{k}"] = v
        for name, outs in fx.variants.items():
            for k, v in outs.items():
                arrays[f"{cid}|alt|{name}|{k}"] = v
    arrays["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays


def save(fixtures: dict[str, Fixture], path: Path = PUBLIC_PATH) -> None:
    """Write atomically."""
    arrays = _flatten(fixtures)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object: numpy would append ".npz" to a path
            np.savez_compressed(fh, **arrays)

    atomic_write(path, write)


def load(path: Path = PUBLIC_PATH) -> dict[str, Fixture]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: the public fixtures are missing (run `python -m grader fixtures`)")
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        parts: dict[str, dict] = {cid: {"in": {}, "held": {}, "out": {}, "wrong": {}, "alt": {}} for cid in meta}
        for key in data.files:
            if key == "__meta__":
                continue
            cid, kind, rest = key.split("|", 2)
            if kind in ("wrong", "alt"):
                w, name = rest.split("|", 1)
                parts[cid][kind].setdefault(w, {})[name] = data[key]
            else:
                parts[cid][kind][rest] = data[key]
    return {
        cid: Fixture(
            Case(p["in"], meta[cid]["params"], p["held"]), p["out"], p["wrong"], meta[cid]["messages"], p["alt"]
        )
        for cid, p in parts.items()
    }


# How far a fresh build may drift from the committed fixture before it counts as stale: the
# rounding a different BLAS (summation order, FMA) puts in the last bits, amplified by the
# cancellation in the numeric gradients (eps * |f| / h ~ 1e-10 at h = 1e-5). A changed
# reference moves its outputs by far more than this.
STALE_RTOL = {"f8": 1e-8, "f4": 1e-4}
STALE_ATOL_SCALE = {"f8": 1e-9, "f4": 1e-5}  # times max(1, max |fixture|)


def _drifted(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return True
    if a.dtype.kind != "f":
        return not np.array_equal(a, b)
    key = "f4" if a.dtype.itemsize <= 4 else "f8"
    finite = np.abs(b[np.isfinite(b)])
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    return not np.allclose(a, b, rtol=STALE_RTOL[key], atol=STALE_ATOL_SCALE[key] * scale, equal_nan=True)


def stale(path: Path = PUBLIC_PATH) -> list[str]:
    """One line per check whose committed fixture differs from a fresh build.

    Integer and string arrays must match exactly; floating arrays within STALE_RTOL and
    STALE_ATOL_SCALE of their dtype, because BLAS builds round the last bits differently.
    """
    fresh = build()
    try:
        old = load(path)
    except FileNotFoundError as exc:
        return [str(exc)]
    problems = [f"missing: {cid}" for cid in sorted(set(fresh) - set(old))]
    problems += [f"unexpected: {cid}" for cid in sorted(set(old) - set(fresh))]
    for cid in sorted(set(fresh) & set(old)):
        a, b = _flatten({cid: fresh[cid]}), _flatten({cid: old[cid]})
        if set(a) != set(b) or any(_drifted(a[k], b[k]) for k in a):
            problems.append(f"differs: {cid}")
    return problems
