"""The registry of wrong answers (see the package docstring)."""
from __future__ import annotations

from ..checks.base import WrongAnswer

WRONG_ANSWERS: dict[str, WrongAnswer] = {}


def wrong_answer(name: str, message: str):
    """Register ``produce`` under ``name``."""

    def register(produce):
        if name in WRONG_ANSWERS:
            raise RuntimeError(f"wrong answer {name!r} registered twice")
        WRONG_ANSWERS[name] = WrongAnswer(message, produce)
        return produce

    return register
