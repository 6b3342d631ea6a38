"""``python -m grader check``: the public checks against the student's tree.

The pipeline: load the rubric -> load the public fixtures -> run every selected
check's code in a child process (``grader.runner``) -> score on this side
(``grader.scoring``). Rendering is the caller's business (``grader.render``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from . import fixtures as fixtures_mod
from . import rubric as rubric_mod
from .checks import registry
from .checks.base import QuestionResult
from .paths import project_root
from .runner import Task, run_checks
from .scoring import score_question


class SelectionError(ValueError):
    """An unknown question id."""


def run(
    questions: Sequence[str] | None = None,
    *,
    implementation: str = "student",
    root: Path | None = None,
    rubric: rubric_mod.Rubric | None = None,
    fixtures_path: Path = fixtures_mod.PUBLIC_PATH,
) -> list[QuestionResult]:
    """Run the public checks of ``questions`` (all when None) against ``implementation``."""
    rubric = rubric or rubric_mod.load()
    root = root or project_root()
    wanted = list(questions) if questions else rubric.question_ids
    unknown = [q for q in wanted if q not in rubric.question_ids]
    if unknown:
        raise SelectionError(
            f"unknown question {', '.join(unknown)} in {rubric.path} (known: {', '.join(rubric.question_ids)})"
        )
    fixtures = fixtures_mod.load(fixtures_path)
    checks = registry.all_checks()
    specs = [rubric.question(q) for q in wanted]
    tasks = []
    for q in specs:
        for spec in q.checks:
            check = checks[spec.id]
            tasks.append(Task(spec.id, fixtures[spec.id].case, spec.timeout or check.timeout))
    outcomes = run_checks(implementation, [str(root)], tasks)
    return [score_question(q, checks, outcomes, fixtures) for q in specs]
