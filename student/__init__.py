"""The reference implementation of Assignment 2: the single source of truth.

Every region a student must write is enclosed between a line reading
``# BEGIN SOLUTION`` and a line reading ``# END SOLUTION`` (see the README).
``python -m grader stubs`` turns this package into ``student/`` by replacing
each region with a stub that raises ``NotImplementedError``.
"""
