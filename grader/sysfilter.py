"""The seccomp filter of the sandbox: system calls that grading never needs fail with EPERM.

Built on the trusted side with libseccomp (through ``pyseccomp``, its ctypes
binding: no compiler, no build step), exported as a classic BPF program, and
loaded by the wrapper inside the sandbox (``grader.confine``) with
``prctl(PR_SET_SECCOMP)`` just before it ``exec``s the worker, so every
process of the submission runs under it, with or without bubblewrap.

Default action: allow. Denied (``EPERM``): ``BLOCKED``, i.e. tracing another
process or reading its memory, mounting, the kernel keyring, eBPF,
``userfaultfd``, ``perf_event_open``, ``io_uring``, loading kernels or modules,
file handles (``open_by_handle_at``), accounting, swap, reboot and clock
setting; ``unshare``/``setns`` and a ``clone`` that asks for a new user or
other namespace (a user namespace would give the submission capabilities of
its own to attack the kernel with). ``clone3``, whose flags a filter cannot
read, fails with ``ENOSYS``, on which glibc falls back to ``clone``. System
calls of another architecture (the 32-bit entry points) kill the process
(libseccomp's default for a foreign architecture).

Where ``pyseccomp`` or ``libseccomp.so.2`` is missing, ``filter_program``
returns None and the sandbox runs without a filter (``doctor``-style reason
in ``status()``).
"""
from __future__ import annotations

import errno
import functools
import tempfile

#: System calls that fail with EPERM in the sandbox (names unknown to this kernel's table are skipped).
BLOCKED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    "unshare", "setns",
    "add_key", "request_key", "keyctl",
    "bpf", "userfaultfd", "perf_event_open",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "acct", "quotactl", "swapon", "swapoff", "reboot", "syslog", "vhangup",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "lookup_dcookie",
)
#: ``clone`` flags that make a new namespace (CLONE_NEWNS ... CLONE_NEWCGROUP, CLONE_NEWTIME).
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
#: The largest program the wrapper accepts (a sock_filter is 8 bytes; the kernel allows 4096 of them).
MAX_PROGRAM = 4096 * 8


@functools.cache
def _built() -> tuple[bytes | None, str]:
    try:
        import pyseccomp as sc
    except Exception as exc:  # ImportError, or OSError when libseccomp.so.2 is absent
        return None, f"pyseccomp or libseccomp is not available ({exc.__class__.__name__}: {exc})"
    try:
        flt = sc.SyscallFilter(sc.ALLOW)
        arch = sc.system_arch()
        for name in BLOCKED:
            if sc.resolve_syscall(arch, name) >= 0:
                flt.add_rule(sc.ERRNO(errno.EPERM), name)
        for flag in NAMESPACE_FLAGS:
            flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        if sc.resolve_syscall(arch, "clone3") >= 0:
            flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        with tempfile.TemporaryFile() as fh:
            flt.export_bpf(fh)
            fh.seek(0)
            program = fh.read(MAX_PROGRAM + 1)
    except Exception as exc:
        return None, f"libseccomp could not build the filter ({exc.__class__.__name__}: {exc})"
    if not program or len(program) % 8 or len(program) > MAX_PROGRAM:
        return None, f"libseccomp exported a program of {len(program)} bytes"
    return program, ""


def filter_program() -> bytes | None:
    """The filter as a BPF program (bytes of ``struct sock_filter``), or None where it cannot be built."""
    return _built()[0]


def status() -> str:
    """'' when the filter is available, else why not (one line)."""
    return _built()[1]
