"""Catalogued wrong answers: what a known bug returns on a check's inputs.

INSTRUCTOR-ONLY: several producers are one edit away from a correct solution,
so ``release`` leaves this package out of the student handout; the public
fixtures carry the wrong answers' outputs on the public inputs instead.

Each entry is a ``WrongAnswer(message, produce)``; ``produce(case, expected)``
returns the arrays the bug would return on the check's case (a subset of the
check's outputs is enough). The producers are written here, independently of
``reference/``. One module per question registers its entries with
``@wrong_answer(name, message)``.
"""
from . import q1, q2, q3, q4  # noqa: F401,E402  (registration)
from ._registry import WRONG_ANSWERS, wrong_answer  # noqa: F401
