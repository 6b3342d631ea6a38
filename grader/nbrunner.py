"""The trusted side of ``grade --execute-notebooks``: each notebook run top to bottom in a sandboxed child.

The child is ``grader.nbworker``, followed through the same protocol as the
checks (``grader.session``), with this side's per-cell and per-notebook clocks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .checks.base import Case
from .session import Launcher, Task, direct_launcher, run_worker
from .unpack import remove_tree

#: Default seconds per notebook cell (``grade --execute-notebooks``), and the largest executed notebook read back.
NOTEBOOK_CELL_TIMEOUT = 120.0
NOTEBOOK_MAX_BYTES = 32 << 20
#: Default wall-clock seconds per notebook, whatever its number of cells (enforced on this side).
NOTEBOOK_SECONDS = 900.0


@dataclasses.dataclass
class NotebookRun:
    """One notebook executed on the untrusted side: the executed copy (None if none came back) and why it stopped."""

    name: str
    ok: bool
    message: str = ""
    seconds: float = 0.0
    notebook: object | None = None  # an nbformat NotebookNode, not yet sanitized


def _read_notebook(payload: bytes | None):
    """The executed notebook the worker sent (its end event's payload), through nbformat; (None, reason) if unusable."""
    import nbformat

    if not payload:
        return None, ""
    try:
        return nbformat.reads(payload.decode("utf-8", errors="replace"), as_version=4), ""
    except Exception as exc:  # noqa: BLE001 - anything the submission wrote may be malformed
        return None, f"the executed notebook is unreadable ({exc.__class__.__name__})"


def _handout_root(root: Path, package_dir: Path, package: str, release_root: Path) -> None:
    """``root/<package>``, ``root/rubric.yaml``, ``root/rubrics/``, an empty ``root/notebooks/``."""
    shutil.copytree(package_dir, root / package)
    for name in ("rubric.yaml", "rubrics"):
        src = release_root / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        elif src.is_file():
            shutil.copyfile(src, root / name)
    (root / "notebooks").mkdir()


def run_notebooks(
    notebooks: Sequence[Path],
    *,
    tree: Path,
    package: str,
    release_root: Path,
    launcher: Launcher = direct_launcher,
    cell_timeout: float = NOTEBOOK_CELL_TIMEOUT,
    notebook_seconds: float = NOTEBOOK_SECONDS,
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
    budget: float | None = None,
) -> list[NotebookRun]:
    """Execute ``notebooks`` top to bottom (fast mode) against ``tree/<package>`` in child processes.

    The child (``grader.nbworker``) sees a folder laid out like the handout (``<package>/``,
    ``rubric.yaml``, ``rubrics/``, ``notebooks/``) and runs
    ``grader.notebooks.execute`` on each notebook with ``cell_timeout``
    seconds per cell. This side enforces the limits itself, whatever happens in
    the sandbox: ``cell_timeout`` between the child's ``cell`` events (plus the
    kernel's start before the first), ``notebook_seconds`` per notebook however
    many cells it has, ``budget`` (default: ``notebook_seconds`` per notebook)
    for all of them; past one it kills the process tree, then goes on with a
    fresh child. The executed copies come back over the channel, never by path.
    A failure is a ``NotebookRun`` with ``ok`` False and the reason; what the
    notebook ran up to then is kept.
    """
    runs: dict[str, NotebookRun] = {}
    entries, tasks, names = [], [], set()
    for k, path in enumerate(notebooks):
        name = path.name
        while name in names:
            name = f"{k}-{name}"
        names.add(name)
        entries.append({"id": f"nb{k}", "name": name, "source": path})
        tasks.append(Task(f"nb{k}", Case({}), notebook_seconds))
    deadline_all = time.monotonic() + (notebook_seconds * len(tasks) if budget is None else budget)
    base = Path(tempfile.mkdtemp(prefix="a2kit-nbjob-", dir=workdir))
    os.chmod(base, 0o755)
    try:
        pending = list(tasks)
        attempt = 0
        while pending and time.monotonic() < deadline_all:
            jobdir = base / f"run{attempt}"
            attempt += 1
            todo = [e for e in entries if e["id"] in {t.check_id for t in pending}]
            _write_notebook_job(jobdir, todo, tree, package, release_root, cell_timeout)
            done = run_worker(
                jobdir,
                pending,
                launcher,
                env,
                load_outputs=False,
                module="grader.nbworker",
                deadline_all=deadline_all,
                cell_timeout=cell_timeout,
                max_payload=NOTEBOOK_MAX_BYTES,
            )
            runs.update({e["id"]: _notebook_run(e["name"], done[e["id"]]) for e in todo if e["id"] in done})
            pending = [t for t in pending if t.check_id not in runs]
    finally:
        remove_tree(base)
    for t, e in zip(tasks, entries, strict=False):
        if t.check_id not in runs:
            runs[t.check_id] = NotebookRun(e["name"], False, "not run: the notebooks' time budget is spent")
    return [runs[t.check_id] for t in tasks]


def _write_notebook_job(jobdir: Path, todo: list[dict], tree: Path, package: str, release_root, cell_timeout) -> None:
    """``jobdir/root``, laid out like the handout with the notebooks to run, and ``jobdir/job.json``."""
    root = (
        jobdir / "root"
    )  # inside the job folder (the sandbox gives it to its user): the only place the child may write
    _handout_root(root, Path(tree) / package, package, Path(release_root))
    for e in todo:
        shutil.copyfile(e["source"], root / "notebooks" / e["name"])
    job = {
        "mode": "notebooks",
        "package": package,
        "root": str(root),
        "cell_timeout": cell_timeout,
        "notebooks": [{"id": e["id"], "name": e["name"], "path": str(root / "notebooks" / e["name"])} for e in todo],
    }
    (jobdir / "job.json").write_text(json.dumps(job))


def _notebook_run(name: str, outcome) -> NotebookRun:
    """A notebook's ``Outcome`` as a ``NotebookRun``: the executed copy, ok only if it came back readable."""
    nb, problem = _read_notebook(outcome.payload)
    message = "" if outcome.status == "ok" else outcome.message
    if outcome.status == "ok" and problem:
        message = problem
    return NotebookRun(name, outcome.status == "ok" and nb is not None, message, outcome.seconds, nb)
