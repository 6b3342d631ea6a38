"""Where the submissions of a batch are graded: in this thread, on threads, or on a Dask cluster.

Each executor has one method, ``map(tasks, on_done)``: it grades every
``Task`` (``grade_task``) and calls ``on_done(index, Graded | exception)`` in
the calling thread as each one ends (completion order), so only that thread
writes into the output folder.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from .. import i18n
from .. import rubric as rubric_mod
from ..i18n import _
from .hidden import hidden_for
from .outputs import Graded
from .steps import default_launcher_factory, grade_submission

OnDone = Callable[[int, "Graded | BaseException"], None]


@dataclasses.dataclass(frozen=True)
class Task:
    """Everything needed to grade one submission, in any process (picklable).

    A Dask worker must see ``submission`` and ``release_root`` at the same
    paths (a shared file system) and have a2kit installed; it recomputes the
    hidden fixtures from ``secret`` once per process. The secret travels to
    the workers: use a cluster only you control.
    """

    index: int
    """The submission's place in the batch's plan."""
    submission: str
    sid: str
    rubric: rubric_mod.Rubric
    secret: str
    release_root: str
    execute_notebooks: bool = False
    launcher_factory: Callable[[Path], object] = default_launcher_factory
    submitted_at: object = None
    """An aware datetime (``--submitted-at``) for the rubric's late policy."""
    pdf: bool = False
    original: str = ""
    """The submission's name as given (the path may be resolved for a remote worker)."""
    language: str | None = None
    """The language of the reports (``grader.i18n``), set in the worker: a Dask worker is another process."""


def grade_task(task: Task) -> Graded:
    """Grade one submission in this process; the caller writes the outputs."""
    release_root = Path(task.release_root)
    if task.language and task.language != i18n.language():
        i18n.set_language(task.language)
    hidden = hidden_for(task.secret, release_root, task.rubric)  # cached per process
    return grade_submission(
        Path(task.submission),
        task.sid,
        rubric=task.rubric,
        hidden=hidden,
        release_root=release_root,
        launcher_factory=task.launcher_factory,
        execute_notebooks=task.execute_notebooks,
        submitted_at=task.submitted_at,
        pdf=task.pdf,
        original=task.original,
    )


class Executor(Protocol):
    def map(self, tasks: Sequence[Task], on_done: OnDone) -> None: ...


class Serial:
    """One submission after another, in the calling thread."""

    def map(self, tasks: Sequence[Task], on_done: OnDone) -> None:
        for task in tasks:
            try:
                result: Graded | BaseException = grade_task(task)
            except Exception as exc:  # noqa: BLE001 - a grader bug costs that submission's row only
                result = exc
            on_done(task.index, result)


@dataclasses.dataclass
class Threads:
    """``workers`` submissions at once on threads (the work is in the sandboxed children)."""

    workers: int

    def map(self, tasks: Sequence[Task], on_done: OnDone) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="a2kit-grade") as pool:
            futures = {pool.submit(grade_task, task): task.index for task in tasks}
            try:
                for fut in concurrent.futures.as_completed(futures):
                    exc = fut.exception()
                    on_done(futures[fut], exc if exc is not None else fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


class SchedulerError(RuntimeError):
    """``--scheduler`` cannot be used: dask.distributed missing or the scheduler unreachable."""


@dataclasses.dataclass
class Dask:
    """Each submission as a task on the Dask distributed cluster at ``scheduler``."""

    scheduler: str

    def map(self, tasks: Sequence[Task], on_done: OnDone) -> None:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise SchedulerError(_("--scheduler needs dask.distributed: pip install 'a2kit[dask]'")) from None
        try:
            client = Client(self.scheduler, set_as_default=False, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                _("cannot reach the Dask scheduler at {scheduler}: {error}").format(scheduler=self.scheduler, error=exc)
            ) from None
        with client:
            futures = {}
            for task in tasks:
                key = f"a2kit-grade-{task.index}-{secrets.token_hex(4)}"
                futures[client.submit(grade_task, task, pure=False, key=key)] = task.index
            for fut in as_completed(list(futures), loop=client.loop):  # this client, not a default one
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker lost or a bug: that submission's row says so
                    result = exc
                on_done(futures[fut], result)


def executor_for(workers: int, scheduler: str | None, n: int) -> Executor:
    """Dask with a scheduler; threads for more than one submission and worker; else serial."""
    if scheduler:
        return Dask(scheduler)
    if workers == 1 or n <= 1:
        return Serial()
    return Threads(workers)
