"""The trusted side of running checks: one child process, a timeout per check.

``run_checks`` writes a job folder, starts ``grader.worker`` in a new process
session and follows its progress events. A check that outlives its timeout gets
the whole process group killed and is reported as ``timeout``; a check during
which the process dies (``os._exit``, a crash, a kill for memory) is an
``error``; in both cases a fresh worker resumes with the next check, so one bad
function costs only its own check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .channel import MAX_PAYLOAD, FrameReader, HeadTail, ProtocolError, unpack_arrays
from .checks.base import Arrays, Case
from .unpack import remove_tree

#: Seconds the worker may take to start (import numpy) before its first check.
STARTUP_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class Task:
    """One check to run: its case, its time limit, and optionally the case's arrays already as ``.npz`` bytes.

    ``payload`` lets a batch serialize each hidden case once instead of once per submission.
    """

    check_id: str
    case: Case
    timeout: float
    payload: bytes | None = None


def npz_bytes(arrays) -> bytes:
    """``arrays`` as the bytes of an ``.npz`` file (what ``_write_job`` writes for a task)."""
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@dataclasses.dataclass
class Outcome:
    """What came back from the untrusted side for one check."""

    status: str  # ok | not_implemented | error | timeout
    outputs: Arrays | None = None
    message: str = ""
    location: str = ""
    seconds: float = 0.0
    rss_kib: int = 0  # the worker's peak resident memory so far, as it says (informative only)
    payload: bytes | None = None  # the raw payload of the end event, when the caller reads it itself (notebooks)


#: Builds the command that starts the worker: (argv for the worker) -> full argv.
#: The default runs it directly; the sandbox wraps it (see grader.sandbox).
Launcher = Callable[[list[str], Path], list[str]]


def direct_launcher(argv: list[str], jobdir: Path) -> list[str]:
    return argv


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):  # pragma: no cover - SIGKILL does not fail
        proc.wait(timeout=10)


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
                        "timeout", message=f"not run: the submission's time budget ({budget:g} s) is spent"
                    )
                break
            jobdir = base / f"run{attempt}"
            attempt += 1
            _write_job(jobdir, package, sys_path, pending, poisoned, {"edition": edition, "numpy_compat": numpy_compat})
            done = _run_worker(jobdir, pending, launcher, env, poisoned=poisoned, deadline_all=deadline_all, log=log)
            results.update(done)
            pending = [t for t in pending if t.check_id not in results]
    finally:
        remove_tree(base)
    return results


# -- notebooks -------------------------------------------------------------------

#: Default seconds per notebook cell (``grade --execute-notebooks``), and the largest executed notebook read back.
NOTEBOOK_CELL_TIMEOUT = 120.0
NOTEBOOK_MAX_BYTES = 32 << 20
#: Default wall-clock seconds per notebook, whatever its number of cells (enforced on this side).
NOTEBOOK_SECONDS = 900.0
#: Seconds a notebook's kernel may take to start, on top of its first cell's limit (nbclient's own default).
STARTUP_TIMEOUT_NB = 120.0


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
    from .checks.base import Case

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
            root = (
                jobdir / "root"
            )  # inside the job folder (the sandbox gives it to its user): the only place the child may write
            _handout_root(root, Path(tree) / package, package, Path(release_root))
            todo = [e for e in entries if e["id"] in {t.check_id for t in pending}]
            for e in todo:
                shutil.copyfile(e["source"], root / "notebooks" / e["name"])
            job = {
                "mode": "notebooks",
                "package": package,
                "root": str(root),
                "cell_timeout": cell_timeout,
                "notebooks": [
                    {"id": e["id"], "name": e["name"], "path": str(root / "notebooks" / e["name"])} for e in todo
                ],
            }
            (jobdir / "job.json").write_text(json.dumps(job))
            done = _run_worker(
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
            for e in todo:
                if e["id"] not in done:
                    continue
                outcome = done[e["id"]]
                nb, problem = _read_notebook(outcome.payload)
                message = "" if outcome.status == "ok" else outcome.message
                if outcome.status == "ok" and problem:
                    message = problem
                runs[e["id"]] = NotebookRun(
                    e["name"], outcome.status == "ok" and nb is not None, message, outcome.seconds, nb
                )
            pending = [t for t in pending if t.check_id not in runs]
    finally:
        remove_tree(base)
    for t, e in zip(tasks, entries, strict=False):
        if t.check_id not in runs:
            runs[t.check_id] = NotebookRun(e["name"], False, "not run: the notebooks' time budget is spent")
    return [runs[t.check_id] for t in tasks]


def _grader_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


class _Violation(Exception):
    """The worker broke the protocol: the sandbox is killed and the check it was on fails with this reason."""


_STATUSES = ("ok", "not_implemented", "error")


def _run_worker(
    jobdir: Path,
    tasks: Sequence[Task],
    launcher: Launcher,
    env: dict[str, str] | None,
    *,
    load_outputs: bool = True,
    poisoned: dict[str, str] | None = None,
    module: str = "grader.worker",
    deadline_all: float | None = None,
    cell_timeout: float | None = None,
    max_payload: int = MAX_PAYLOAD,
    log: HeadTail | None = None,
) -> dict[str, Outcome]:
    """Run one worker, one check at a time, until it finishes, dies, times out or breaks the protocol.

    This side names each check (``{"run": i}`` on the worker's command pipe) and
    starts its clock when it does; it accepts, for that check only and in that
    order, one ``start``, ``import``/``imported`` (and ``cell`` for notebooks)
    events and one ``end``. Anything else (a second ``start``, another id, an
    unknown or malformed event, an oversized frame) kills the sandbox and fails
    the check. ``deadline_all`` (``time.monotonic()``) caps every check's
    deadline: the submission's own wall-clock budget. ``cell_timeout``
    (notebooks): each ``cell`` event must come within that many seconds of the
    previous one (the per-cell limit, enforced here, whatever happens to the
    client in the sandbox), within the notebook's own limit. The worker's
    stdout and stderr are drained as they come, into ``log`` (head and tail
    kept), never read from a file.

    ``load_outputs``: rebuild each ok check's arrays from its ``end`` payload
    (False: keep the payload as bytes in ``Outcome.payload``). ``poisoned``:
    filled with module -> reason when the worker hangs or dies while importing
    it. ``module``: the worker's module (``grader.nbworker`` for notebooks).
    """
    log = log if log is not None else HeadTail()
    evt_r, evt_w = os.pipe()
    cmd_r, cmd_w = os.pipe()
    out_r, out_w = os.pipe()
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = _grader_root()
    child_env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # Small matrix products are much slower with threaded BLAS on a busy machine,
    # and a batch runs several workers at once: one thread per worker.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(var, "1")
    argv = [sys.executable, "-m", module, str(jobdir), str(evt_w), str(cmd_r)]
    try:
        proc = subprocess.Popen(
            launcher(argv, jobdir),
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=out_w,
            pass_fds=(evt_w, cmd_r),
            start_new_session=True,
            env=child_env,
            cwd=jobdir,
        )
    except BaseException:
        for fd in (evt_r, cmd_w, out_r):  # a launcher or a start failure must not leak the pipes
            os.close(fd)
        raise
    finally:
        for fd in (evt_w, cmd_r, out_w):
            os.close(fd)

    settled: dict[str, Outcome] = {}
    reader = FrameReader(max_payload)
    state = {"current": None, "started": False, "importing": None}
    t0 = time.monotonic()
    clock = {"started": t0, "deadline": _cap(t0 + STARTUP_SECONDS, deadline_all), "cell": None}
    cap_hit = {"by": ""}

    def next_check() -> bool:
        """Name the next unsettled check to the worker; False when none is left."""
        todo = [k for k, t in enumerate(tasks) if t.check_id not in settled]
        if not todo:
            return False
        k = todo[0]
        task = tasks[k]
        now = time.monotonic()
        state.update(current=task.check_id, started=False, importing=None)
        clock["started"] = now
        own = now + task.timeout
        clock["deadline"] = _cap(own, deadline_all)
        cap_hit["by"] = "budget" if clock["deadline"] < own else ""
        clock["cell"] = now + STARTUP_TIMEOUT_NB + cell_timeout if cell_timeout is not None else None
        with contextlib.suppress(OSError):  # the worker is gone: its channel's end says so
            os.write(cmd_w, (json.dumps({"run": k}) + "\n").encode())
        return True

    def on_event(event: dict, payload: bytes) -> bool:
        """Handle one event; True when every task is settled."""
        kind, current = event.get("event"), state["current"]
        if current is None:
            if kind != "ready":
                raise _Violation(f"an event before the worker was ready ({_short(kind)})")
            return not next_check()
        if kind == "ready":
            raise _Violation("a second ready event")
        if event.get("id", current) != current:
            raise _Violation(f"an event for another check ({_short(event.get('id'))}) during {current}")
        if kind == "start":
            if state["started"]:
                raise _Violation(f"a second start event for {current}")
            state["started"] = True
            return False
        if not state["started"]:
            raise _Violation(f"a {_short(kind)} event before the start event")
        if kind in ("import", "imported"):
            name = event.get("module")
            if not isinstance(name, str):
                raise _Violation("a malformed import event")
            state["importing"] = name[:100] if kind == "import" else None
            return False
        if kind == "cell" and cell_timeout is not None:
            clock["cell"] = time.monotonic() + cell_timeout
            return False
        if kind != "end":
            raise _Violation(f"an unknown event ({_short(kind)})")
        status = event.get("status")
        if status not in _STATUSES:
            raise _Violation("an end event with an unknown status")
        outcome = Outcome(
            status,
            message=_text(event.get("message"), 500),
            location=_text(event.get("location"), 200),
            seconds=time.monotonic() - clock["started"],
        )
        rss = event.get("rss_kib")
        outcome.rss_kib = rss if type(rss) is int and 0 <= rss < 1 << 40 else 0
        if not load_outputs:
            outcome.payload = payload
        elif status == "ok":
            try:
                outcome.outputs = unpack_arrays(event.get("arrays"), payload)
            except ProtocolError as exc:
                outcome = Outcome("error", message=f"unreadable outputs ({exc})", seconds=outcome.seconds)
        settled[current] = outcome
        state["current"] = None
        return not next_check()

    def fail(status: str, message: str) -> None:
        victim = state["current"] or next((t.check_id for t in tasks if t.check_id not in settled), None)
        if victim is not None:
            settled[victim] = Outcome(status, message=message, seconds=time.monotonic() - clock["started"])

    watched = {evt_r: "events", out_r: "output"}
    try:
        while True:
            now = time.monotonic()
            deadline = clock["deadline"] if clock["cell"] is None else min(clock["deadline"], clock["cell"])
            if now >= deadline:
                current = state["current"]
                if current is None:
                    limit, what = STARTUP_SECONDS, "time limit"
                else:
                    limit = next(t.timeout for t in tasks if t.check_id == current)
                    what = "time limit"
                    if clock["cell"] is not None and clock["cell"] <= clock["deadline"]:
                        limit, what = cell_timeout, "per-cell limit"
                    elif cap_hit["by"]:
                        what = "the submission's time budget"
                    if cap_hit["by"]:
                        limit = round(now - clock["started"], 1)
                importing = state["importing"]
                if importing is not None:  # where the time went
                    where = f"while importing {importing}"
                elif current is None or not state["started"]:
                    where = "before the check started (the worker's start-up)"
                else:
                    where = "while running the check's call into the submission (its imports had finished)"
                fail("timeout", f"stopped after {limit:g} s ({what}) {where}")
                if importing is not None and poisoned is not None:
                    poisoned[importing] = (
                        f"importing {importing} did not finish within {limit:g} s (a loop at import time?)"
                    )
                break
            ready, _, _ = select.select(list(watched), [], [], min(deadline - now, 0.5))
            if out_r in ready:
                chunk = os.read(out_r, 1 << 16)
                if chunk:
                    log.write(chunk)
                else:
                    del watched[out_r]
            if evt_r not in ready:
                continue
            chunk = os.read(evt_r, 1 << 16)
            if not chunk:  # the worker closed the channel: it ended or died
                try:
                    code = proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                if state["current"] is not None:
                    fail("error", f"the process ended during this check (exit code {code})")
                    importing = state["importing"]
                    if importing is not None and poisoned is not None:
                        poisoned[importing] = f"the process ended while importing {importing} (exit code {code})"
                elif len(settled) < len(tasks):
                    fail("error", f"the checker could not start (exit code {code}) {log.last_line()}".strip())
                break
            try:
                done = False
                for event, payload in reader.feed(chunk):
                    if on_event(event, payload):
                        done = True
                        break
            except (_Violation, ProtocolError) as exc:
                fail("error", f"the checker broke the grading protocol: {exc}")
                break
            if done:
                break
    finally:
        # Every outcome is in (or the worker is gone, or broke the protocol): nothing more is needed from it.
        # Killing it now instead of waiting for its interpreter to wind down saves a tenth of a second per
        # submission; whatever it started dies with it.
        _kill_group(proc)
        for fd in (evt_r, cmd_w, out_r):
            os.close(fd)
    return settled


def _cap(deadline: float, cap: float | None) -> float:
    return deadline if cap is None else min(deadline, cap)


def _short(value) -> str:
    return _text(value, 40) or "?"


def _text(value, limit: int) -> str:
    """A string field of an event, printable, at most ``limit`` characters ('' when it is not a string)."""
    if not isinstance(value, str):
        return ""
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in value[:limit])
