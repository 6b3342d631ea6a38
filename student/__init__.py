"""Assignment 2's package: the reference solution in ``reference/``, the stubs in ``student/``.

Every region a student must write is enclosed, in ``reference/``, between a
line reading ``# BEGIN SOLUTION`` and a line reading ``# END SOLUTION`` (see
the README). ``python -m grader stubs`` generates ``student/`` from it by
replacing each region with a stub that raises ``NotImplementedError``; this
file is copied unchanged.
"""
