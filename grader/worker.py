"""The untrusted side: runs the implementation's code for a list of checks.

Started by ``grader.runner`` as ``python -m grader.worker JOBDIR FD CMDFD``. It
reads ``JOBDIR/job.json`` (the package to test and the checks it may be asked
for), then runs one check at a time, the one the grader names on CMDFD: its
inputs from ``JOBDIR/in/<id>.npz``, its parameters from the job, the check's
``run``; the returned arrays go back as the payload of the ``end`` event.
Events are ``grader.channel`` frames on FD (``ready`` once, then ``start`` /
``import`` / ``imported`` / ``end`` for the check asked for). Nothing is
written for the grader to read by path.

(``grader.nbworker`` is its counterpart for notebooks.)

Nothing here decides a score: the trusted side rebuilds the arrays from raw
bytes (``grader.channel.unpack_arrays``), validates them and compares them with values the worker
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


def _first_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (a multi-line message often ends with a URL, not the reason).

    A ``None`` where the check expected results (``dx, dw, db = f(...)``) says "returned None".
    """
    if isinstance(exc, TypeError) and "NoneType" in str(exc) and not _location(exc, _PACKAGE_DIR[0]):
        return f"returned None (a missing return?): {str(exc).splitlines()[0][:200]}"
    if isinstance(exc, SyntaxError):  # its first lines quote the file by path: the reason is the last one
        return _last_line(exc)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


_PACKAGE_DIR = [""]  # the implementation's folder (set by main)


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
    """``JOBDIR FD CMDFD`` -> (the job folder, its ``job.json``, ``emit(payload=b"", **event)``, ``commands()``).

    ``emit`` sends a frame (``grader.channel``) on FD; ``commands()`` yields the
    index of each item the grader asks for on CMDFD, one at a time, until it
    closes the pipe.
    """
    from .channel import frame

    jobdir = Path(argv[0])
    channel = os.fdopen(int(argv[1]), "wb", buffering=0)
    orders = os.fdopen(int(argv[2]), "r")

    def emit(payload: bytes = b"", **event) -> None:
        channel.write(frame(event, payload))

    def commands():
        for line in orders:
            try:
                yield int(json.loads(line)["run"])
            except (ValueError, KeyError, TypeError):
                return

    return jobdir, json.loads((jobdir / "job.json").read_text()), emit, commands


def main(argv: list[str]) -> int:
    jobdir, job, emit, commands = open_job(argv)
    for entry in reversed(job["sys_path"]):
        sys.path.insert(0, entry)

    import numpy  # noqa: F401 - imported before "ready": start-up is not charged to the first check

    from . import channel, editions  # noqa: F401 - the same
    from .checks import cases, registry  # noqa: F401 - the same

    editions.accept_reshape_newshape()  # np.reshape(x, newshape=...), removed in NumPy 2.4, in every edition
    if job.get("numpy_compat"):
        editions.restore_numpy_aliases()
    edition = editions.EDITIONS.get(job.get("edition") or "")
    impl = editions.adapt(_WatchedImpl(job["package"], emit, job.get("poisoned") or {}), edition)
    package_dir = _package_dir(job)
    _PACKAGE_DIR[0] = package_dir

    emit(event="ready")
    for index in commands():
        item = job["checks"][index]
        check_id = item["id"]
        emit(event="start", id=check_id)
        started = time.perf_counter()
        status, message, location = "ok", "", ""
        spec, payload = [], b""
        try:
            spec, payload = _run_one(jobdir, item, impl)
        except NotImplementedError as exc:
            status, location = "not_implemented", _location(exc, package_dir)
            message = str(exc)[:300] or "not implemented yet"
        except SystemExit as exc:
            status, message = "error", f"the code called sys.exit({exc.code!r})"
            location = _location(exc, package_dir)
        except BaseException as exc:  # noqa: BLE001 - every failure is the check's outcome
            status, message, location = "error", _first_line(exc), _location(exc, package_dir)
        if status != "ok":
            spec, payload = [], b""
        emit(
            payload,
            event="end",
            arrays=spec,
            id=check_id,
            status=status,
            message=message,
            location=location,
            seconds=time.perf_counter() - started,
            rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # informative only (bench, report)
        )
    return 0


def _package_dir(job: dict) -> str:
    """The implementation package's folder on the job's sys.path ('' when it is not a folder)."""
    for entry in job["sys_path"]:
        candidate = os.path.join(entry, *job["package"].split("."))
        if os.path.isdir(candidate):
            return os.path.abspath(candidate)
    return ""


def _run_one(jobdir: Path, item: dict, impl) -> tuple[list, bytes]:
    """Run one check (each of its packed cases) on its arrays; its outputs packed for the channel."""
    import numpy as np

    from .channel import pack_arrays
    from .checks import cases as cases_mod
    from .checks import registry
    from .checks.base import Case

    check_id = item["id"]
    check = registry.get(check_id)
    with np.load(jobdir / "in" / f"{check_id}.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    case = Case(arrays, item.get("params", {}))
    if cases_mod.is_packed(case.params):  # grade: the public case and K hidden draws
        outputs = {}
        for i, one in enumerate(cases_mod.unpack(case)):
            outputs.update(cases_mod.prefix(i, {k: np.asarray(v) for k, v in check.run(impl, one).items()}))
    else:
        outputs = {k: np.asarray(v) for k, v in check.run(impl, case).items()}
    nones = sorted(k for k, v in outputs.items() if v.dtype == object and v.shape == () and v.item() is None)
    if nones:
        raise TypeError(f"returned None (for {', '.join(nones)}): the function must return its result")
    odd = sorted(k for k, v in outputs.items() if v.dtype.kind not in "biufc")
    if odd:
        raise TypeError(f"returned {', '.join(odd)} as a value that is not a plain numeric array")
    return pack_arrays(outputs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
