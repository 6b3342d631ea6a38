"""``python -m grader export``: the Gradescope autograder bundle (``gradescope``) and LMS grade files (``lms``)."""
