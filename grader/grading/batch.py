"""``grade`` over many submissions: plan, resume, execute, and write ``DIR`` as each one ends.

Only the calling thread writes into ``DIR``: ``DIR/<id>/report.html`` then
``results.json`` as each submission ends, ``DIR/gradebook.csv`` (the rows of
every submission in ``DIR``, sorted by id) after each, ``DIR/summary.html``
every ``summary_every`` submissions and at the end, all atomically, so a batch
killed midway leaves valid files. A submission being regraded keeps its old
row until its new one is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from .. import gradebook as gradebook_mod
from .. import i18n
from .. import rubric as rubric_mod
from ..atomic import atomic_write_text
from ..gradebook import Row
from ..paths import project_root
from .executors import Task, executor_for
from .hidden import hidden_for
from .outputs import (
    GRADEBOOK,
    RESULTS,
    Graded,
    error_row,
    gradebook_text,
    row_from_results,
    summary_title,
    write_outputs,
    write_summary,
)
from .plan import default_workers, original_name, plan, resume
from .secret import resolve_secret
from .steps import default_launcher_factory


class Reporter(Protocol):
    """The progress of a batch (``grader.progress.ProgressBar`` is one).

    ``start(total, skipped)`` once; ``done(row)`` for every row, in completion
    order, the unchanged ones first (``row.skipped``); ``finish()`` at the end,
    also after a failure.
    """

    def start(self, total: int, skipped: int = 0) -> None: ...

    def done(self, row: Row) -> None: ...

    def finish(self) -> None: ...


def grade(
    submissions: Sequence[Path],
    out: Path,
    *,
    rubric: rubric_mod.Rubric | None = None,
    seed: str | None = None,
    force: bool = False,
    release_root: Path | None = None,
    launcher_factory: Callable[[Path], object] = default_launcher_factory,
    workers: int | None = None,
    scheduler: str | None = None,
    execute_notebooks: bool = False,
    reporter: Reporter | None = None,
    summary_every: int = 25,
    submitted_at: dict | None = None,
    pdf: bool = False,
) -> list[Row]:
    """Grade every submission into ``out``; one ``Row`` per submission, in submission order.

    ``workers`` submissions are graded at once (threads, each driving its
    sandboxed child processes; default: the number of cores); with
    ``scheduler`` (a Dask distributed address) the per-submission work runs on
    that cluster instead. ``submitted_at``: submission id -> aware datetime,
    for the rubric's late policy.
    """
    release_root = Path(release_root or project_root()).resolve()
    rubric = rubric or rubric_mod.load()
    secret = resolve_secret(seed, release_root)
    hidden_for(secret, release_root, rubric)  # a failure here is the grader's, not a student's
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    planned = plan(submissions)
    state = resume(planned, out, rubric, secret, force=force)
    rows = state.rows
    todo = state.todo
    if reporter:
        reporter.start(len(planned), len(planned) - len(todo))
        for r in rows:
            if r is not None:
                reporter.done(r)

    # the rows already in DIR, read once: a submission being regraded keeps its old row until its new one
    on_disk = {r.submission: r for r in gradebook_mod.merged(out, [], rubric, row_from_results)}

    def write_gradebook(summary: bool = False) -> None:
        now = {**on_disk, **{r.submission: r for r in rows if r is not None}}
        every = [now[k] for k in sorted(now)]
        atomic_write_text(out / GRADEBOOK, gradebook_text(every, rubric))
        if summary:
            write_summary(out, [r.submission for r in every], title=summary_title(rubric))

    write_gradebook()
    finished = 0

    def on_done(i: int, result: Graded | BaseException) -> None:
        nonlocal finished
        row = None
        if isinstance(result, Graded):
            try:
                if state.hashes[i] and RESULTS in result.files:
                    result.files[RESULTS] = gradebook_mod.with_hashes(result.files[RESULTS], state.hashes[i])
                write_outputs(out, result)
                row = result.row
            except Exception as exc:  # noqa: BLE001 - even a failure to write the outputs is one row
                result = exc
        if row is None:
            row = error_row(planned[i][1], rubric, result)
        row.why = state.why[i]
        rows[i] = row
        finished += 1
        write_gradebook(summary=bool(summary_every and finished % summary_every == 0))
        if reporter:
            reporter.done(row)

    remote = bool(scheduler)
    tasks = [
        Task(
            i,
            str(Path(planned[i][0]).resolve()) if remote else str(planned[i][0]),
            planned[i][1],
            rubric,
            secret,
            str(release_root),
            execute_notebooks,
            launcher_factory,
            submitted_at=(submitted_at or {}).get(planned[i][1]),
            pdf=pdf,
            original=original_name(Path(planned[i][0])),
            language=i18n.language(),
        )
        for i in todo
    ]
    try:
        executor_for(workers, scheduler, len(todo)).map(tasks, on_done)
    finally:
        write_gradebook(summary=True)
        if reporter:
            reporter.finish()
    return [r for r in rows if r is not None]
