"""The trusted side of running checks: one child process, a timeout per check.

``run_checks`` writes a job folder, starts ``grader.worker`` in a new process
session and follows its progress events. A check that outlives its timeout gets
the whole process group killed and is reported as ``timeout``; a check during
which the process dies (``os._exit``, a crash, a kill for memory) is an
``error``; in both cases a fresh worker resumes with the next check, so one bad
function costs only its own check.
"""
from __future__ import annotations

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
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .checks.base import Arrays, Case

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


#: Builds the command that starts the worker: (argv for the worker) -> full argv.
#: The default runs it directly; the sandbox wraps it (see grader.sandbox).
Launcher = Callable[[list[str], Path], list[str]]


def direct_launcher(argv: list[str], jobdir: Path) -> list[str]:
    return argv


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail
        pass


def _load_outputs(path: Path) -> tuple[Arrays | None, str]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: np.array(data[k]) for k in data.files}, ""
    except FileNotFoundError:
        return None, "no outputs were written"
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            return None, "returned a value that is not a plain numeric array (an object or a list of objects)"
        return None, f"unreadable outputs ({exc})"
    except Exception as exc:  # noqa: BLE001 - anything odd in the file is the submission's fault
        return None, f"unreadable outputs ({exc.__class__.__name__})"


def _write_job(
    jobdir: Path, package: str, sys_path: Sequence[str], tasks: Sequence[Task], poisoned: dict[str, str] | None = None
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
    """
    results: dict[str, Outcome] = {}
    base = Path(tempfile.mkdtemp(prefix="a2kit-job-", dir=workdir))
    try:
        pending = list(tasks)
        attempt = 0
        poisoned: dict[str, str] = {}
        while pending:
            jobdir = base / f"run{attempt}"
            attempt += 1
            _write_job(jobdir, package, sys_path, pending, poisoned)
            done = _run_worker(jobdir, pending, launcher, env, poisoned=poisoned)
            results.update(done)
            pending = [t for t in pending if t.check_id not in results]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


# -- notebooks -------------------------------------------------------------------

#: Default seconds per notebook cell (``grade --execute-notebooks``), and the largest executed notebook read back.
NOTEBOOK_CELL_TIMEOUT = 120.0
NOTEBOOK_MAX_BYTES = 32 << 20


@dataclasses.dataclass
class NotebookRun:
    """One notebook executed on the untrusted side: the executed copy (None if none came back) and why it stopped."""

    name: str
    ok: bool
    message: str = ""
    seconds: float = 0.0
    notebook: object | None = None  # an nbformat NotebookNode, not yet sanitized


def _read_notebook(path: Path):
    """The executed notebook the worker wrote, as plain JSON through nbformat (None, reason) when unusable."""
    import nbformat

    try:
        if path.stat().st_size > NOTEBOOK_MAX_BYTES:
            return None, f"the executed notebook is over {NOTEBOOK_MAX_BYTES >> 20} MiB"
        return nbformat.reads(path.read_text(encoding="utf-8", errors="replace"), as_version=4), ""
    except FileNotFoundError:
        return None, ""
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
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
) -> list[NotebookRun]:
    """Execute ``notebooks`` top to bottom (fast mode) against ``tree/<package>`` in child processes.

    The child (``grader.nbworker``) sees a folder laid out like the handout (``<package>/``,
    ``rubric.yaml``, ``rubrics/``, ``notebooks/``) and runs
    ``grader.notebooks.execute`` on each notebook with ``cell_timeout``
    seconds per cell; this side allows each notebook ``cell_timeout`` per code
    cell plus the kernel's start before it kills the process tree, then goes
    on with a fresh child. A failure is a ``NotebookRun`` with ``ok`` False
    and the reason; what the notebook ran up to then is kept.
    """
    import nbformat

    from .checks.base import Case
    from .notebooks import STARTUP_TIMEOUT

    runs: dict[str, NotebookRun] = {}
    entries, tasks, names = [], [], set()
    for k, path in enumerate(notebooks):
        name = path.name
        while name in names:
            name = f"{k}-{name}"
        names.add(name)
        try:
            cells = sum(1 for c in nbformat.read(path, as_version=4).cells if c.get("cell_type") == "code")
        except Exception:  # noqa: BLE001 - the child reports the problem
            cells = 1
        entries.append({"id": f"nb{k}", "name": name, "source": path})
        tasks.append(Task(f"nb{k}", Case({}), STARTUP_TIMEOUT + cell_timeout * max(cells, 1)))
    base = Path(tempfile.mkdtemp(prefix="a2kit-nbjob-", dir=workdir))
    os.chmod(base, 0o755)
    try:
        pending = list(tasks)
        attempt = 0
        while pending:
            jobdir = base / f"run{attempt}"
            attempt += 1
            root = jobdir / "root"  # inside the job folder (the sandbox gives it to its user): the only place the child may write
            _handout_root(root, Path(tree) / package, package, Path(release_root))
            todo = [e for e in entries if e["id"] in {t.check_id for t in pending}]
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
            done = _run_worker(jobdir, pending, launcher, env, load_outputs=False, module="grader.nbworker")
            for e in todo:
                if e["id"] not in done:
                    continue
                outcome = done[e["id"]]
                nb, problem = _read_notebook(jobdir / "out" / f"{e['id']}.ipynb")
                message = "" if outcome.status == "ok" else outcome.message
                if outcome.status == "ok" and problem:
                    message = problem
                runs[e["id"]] = NotebookRun(e["name"], outcome.status == "ok" and nb is not None, message, outcome.seconds, nb)
            pending = [t for t in pending if t.check_id not in runs]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return [runs[t.check_id] for t in tasks if t.check_id in runs]


def _grader_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _run_worker(
    jobdir: Path,
    tasks: Sequence[Task],
    launcher: Launcher,
    env: dict[str, str] | None,
    *,
    load_outputs: bool = True,
    poisoned: dict[str, str] | None = None,
    module: str = "grader.worker",
) -> dict[str, Outcome]:
    """Run one worker until it finishes, dies or times out; return the outcomes it settled.

    ``load_outputs``: read each ok check's ``out/<id>.npz`` (False: the caller reads what it needs).
    ``poisoned``: filled with module -> reason when the worker hangs or dies while importing it.
    ``module``: the worker's module (``grader.nbworker`` for notebooks).
    """
    importing: str | None = None  # the module the worker reported it is importing
    read_fd, write_fd = os.pipe()
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = _grader_root()
    child_env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # Small matrix products are much slower with threaded BLAS on a busy machine,
    # and a batch runs several workers at once: one thread per worker.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(var, "1")
    argv = [sys.executable, "-m", module, str(jobdir), str(write_fd)]
    log = open(jobdir / "output.log", "wb")
    try:
        proc = subprocess.Popen(
            launcher(argv, jobdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            start_new_session=True,
            env=child_env,
            cwd=jobdir,
        )
    except BaseException:
        os.close(read_fd)  # a launcher or a start failure must not leak the pipe
        raise
    finally:
        os.close(write_fd)
        log.close()

    by_id = {t.check_id: t for t in tasks}
    settled: dict[str, Outcome] = {}
    current: str | None = None
    started = time.monotonic()
    deadline = started + STARTUP_SECONDS
    buffer = b""
    with os.fdopen(read_fd, "rb", buffering=0) as channel:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_group(proc)
                victim = current or tasks[len(settled)].check_id
                limit = by_id[victim].timeout if current else STARTUP_SECONDS
                settled[victim] = Outcome(
                    "timeout", message=f"stopped after {limit:g} s (time limit)", seconds=time.monotonic() - started
                )
                if importing is not None and poisoned is not None:
                    poisoned[importing] = f"importing {importing} did not finish within {limit:g} s (a loop at import time?)"
                break
            ready, _, _ = select.select([channel], [], [], min(remaining, 0.5))
            if not ready:
                continue
            chunk = channel.read(65536)
            if not chunk:  # the worker closed the channel: it ended or died
                code = proc.wait()
                if current is not None:
                    settled[current] = Outcome(
                        "error",
                        message=f"the process ended during this check (exit code {code})",
                        seconds=time.monotonic() - started,
                    )
                    if importing is not None and poisoned is not None:
                        poisoned[importing] = f"the process ended while importing {importing} (exit code {code})"
                elif len(settled) < len(tasks):
                    first = tasks[len(settled)].check_id
                    tail = (jobdir / "output.log").read_bytes()[-400:].decode("utf-8", "replace").strip()
                    last = tail.splitlines()[-1] if tail else ""
                    settled[first] = Outcome("error", message=f"the checker could not start (exit code {code}) {last}".strip())
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                try:
                    event = json.loads(raw)
                    if isinstance(event, dict) and event.get("event") in ("import", "imported"):
                        module = str(event.get("module", ""))[:100]
                        importing = module if event["event"] == "import" else None
                        continue
                    check_id = event["id"]
                except (ValueError, KeyError, TypeError):
                    continue  # noise on the channel is ignored
                if check_id not in by_id or check_id in settled:
                    continue
                if event.get("event") == "start":
                    current = check_id
                    started = time.monotonic()
                    deadline = started + by_id[check_id].timeout
                elif event.get("event") == "end" and check_id == current:
                    outcome = Outcome(
                        str(event.get("status", "error")),
                        message=str(event.get("message", ""))[:500],
                        location=str(event.get("location", ""))[:200],
                        seconds=time.monotonic() - started,
                    )
                    rss = event.get("rss_kib")
                    outcome.rss_kib = rss if isinstance(rss, int) and 0 <= rss < 1 << 40 else 0
                    if outcome.status == "ok":
                        outputs, problem = _load_outputs(jobdir / "out" / f"{check_id}.npz") if load_outputs else (None, "")
                        if problem:
                            outcome = Outcome("error", message=problem, seconds=outcome.seconds)
                        else:
                            outcome.outputs = outputs
                    elif outcome.status not in ("not_implemented", "error"):
                        outcome = Outcome("error", message="unknown status", seconds=outcome.seconds)
                    settled[check_id] = outcome
                    current = None
                    deadline = time.monotonic() + STARTUP_SECONDS
            if len(settled) == len(tasks):
                break
    # Every outcome is in (or the worker is gone): nothing more is needed from it. Killing it now
    # instead of waiting for its interpreter to wind down saves a tenth of a second per submission.
    _kill_group(proc)  # nothing the checks started survives them
    return settled
