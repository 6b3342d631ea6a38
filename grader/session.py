"""The trusted side of the worker protocol: one sandboxed child, one check at a time, this side's clock.

``run_worker`` starts a worker (``grader.worker`` for checks, ``grader.nbworker``
for notebooks) and follows it through a ``WorkerSession``: this side names each
check (``{"run": i}`` on the worker's command pipe) and starts its clock when it
does; it accepts, for that check only and in that order, one ``start``,
``import``/``imported`` (and ``cell`` for notebooks) events and one ``end``.
Anything else (a second ``start``, another id, an unknown or malformed event, an
oversized frame) kills the sandbox and fails the check. The worker's stdout and
stderr are drained as they come, into a ``HeadTail`` log, never read from a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .channel import MAX_PAYLOAD, FrameReader, HeadTail, ProtocolError, unpack_arrays
from .checks.base import Arrays, Case
from .i18n import _, ngettext
from .sandbox_view import Launch

#: Seconds the worker may take to start (import numpy) before its first check.
STARTUP_SECONDS = 60.0
#: Seconds a notebook's kernel may take to start, on top of its first cell's limit (nbclient's own default).
STARTUP_TIMEOUT_NB = 120.0


@dataclasses.dataclass(frozen=True)
class Task:
    """One check to run: its case, its time limit, and optionally the case's arrays already as ``.npz`` bytes.

    ``payload`` lets a batch serialize each hidden case once instead of once per submission.
    """

    check_id: str
    case: Case
    timeout: float
    payload: bytes | None = None


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


#: Builds the command that starts the worker: (argv for the worker) -> full argv, or a
#: ``Launch`` when the command needs descriptors of its own (bubblewrap reads its options
#: from one). The default runs it directly; the sandbox wraps it (see grader.sandbox).
Launcher = Callable[[list[str], Path], "list[str] | Launch"]


def direct_launcher(argv: list[str], jobdir: Path) -> list[str]:
    return argv


class Violation(Exception):
    """The worker broke the protocol: the sandbox is killed and the check it was on fails with this reason."""


_STATUSES = ("ok", "not_implemented", "error")


class WorkerSession:
    """The protocol's state for one worker: which check runs, since when, until when, and what is settled."""

    def __init__(
        self,
        tasks: Sequence[Task],
        cmd_w: int,
        *,
        load_outputs: bool,
        poisoned: dict[str, str] | None,
        deadline_all: float | None,
        cell_timeout: float | None,
    ):
        self.tasks = tasks
        self.cmd_w = cmd_w
        self.load_outputs = load_outputs
        self.poisoned = poisoned
        self.deadline_all = deadline_all
        self.cell_timeout = cell_timeout
        self.settled: dict[str, Outcome] = {}
        self.current: str | None = None
        self.started = False
        self.importing: str | None = None
        self.clock_started = time.monotonic()
        self.deadline = _cap(self.clock_started + STARTUP_SECONDS, deadline_all)
        self.cell_deadline: float | None = None
        self.capped = False  # the current deadline is the submission's budget, not the check's own limit
        self.cells = 0  # code cells the notebook worker said it started (notebooks; informative only)

    # -- this side's moves

    def next_check(self) -> bool:
        """Name the next unsettled check to the worker; False when none is left."""
        todo = [k for k, t in enumerate(self.tasks) if t.check_id not in self.settled]
        if not todo:
            return False
        k = todo[0]
        task = self.tasks[k]
        now = time.monotonic()
        self.current, self.started, self.importing = task.check_id, False, None
        self.clock_started = now
        own = now + task.timeout
        self.deadline = _cap(own, self.deadline_all)
        # the submission's budget binds (by more than a second: a lone notebook's budget is its own limit)
        self.capped = self.deadline < own - 1.0
        self.cells = 0
        self.cell_deadline = now + STARTUP_TIMEOUT_NB + self.cell_timeout if self.cell_timeout is not None else None
        with contextlib.suppress(OSError):  # the worker is gone: its channel's end says so
            os.write(self.cmd_w, (json.dumps({"run": k}) + "\n").encode())
        return True

    def next_deadline(self) -> float:
        return self.deadline if self.cell_deadline is None else min(self.deadline, self.cell_deadline)

    def fail(self, status: str, message: str) -> None:
        """Settle the current check (or the next one, before any was named) with ``status``."""
        victim = self.current or next((t.check_id for t in self.tasks if t.check_id not in self.settled), None)
        if victim is not None:
            self.settled[victim] = Outcome(status, message=message, seconds=time.monotonic() - self.clock_started)

    def poison(self, reason: str) -> None:
        """The module being imported when the worker hung or died is refused by the next workers."""
        if self.importing is not None and self.poisoned is not None:
            self.poisoned[self.importing] = reason

    def timed_out(self, now: float) -> None:
        """The deadline passed: fail the check, saying which limit and where the time went."""
        what = _("time limit")
        if self.current is None:
            limit = STARTUP_SECONDS
        else:
            limit = next(t.timeout for t in self.tasks if t.check_id == self.current)
            if self.cell_deadline is not None and self.cell_deadline <= self.deadline:
                limit, what = self.cell_timeout, _("per-cell limit")
            elif self.capped:
                what = _("the submission's time budget")
            if self.capped:
                limit = round(now - self.clock_started, 1)
        if self.importing is not None:
            where = _("while importing {module}").format(module=self.importing)
        elif self.current is None or not self.started:
            where = _("before the check started (the worker's start-up)")
        elif self.cell_timeout is not None:  # a notebook
            where = ngettext(
                "while running the notebook ({n} code cell started)",
                "while running the notebook ({n} code cells started)",
                self.cells,
            ).format(n=self.cells)
            what = {_("time limit"): _("per-notebook limit")}.get(what, what)
        else:
            where = _("while running the check's call into the submission (its imports had finished)")
        stopped = _("stopped after {limit} s ({what}) {where}")
        self.fail("timeout", stopped.format(limit=f"{limit:g}", what=what, where=where))
        self.poison(f"importing {self.importing} did not finish within {limit:g} s (a loop at import time?)")

    def closed(self, code: int | None, log: HeadTail) -> None:
        """The worker closed its channel (it ended or died) with ``code``."""
        if self.current is not None:
            what = _("the notebook's worker ended while running it") if self.cell_timeout is not None else _(
                "the process ended during this check")
            self.fail("error", _("{what} (exit code {code})").format(what=what, code=code))
            self.poison(f"the process ended while importing {self.importing} (exit code {code})")
        elif len(self.settled) < len(self.tasks):
            self.fail("error", _("the checker could not start (exit code {code}) {last}").format(
                code=code, last=log.last_line()).strip())

    # -- the worker's moves

    def on_event(self, event: dict, payload: bytes) -> bool:
        """Handle one event; True when every task is settled. Raises ``Violation`` when it breaks the protocol."""
        kind, current = event.get("event"), self.current
        if current is None:
            if kind != "ready":
                raise Violation(f"an event before the worker was ready ({_short(kind)})")
            return not self.next_check()
        if kind == "ready":
            raise Violation("a second ready event")
        if event.get("id", current) != current:
            raise Violation(f"an event for another check ({_short(event.get('id'))}) during {current}")
        if kind == "start":
            if self.started:
                raise Violation(f"a second start event for {current}")
            self.started = True
            return False
        if not self.started:
            raise Violation(f"a {_short(kind)} event before the start event")
        if kind in ("import", "imported"):
            name = event.get("module")
            if not isinstance(name, str):
                raise Violation("a malformed import event")
            self.importing = name[:100] if kind == "import" else None
            return False
        if kind == "cell" and self.cell_timeout is not None:
            self.cell_deadline = time.monotonic() + self.cell_timeout
            self.cells += 1
            return False
        if kind != "end":
            raise Violation(f"an unknown event ({_short(kind)})")
        self.settled[current] = self._outcome(event, payload)
        self.current = None
        return not self.next_check()

    def _outcome(self, event: dict, payload: bytes) -> Outcome:
        status = event.get("status")
        if status not in _STATUSES:
            raise Violation("an end event with an unknown status")
        outcome = Outcome(
            status,
            message=_text(event.get("message"), 500),
            location=_text(event.get("location"), 200),
            seconds=time.monotonic() - self.clock_started,
        )
        rss = event.get("rss_kib")
        outcome.rss_kib = rss if type(rss) is int and 0 <= rss < 1 << 40 else 0
        if not self.load_outputs:
            outcome.payload = payload
        elif status == "ok":
            try:
                outcome.outputs = unpack_arrays(event.get("arrays"), payload)
            except ProtocolError as exc:
                outcome = Outcome("error", message=_("unreadable outputs ({error})").format(error=exc),
                                  seconds=outcome.seconds)
        return outcome


def run_worker(
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

    ``deadline_all`` (``time.monotonic()``) caps every check's deadline: the
    submission's own wall-clock budget. ``cell_timeout`` (notebooks): each
    ``cell`` event must come within that many seconds of the previous one (the
    per-cell limit, enforced here, whatever happens to the client in the
    sandbox), within the notebook's own limit.

    ``load_outputs``: rebuild each ok check's arrays from its ``end`` payload
    (False: keep the payload as bytes in ``Outcome.payload``). ``poisoned``:
    filled with module -> reason when the worker hangs or dies while importing
    it. ``module``: the worker's module (``grader.nbworker`` for notebooks).
    """
    log = log if log is not None else HeadTail()
    evt_r, cmd_w, out_r, proc = _spawn(jobdir, launcher, env, module)
    session = WorkerSession(
        tasks,
        cmd_w,
        load_outputs=load_outputs,
        poisoned=poisoned,
        deadline_all=deadline_all,
        cell_timeout=cell_timeout,
    )
    reader = FrameReader(max_payload)
    watched = [evt_r, out_r]
    try:
        while True:
            now = time.monotonic()
            deadline = session.next_deadline()
            if now >= deadline:
                session.timed_out(now)
                break
            ready, _writable, _errors = select.select(watched, [], [], min(deadline - now, 0.5))
            if out_r in ready:
                chunk = os.read(out_r, 1 << 16)
                if chunk:
                    log.write(chunk)
                else:
                    watched.remove(out_r)
            if evt_r in ready and _follow(session, reader, os.read(evt_r, 1 << 16), proc, log):
                break
    finally:
        # Every outcome is in (or the worker is gone, or broke the protocol): nothing more is needed from it.
        # Killing it now instead of waiting for its interpreter to wind down saves a tenth of a second per
        # submission; whatever it started dies with it.
        kill_group(proc)
        for fd in (evt_r, cmd_w, out_r):
            os.close(fd)
    return session.settled


def _follow(session: WorkerSession, reader: FrameReader, chunk: bytes, proc: subprocess.Popen, log: HeadTail) -> bool:
    """Feed one read of the event pipe to the session; True when the worker is done with (or gone)."""
    if not chunk:  # the worker closed the channel: it ended or died
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        session.closed(code, log)
        return True
    try:
        return any(session.on_event(event, payload) for event, payload in reader.feed(chunk))
    except (Violation, ProtocolError) as exc:
        session.fail("error", _("the checker broke the grading protocol: {error}").format(error=exc))
        return True


def _spawn(jobdir: Path, launcher: Launcher, env: dict[str, str] | None, module: str):
    """Start the worker in a new session: (event pipe, command pipe, output pipe, process)."""
    evt_r, evt_w = os.pipe()
    cmd_r, cmd_w = os.pipe()
    out_r, out_w = os.pipe()
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = grader_root()
    child_env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # Small matrix products are much slower with threaded BLAS on a busy machine,
    # and a batch runs several workers at once: one thread per worker.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(var, "1")
    argv = [sys.executable, "-m", module, str(jobdir), str(evt_w), str(cmd_r)]
    extra: tuple[int, ...] = ()
    try:
        command = launcher(argv, jobdir)
        if isinstance(command, Launch):
            command, extra = command.argv, command.fds
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=out_w,
            pass_fds=(evt_w, cmd_r, *extra),
            start_new_session=True,
            env=child_env,
            cwd=jobdir,
        )
    except BaseException:
        for fd in (evt_r, cmd_w, out_r):  # a launcher or a start failure must not leak the pipes
            os.close(fd)
        raise
    finally:
        for fd in (evt_w, cmd_r, out_w, *extra):
            os.close(fd)
    return evt_r, cmd_w, out_r, proc


def kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):  # pragma: no cover - SIGKILL does not fail
        proc.wait(timeout=10)


def grader_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _cap(deadline: float, cap: float | None) -> float:
    return deadline if cap is None else min(deadline, cap)


def _short(value) -> str:
    return _text(value, 40) or "?"


def _text(value, limit: int) -> str:
    """A string field of an event, printable, at most ``limit`` characters ('' when it is not a string)."""
    if not isinstance(value, str):
        return ""
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in value[:limit])
