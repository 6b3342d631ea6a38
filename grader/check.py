"""``python -m grader check``: the public checks against the student's tree.

The pipeline: load the rubric -> load the public fixtures -> run every selected
check's code in a child process (``grader.runner``) -> score on this side
(``grader.scoring``). Rendering is the caller's business (``grader.render``).
"""
from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import fixtures as fixtures_mod
from . import isolation
from . import rubric as rubric_mod
from .checks import registry
from .i18n import _
from .layout import without_fast_layers
from .locate import definition
from .paths import project_root
from .results import QuestionResult, Status
from .runner import Task, run_checks
from .scoring import score_question


class SelectionError(ValueError):
    """An unknown question or check id."""


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
            _("unknown question {questions} in {rubric} (known: {known})").format(
                questions=", ".join(unknown), rubric=rubric.path, known=", ".join(rubric.question_ids)
            )
        )
    return _run_specs([rubric.question(q) for q in wanted], implementation, root, fixtures_path, rubric.question_ids)


def run_ids(
    check_ids: Sequence[str],
    *,
    implementation: str = "student",
    root: Path | None = None,
    rubric: rubric_mod.Rubric | None = None,
    fixtures_path: Path = fixtures_mod.PUBLIC_PATH,
) -> list[QuestionResult]:
    """Run the named public checks against ``implementation``, scored with ``rubric``.

    The same machinery as ``run`` (child process, public fixtures, scoring). One
    ``QuestionResult`` per question touched, in rubric order, holding only the
    named checks in the order given; its ``max_points`` is the sum of theirs.
    """
    rubric = rubric or rubric_mod.load()
    root = root or project_root()
    if not check_ids:
        raise SelectionError(_("no check id given"))
    where = {spec.id: q for q in rubric.questions for spec in q.checks}
    unknown = [c for c in check_ids if c not in where]
    if unknown:
        known = registry.all_checks()
        reasons = [_("{id} (not in {rubric})").format(id=c, rubric=rubric.path) if c in known else c for c in unknown]
        raise SelectionError(_("unknown check id {ids}").format(ids=", ".join(reasons)))
    wanted = list(dict.fromkeys(check_ids))
    specs = []
    for q in rubric.questions:
        mine = [next(s for s in q.checks if s.id == cid) for cid in wanted if where[cid] is q]
        if mine:
            points = sum(s.points for s in mine)
            specs.append(dataclasses.replace(q, points=points, checks=tuple(mine)))
    return _run_specs(specs, implementation, root, fixtures_path, rubric.question_ids)


def _run_specs(
    specs: Sequence[rubric_mod.QuestionSpec], implementation: str, root: Path, fixtures_path: Path,
    order: Sequence[str] | None = None,
) -> list[QuestionResult]:
    fixtures = fixtures_mod.load(fixtures_path)
    checks = registry.all_checks()
    tasks = []
    for q in specs:
        for spec in q.checks:
            check = checks[spec.id]
            tasks.append(Task(spec.id, fixtures[spec.id].case, spec.timeout or check.timeout))
    # the naive layers' checks, as under grade, on a copy of the package without the fast layers
    naive = [t for t in tasks if checks[t.check_id].naive]
    rest = [t for t in tasks if not checks[t.check_id].naive]
    outcomes = run_checks(implementation, [str(root)], rest) if rest else {}
    if naive:
        with tempfile.TemporaryDirectory(prefix="a2kit-naive-") as tmp:
            copy = without_fast_layers(root, implementation, Path(tmp) / "tree")
            outcomes.update(run_checks(implementation, [str(copy)], naive))
    results = [_located(score_question(q, checks, outcomes, fixtures), checks, root, implementation) for q in specs]
    # the handout has no reference to stand in for a failed earlier unit (grade's isolate): say so instead
    return isolation.with_hints(results, [cid for cid, c in checks.items() if c.naive], order)


def _located(q: QuestionResult, checks, root: Path, implementation: str) -> QuestionResult:
    """FAIL rows without a location get the definition of the function under test (``grader.locate``)."""
    fixed = []
    for c in q.checks:
        if c.status is Status.FAIL and not c.location:
            found = (definition(root, implementation, call) for call in checks[c.check_id].calls)
            where = next(filter(None, found), "")
            c = dataclasses.replace(c, location=where) if where else c
        fixed.append(c)
    return dataclasses.replace(q, checks=tuple(fixed))
