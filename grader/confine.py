"""The wrapper that runs inside the sandbox, just before the worker: resource limits, uid, environment.

``python -S -m grader.sandbox SPEC -- COMMAND...`` runs ``main`` (see
``grader.sandbox`` for the whole design): it applies ``Limits``, drops to an
unprivileged uid when one is given, loads the seccomp filter that
``spec['seccomp']`` names (``grader.sysfilter``; it refuses to start the command
when the filter cannot be loaded), keeps only ``ENV_KEEP`` and ``exec``s the
command. It imports only the standard library.
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import resource
import stat
import sys

#: Environment variables passed to the worker (all others are dropped).
ENV_KEEP = (
    "PATH", "LD_LIBRARY_PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "TMPDIR",
    "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (and of each process it starts).

    ``cpu_seconds``: CPU time of the worker over all its checks (SIGXCPU, then
    SIGKILL 5 s later); ``address_space``: bytes of virtual memory per process
    (allocations beyond it raise MemoryError); ``processes``: processes and
    threads; ``file_size``: bytes per file written, stdout included;
    ``open_files``: descriptors; ``tmp_size``: bytes of each of the private
    ``/tmp`` and ``/dev/shm`` (bubblewrap only; they are memory). The CPU limit
    covers all the checks a worker runs (``check`` runs the whole default
    rubric against the reference in about 1.5 s of CPU), so it is a backstop
    behind the runner's per-check wall-clock timeouts.
    """

    cpu_seconds: int = 300
    address_space: int = 4 << 30
    processes: int = 64
    file_size: int = 64 << 20
    open_files: int = 256
    tmp_size: int = 256 << 20


#: Limits of a notebook run (``grade --execute-notebooks``): a Jupyter client, its kernel and their threads.
NOTEBOOK_LIMITS = Limits(cpu_seconds=1800, address_space=8 << 30, processes=128, open_files=1024)


def _tasks_of(uid: int) -> int | None:
    """Processes and threads whose real uid is ``uid`` (what RLIMIT_NPROC counts); None without /proc."""
    if not os.path.isdir("/proc/self"):
        return None
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        try:
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields.get("Threads", "1"))
        except (KeyError, ValueError, IndexError):
            continue
    return total


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, never above the current hard limit; say so on stderr (the job's log) if refused."""
    _, cur_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if cur_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, cur_hard), min(hard, cur_hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError) as exc:
        print(f"sandbox: could not set resource limit {which}: {exc}", file=sys.stderr)


def confine(spec: dict) -> None:
    """Apply the limits of ``spec`` to this process and drop to ``spec['uid']`` if given."""
    limits = Limits(**spec["limits"])
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5)
    _lower(resource.RLIMIT_AS, limits.address_space)
    _lower(resource.RLIMIT_FSIZE, limits.file_size)
    _lower(resource.RLIMIT_NOFILE, limits.open_files)
    nproc: int | None = limits.processes
    if spec.get("shared_nproc") and os.getuid() != 0:
        # The count is the user's: allow this many more (this process, soon the worker, is one of them).
        current = _tasks_of(os.getuid())
        nproc = None if current is None else nproc + current - 1
    if nproc is not None:
        _lower(resource.RLIMIT_NPROC, nproc)
    uid = spec.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


#: prctl options and the seccomp mode of a BPF filter (linux/prctl.h, linux/seccomp.h).
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
#: The largest filter file read (grader.sysfilter.MAX_PROGRAM).
MAX_FILTER = 4096 * 8


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_filter(path: str) -> None:
    """Install the BPF program in ``path`` (a sequence of ``struct sock_filter``) as this process's seccomp filter.

    Raises OSError when the file is not a regular file of whole filters or the kernel refuses it.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        program = os.read(fd, MAX_FILTER + 1)
    finally:
        os.close(fd)
    if not program or len(program) % 8 or len(program) > MAX_FILTER:
        raise OSError(f"{path}: {len(program)} bytes is not a filter program")
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m grader.sandbox SPEC -- COMMAND...", file=sys.stderr)
        return 2
    spec = json.loads(args[0])
    confine(spec)
    if spec.get("seccomp"):
        try:
            load_filter(spec["seccomp"])
        except OSError as exc:
            print(f"sandbox: cannot load the seccomp filter, not starting the worker: {exc}", file=sys.stderr)
            return 126
    command = args[2:]
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    if spec.get("pythonpath"):
        env["PYTHONPATH"] = spec["pythonpath"]
    env["HOME"] = os.getcwd()
    try:
        os.execve(command[0], command, env)
    except OSError as exc:
        print(f"sandbox: cannot start {command[0]}: {exc}", file=sys.stderr)
        return 127
