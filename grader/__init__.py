"""The a2kit grader: checks, collection, batch grading and maintenance verbs."""

__version__ = "0.1.0"
