"""The untrusted side of ``grade --execute-notebooks``: runs a submission's notebooks.

Started by ``grader.runner.run_notebooks`` as ``python -m grader.nbworker JOBDIR
FD`` inside the sandbox (with the grader copy of
``grader.sandbox.NOTEBOOK_GRADER_FILES``). ``JOBDIR/job.json`` lists the
notebooks; each is executed top to bottom by ``grader.notebooks.execute``
(nbclient, fast mode, the job's per-cell timeout) with the job's ``root`` (a
handout-like folder: the assembled package, the rubric, the notebooks) as the
project root, and the executed copy, complete or up to the failing cell, goes
to ``JOBDIR/out/<id>.ipynb``. Progress goes to file descriptor FD as JSON
lines (``start`` / ``end`` events), as for ``grader.worker``. The trusted side
reads the copies back as plain JSON and sanitizes them before rendering;
nothing here affects a score.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .worker import _last_line, open_job


def main(argv: list[str]) -> int:
    jobdir, job, emit = open_job(argv)
    return _notebooks(jobdir, job, emit)


def _notebooks(jobdir: Path, job: dict, emit) -> int:
    import nbformat

    from .notebooks import NotebookError, execute

    (jobdir / "out").mkdir(exist_ok=True)
    for item in job["notebooks"]:
        emit(event="start", id=item["id"])
        started = time.perf_counter()
        status, message, nb = "ok", "", None
        try:
            nb = execute(
                item["path"], implementation=job["package"], fast=True, timeout=float(job["cell_timeout"]), root=job["root"]
            )
        except NotebookError as exc:
            status, message, nb = "error", str(exc)[:500], exc.notebook
        except BaseException as exc:  # noqa: BLE001 - every failure is the notebook's outcome
            status, message = "error", _last_line(exc)
        if nb is not None:
            try:
                nbformat.write(nb, str(jobdir / "out" / f"{item['id']}.ipynb"))
            except Exception as exc:  # noqa: BLE001
                status, message = "error", f"could not save the executed notebook ({_last_line(exc)})"
        emit(event="end", id=item["id"], status=status, message=message, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
