"""The untrusted side of ``grade --execute-notebooks``: runs a submission's notebooks.

Started by ``grader.nbrunner.run_notebooks`` as ``python -m grader.nbworker JOBDIR
FD CMDFD`` inside the sandbox (with the grader copy of
``grader.sandbox.NOTEBOOK_GRADER_FILES``). ``JOBDIR/job.json`` lists the
notebooks; each is executed top to bottom by ``grader.notebooks.execute``
(nbclient, fast mode, the job's per-cell timeout) with the job's ``root`` (a
handout-like folder: the assembled package, the rubric, the notebooks) as the
project root, one at a time as the grader asks on CMDFD, and the executed copy,
complete or up to the failing cell, goes back as the payload of its ``end``
event (``grader.channel`` frames on FD, as for ``grader.worker``; a ``cell``
event as each code cell starts, so that the grader enforces the per-cell limit
itself). The trusted side reads the copies as plain JSON and sanitizes them before rendering;
nothing here affects a score.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .worker import _last_line, open_job


def main(argv: list[str]) -> int:
    jobdir, job, emit, commands = open_job(argv)
    return _notebooks(jobdir, job, emit, commands)


def _notebooks(jobdir: Path, job: dict, emit, commands) -> int:
    import nbformat

    from .notebooks import NotebookError, execute

    emit(event="ready")
    for index in commands():
        item = job["notebooks"][index]
        emit(event="start", id=item["id"])
        started = time.perf_counter()
        status, message, nb = "ok", "", None
        try:
            nb = execute(
                item["path"],
                implementation=job["package"],
                fast=True,
                timeout=float(job["cell_timeout"]),
                root=job["root"],
                on_cell=lambda cid=item["id"]: emit(event="cell", id=cid),
            )
        except NotebookError as exc:
            status, message, nb = "error", str(exc)[:500], exc.notebook
        except BaseException as exc:  # noqa: BLE001 - every failure is the notebook's outcome
            status, message = "error", _last_line(exc)
        payload = b""
        if nb is not None:
            try:
                payload = nbformat.writes(nb).encode("utf-8")
            except Exception as exc:  # noqa: BLE001
                status, message = "error", f"could not save the executed notebook ({_last_line(exc)})"
        emit(payload, event="end", id=item["id"], status=status, message=message, seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
