"""The untrusted side: runs the implementation's code for a list of checks.

Started by ``grader.runner`` as ``python -m grader.worker JOBDIR FD``. It reads
``JOBDIR/job.json`` (the package to test and the checks to run), each check's
inputs from ``JOBDIR/in/<id>.npz`` and parameters from the job, calls the
check's ``run`` and writes the returned arrays to ``JOBDIR/out/<id>.npz``.
Progress goes to file descriptor FD as JSON lines (``start`` / ``end`` events).

(``grader.nbworker`` is its counterpart for notebooks.)

Nothing here decides a score: the trusted side loads the outputs with
``allow_pickle=False``, validates them and compares them with values the worker
never sees.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path


def _location(exc: BaseException, package_dir: str) -> str:
    """``file.py:LINE in func`` of the deepest frame inside the implementation, or ''."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{Path(exc.filename).name}:{exc.lineno}"
    best = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename).startswith(package_dir + os.sep):
            rel = os.path.relpath(frame.filename, os.path.dirname(package_dir))
            best = f"{rel}:{frame.lineno} in {frame.name}"
    return best


def _last_line(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    line = text[-1] if text else type(exc).__name__
    return line[:500]


def _watched_impl_class():
    from .checks.base import MODULES, Impl

    class WatchedImpl(Impl):
        """``Impl`` that reports each first import of a module, and refuses the modules the runner poisoned.

        A poisoned module hung or killed an earlier worker while being imported;
        importing it (directly or from another module of the package) raises
        ImportError with that reason at once.
        """

        def __init__(self, package: str, emit, poisoned: dict[str, str]):
            super().__init__(package)
            self._emit = emit
            self._poisoned = {name: str(why) for name, why in poisoned.items() if name in MODULES}
            blocked = {f"{package}.{MODULES[name]}": why for name, why in self._poisoned.items()}
            if blocked:
                sys.meta_path.insert(0, _Blocker(blocked))

        def __getattr__(self, name: str):
            if name.startswith("_") or name not in MODULES:
                raise AttributeError(name)
            if name in self._poisoned:
                raise ImportError(self._poisoned[name])
            self._emit(event="import", module=name)
            try:
                return super().__getattr__(name)
            finally:
                self._emit(event="imported", module=name)

    return WatchedImpl


class _Blocker:
    """A meta path finder that refuses to import the given modules, with a reason."""

    def __init__(self, blocked: dict[str, str]):
        self.blocked = blocked

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.blocked:
            raise ImportError(self.blocked[fullname])
        return None


def _WatchedImpl(package: str, emit, poisoned: dict[str, str]):  # noqa: N802 - a class built on first use
    return _watched_impl_class()(package, emit, poisoned)


def open_job(argv: list[str]):
    """``JOBDIR FD`` -> (the job folder, its ``job.json``, ``emit(**event)`` writing JSON lines to FD)."""
    jobdir = Path(argv[0])
    channel = os.fdopen(int(argv[1]), "w", buffering=1)

    def emit(**event) -> None:
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    return jobdir, json.loads((jobdir / "job.json").read_text()), emit


def main(argv: list[str]) -> int:
    jobdir, job, emit = open_job(argv)
    for entry in reversed(job["sys_path"]):
        sys.path.insert(0, entry)

    import numpy as np

    from .checks import registry
    from .checks.base import Case

    impl = _WatchedImpl(job["package"], emit, job.get("poisoned") or {})
    package_dir = ""
    for entry in job["sys_path"]:
        candidate = os.path.join(entry, *job["package"].split("."))
        if os.path.isdir(candidate):
            package_dir = os.path.abspath(candidate)
            break
    (jobdir / "out").mkdir(exist_ok=True)

    for item in job["checks"]:
        check_id = item["id"]
        emit(event="start", id=check_id)
        started = time.perf_counter()
        status, message, location = "ok", "", ""
        try:
            check = registry.get(check_id)
            with np.load(jobdir / "in" / f"{check_id}.npz", allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            case = Case(arrays, item.get("params", {}))
            outputs = {k: np.asarray(v) for k, v in check.run(impl, case).items()}
            odd = sorted(k for k, v in outputs.items() if v.dtype.kind not in "biufc")
            if odd:
                raise TypeError(f"returned {', '.join(odd)} as a value that is not a plain numeric array")
            np.savez(jobdir / "out" / f"{check_id}.npz", **outputs)
        except NotImplementedError as exc:
            status, location = "not_implemented", _location(exc, package_dir)
            message = str(exc)[:300] or "not implemented yet"
        except SystemExit as exc:
            status, message = "error", f"the code called sys.exit({exc.code!r})"
            location = _location(exc, package_dir)
        except BaseException as exc:  # noqa: BLE001 - every failure is the check's outcome
            status, message, location = "error", _last_line(exc), _location(exc, package_dir)
        emit(
            event="end",
            id=check_id,
            status=status,
            message=message,
            location=location,
            seconds=time.perf_counter() - started,
            rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # informative only (bench, report)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
