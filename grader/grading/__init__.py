"""``python -m grader grade``: grade submissions with hidden inputs, each isolated, many at once.

The package, one concern per module:

- ``secret``: where the grading secret comes from;
- ``hidden``: the hidden cases and the reference's expected values (``HiddenFixtures``);
- ``plan``: which submissions, under which ids, and which are graded again (``resume``);
- ``job`` and ``steps``: one submission through the pipeline ``STEPS``, ending in ``render``;
- ``outputs``: the files of ``DIR`` (row, results.json, gradebook.csv, summary.html);
- ``executors``: serial, threads or Dask, behind one ``map(tasks, on_done)``;
- ``batch``: ``grade``, which ties them together.
"""

from .batch import Reporter, grade
from .executors import SchedulerError, Task, grade_task
from .hidden import HiddenFixtures, ReferenceUnavailable, hidden_for
from .outputs import (
    GRADEBOOK,
    REPORT,
    RESULTS,
    SUMMARY,
    WORKER_LOG,
    Graded,
    gradebook_text,
    row_from_results,
    write_outputs,
)
from .plan import default_workers, expand, plan, submission_id
from .secret import SECRET_ENV, SECRET_FILE, resolve_secret
from .steps import STEPS, default_launcher_factory, grade_submission, graded_by

__all__ = [
    "GRADEBOOK",
    "REPORT",
    "RESULTS",
    "SECRET_ENV",
    "SECRET_FILE",
    "STEPS",
    "SUMMARY",
    "WORKER_LOG",
    "Graded",
    "HiddenFixtures",
    "ReferenceUnavailable",
    "Reporter",
    "SchedulerError",
    "Task",
    "default_launcher_factory",
    "default_workers",
    "expand",
    "grade",
    "grade_submission",
    "grade_task",
    "gradebook_text",
    "graded_by",
    "hidden_for",
    "plan",
    "resolve_secret",
    "row_from_results",
    "submission_id",
    "write_outputs",
]
