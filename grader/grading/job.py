"""One submission going through the pipeline: the ``Job`` each step reads and fills."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from .. import layout as layout_mod
from .. import rubric as rubric_mod
from ..channel import HeadTail
from ..nbrunner import NotebookRun
from ..results import QuestionResult
from .hidden import HiddenFixtures


@dataclasses.dataclass
class Job:
    """The state of one submission's grading; private to the thread grading it."""

    submission: Path
    """The zip or folder as given."""
    id: str
    """Its unique safe id (``DIR/<id>/``)."""
    tmp: Path
    """A private temp folder: ``unpacked/`` then ``tree/`` (the assembled package), removed at the end."""
    rubric: rubric_mod.Rubric
    """The rubric; the edition step narrows it to the checks the edition has."""
    hidden: HiddenFixtures
    """The batch's cases and expected values."""
    release_root: Path
    """The project whose ``student/`` and ``reference/`` the submission is assembled against."""
    launcher_factory: Callable[[Path], object]
    """Tree -> the sandbox launcher the checks run under."""
    execute_notebooks: bool = False
    """``--execute-notebooks``: run each notebook in a sandbox of its own."""
    pdf: bool = False
    """``--pdf``: print the notebooks into ``DIR/<id>/submission.pdf``."""
    submitted_at: object = None
    """An aware ``datetime`` when the rubric's late policy applies."""
    original_name: str = ""
    """The submission's name as given (results.json ``a2kit.original_name``)."""
    layout: layout_mod.Layout | None = None
    """Set by ``detect layout``."""
    edition: object = None
    """``grader.editions.Edition`` (cs231n layout), set by ``edition``."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """Lines for the report and results.json (modified files, edition, warnings)."""
    outcomes: dict = dataclasses.field(default_factory=dict)
    """Check id -> the sandbox's ``Outcome``, set by ``run checks``."""
    results: list[QuestionResult] = dataclasses.field(default_factory=list)
    """Set by ``score``."""
    notebook_runs: list[NotebookRun] | None = None
    """Set by ``run notebooks``; None: notebooks not executed."""
    log: HeadTail = dataclasses.field(default_factory=HeadTail)
    """The check workers' stdout and stderr (first and last 64 KiB): ``DIR/<id>/worker.log``, not for the student."""
    started: float = dataclasses.field(default_factory=time.monotonic)
    error: str | None = None
    """The one-line reason when a step failed (the row's status is then ``error``)."""
