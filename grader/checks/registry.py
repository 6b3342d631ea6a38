"""Every declared check, by id. Modules are listed here and imported once."""
from __future__ import annotations

import functools
import importlib

from .base import Check

#: The modules that declare checks; each has a ``CHECKS`` tuple.
CHECK_MODULES = ("q1", "q2", "q3", "q4", "q5", "tp2")


@functools.cache
def all_checks() -> dict[str, Check]:
    out: dict[str, Check] = {}
    for name in CHECK_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for check in module.CHECKS:
            if check.id in out:
                raise RuntimeError(f"check id {check.id!r} is declared twice ({name})")
            out[check.id] = check
    return out


def get(check_id: str) -> Check:
    try:
        return all_checks()[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r}") from None


def for_question(question: str) -> list[Check]:
    return [c for c in all_checks().values() if c.question == question]
