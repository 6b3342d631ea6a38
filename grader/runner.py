"""The trusted side of running checks: one child process, a timeout per check.

``run_checks`` writes a job folder, starts ``grader.worker`` in a new process
session and follows its progress events (``grader.session``). A check that outlives its timeout gets
the whole process group killed and is reported as ``timeout``; a check during
which the process dies (``os._exit``, a crash, a kill for memory) is an
``error``; in both cases a fresh worker resumes with the next check, so one bad
function costs only its own check.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .channel import HeadTail
from .i18n import _
from .session import STARTUP_SECONDS, Launcher, Outcome, Task, direct_launcher, run_worker
from .unpack import remove_tree

__all__ = ["Launcher", "Outcome", "Task", "direct_launcher", "npz_bytes", "run_checks"]


def npz_bytes(arrays) -> bytes:
    """``arrays`` as the bytes of an ``.npz`` file (what ``_write_job`` writes for a task)."""
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write_job(
    jobdir: Path,
    package: str,
    sys_path: Sequence[str],
    tasks: Sequence[Task],
    poisoned: dict[str, str] | None = None,
    options: dict | None = None,
) -> None:
    (jobdir / "in").mkdir(parents=True, exist_ok=True)
    for t in tasks:
        if t.payload is not None:
            (jobdir / "in" / f"{t.check_id}.npz").write_bytes(t.payload)
        else:
            np.savez(jobdir / "in" / f"{t.check_id}.npz", **t.case.arrays)
    job = {
        "package": package,
        "sys_path": list(sys_path),
        "checks": [{"id": t.check_id, "params": dict(t.case.params)} for t in tasks],
        "poisoned": dict(poisoned or {}),
        **(options or {}),  # edition, numpy_compat (grader.editions)
    }
    (jobdir / "job.json").write_text(json.dumps(job))


def run_checks(
    package: str,
    sys_path: Sequence[str],
    tasks: Sequence[Task],
    *,
    launcher: Launcher = direct_launcher,
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
    budget: float | None = None,
    log: HeadTail | None = None,
    edition: str | None = None,
    numpy_compat: bool = False,
) -> dict[str, Outcome]:
    """Run ``tasks`` against ``package`` (importable from ``sys_path``) in child processes.

    One worker runs every check in turn; after a check that timed out or
    during which the worker died, a fresh worker takes the remaining ones.
    When that happened while the worker was importing one of the
    implementation's modules (the worker reports ``import``/``imported``
    events), the module is *poisoned*: later workers refuse to import it, so
    every other check that needs it fails at once with the reason instead of
    timing out again (an infinite loop at import costs one timeout per module,
    not one per check).

    ``budget``: the submission's wall-clock seconds for all of it, enforced
    here (default: the sum of the time limits plus ``STARTUP_SECONDS``); once
    spent, the checks not yet done are ``timeout``. ``log``: receives the
    workers' stdout and stderr (its head and tail), which never reach a score.

    ``edition`` (a ``grader.editions`` name): the worker adapts the grader's
    calls to that edition's API; ``numpy_compat``: it restores NumPy's removed
    aliases (``np.int``...) before importing the implementation.
    """
    results: dict[str, Outcome] = {}
    if budget is None:
        budget = sum(t.timeout for t in tasks) + STARTUP_SECONDS
    deadline_all = time.monotonic() + budget
    base = Path(tempfile.mkdtemp(prefix="a2kit-job-", dir=workdir))
    try:
        pending = list(tasks)
        attempt = 0
        poisoned: dict[str, str] = {}
        while pending:
            if time.monotonic() >= deadline_all:
                for t in pending:
                    results[t.check_id] = Outcome(
                        "timeout",
                        message=_("not run: the submission's time budget ({budget} s) is spent").format(
                            budget=f"{budget:g}"
                        ),
                    )
                break
            jobdir = base / f"run{attempt}"
            attempt += 1
            _write_job(jobdir, package, sys_path, pending, poisoned, {"edition": edition, "numpy_compat": numpy_compat})
            done = run_worker(jobdir, pending, launcher, env, poisoned=poisoned, deadline_all=deadline_all, log=log)
            results.update(done)
            pending = [t for t in pending if t.check_id not in results]
    finally:
        remove_tree(base)
    return results
