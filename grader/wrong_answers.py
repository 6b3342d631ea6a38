"""Catalogued wrong answers: what a known bug returns on a check's inputs.

INSTRUCTOR-ONLY: several producers are one edit away from a correct solution,
so ``release`` leaves this module out of the student handout; the public
fixtures carry the wrong answers' outputs on the public inputs instead.

Each entry is a ``WrongAnswer(message, produce)``; ``produce(case, expected)``
returns the arrays the bug would return (a subset of the check's outputs is
enough). The producers are written here, independently of ``reference/``.
"""
from __future__ import annotations

import numpy as np

from .checks.base import Arrays, Case, WrongAnswer

WRONG_ANSWERS: dict[str, WrongAnswer] = {}


def wrong_answer(name: str, message: str):
    """Register ``produce`` under ``name``."""

    def register(produce):
        if name in WRONG_ANSWERS:
            raise RuntimeError(f"wrong answer {name!r} registered twice")
        WRONG_ANSWERS[name] = WrongAnswer(message, produce)
        return produce

    return register


@wrong_answer("affine_no_reshape_bias_twice", "the bias is added twice")
def _affine_bias_twice(case: Case, expected: Arrays) -> Arrays:
    return {"out": expected["out"] + case["b"]}


@wrong_answer("affine_db_mean", "db is the mean over the batch instead of the sum")
def _affine_db_mean(case: Case, expected: Arrays) -> Arrays:
    return {"db": expected["db"] / case["dout"].shape[0]}
