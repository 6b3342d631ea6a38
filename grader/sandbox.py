"""The sandbox around the untrusted worker: bubblewrap where it works, resource limits always.

``Sandbox(visible=(tree_parent,))`` is a ``runner.Launcher``: ``run_checks(...,
launcher=Sandbox(...))`` starts each worker through it. Two layers:

**Resource limits**, always, applied by a small wrapper that runs just before the
worker (``python -S -m grader.sandbox SPEC -- WORKER_ARGV``): it sets the limits
of ``Limits`` (``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``,
``RLIMIT_NOFILE``, and ``RLIMIT_CORE`` = 0), drops to an unprivileged uid when
one is given, keeps only a short list of environment variables (no tokens or
keys of the instructor's environment reach the submission; ``HOME`` is the job
folder) and ``exec``s the worker.

**bubblewrap**, when ``bwrap`` is installed and a probe (run once per process)
succeeds. The worker sees a root file system holding only: the system
(``/usr``, ``/etc``, the ``/bin``, ``/lib*`` links) read-only, a new ``/proc``
and a minimal ``/dev``, private size-capped ``/tmp`` and ``/dev/shm``, the Python installation
and virtual environment read-only, a filtered copy of the grader package
(``grader.zones.WORKER_FILES``: the worker and the checks; not ``wrong_answers/``, not the
fixtures, nothing else of the project) read-only at ``/a2kit/grader``, the
``visible`` trees (the assembled submission) read-only, and the job folder
read-write. ``reference/``, the output folder, the instructor's home, the
project's other files and any secret seed file are simply absent. It runs in
new IPC, PID, network, UTS and cgroup namespaces: the network namespace has
only its own loopback, so a listener on the host's ``127.0.0.1`` is out of
reach; killing ``bwrap`` (the runner kills its process group on a timeout)
kills the PID namespace and every process the submission started in it, even
one that left the process group; ``--die-with-parent`` does the same if the
grader dies. Inherited file descriptors survive, so the runner's progress pipe
works unchanged.

Accounting of ``RLIMIT_NPROC`` (measured on Linux 6.x, bubblewrap 0.8): the
kernel counts processes per user and exempts real root (uid 0 of the initial
user namespace) entirely, *even inside a user namespace with another uid
mapped*, so a fork bomb run as root is not bounded by ``RLIMIT_NPROC`` at all.
Hence two modes:

* grader running as root: ``bwrap`` runs privileged without a user namespace,
  keeps only ``CAP_SETUID``/``CAP_SETGID`` for the wrapper, which switches to a
  fresh unprivileged uid for each launch (``SANDBOX_UID_BASE`` + pid * 64 + a
  counter: unused by anyone else, so the process count is the sandbox's own),
  after which the worker holds no capability and no_new_privs is set;
* grader running as an ordinary user: ``bwrap --unshare-user
  --disable-userns``; since Linux 5.14 the count is kept per user namespace,
  so the limit is again the sandbox's own.

The command line, as root, for a checkout at ``$PROJECT`` with its venv in
``$PROJECT/.venv`` and a Python installed at ``$PYHOME`` (``$UID`` is the
per-launch uid, ``$JOB`` the job folder, ``$TREES`` the ``visible`` folder,
``$FD`` the runner's pipe; everything before ``--`` is passed through the memfd of
``--args``; the ``--ro-bind``/``--bind`` mounts are sorted outermost first
and each is preceded by ``--perms 0755 --dir`` for the folders leading to it;
``--perms``, ``--size`` and ``--disable-userns`` are left out when the
installed bwrap predates them)::

    bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try
          --die-with-parent --new-session --hostname a2kit-sandbox
          --cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID
          --ro-bind /usr /usr --ro-bind /etc /etc
          --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64
          --proc /proc --dev /dev
          --perms 1777 --size 268435456 --tmpfs /dev/shm
          --perms 1777 --size 268435456 --tmpfs /tmp
          --ro-bind /tmp/a2kit-sandbox-XXXX /a2kit
          --perms 0755 --dir /tmp/a2kit-job-XXXX --bind $JOB $JOB
          --ro-bind $TREES $TREES
          --perms 0755 --dir ...(folders above) --ro-bind $PROJECT/.venv $PROJECT/.venv
          --perms 0755 --dir ...(folders above) --ro-bind $PYHOME $PYHOME
          --remount-ro / --remount-ro /dev
          --chdir $JOB --setenv PYTHONPATH /a2kit --setenv TMPDIR /tmp
          -- $PROJECT/.venv/bin/python -S -m grader.sandbox
             '{"limits": {"cpu_seconds": 300, "address_space": 4294967296, "processes": 64,
               "file_size": 67108864, "open_files": 256, "tmp_size": 268435456},
               "uid": $UID, "shared_nproc": false, "seccomp": "/a2kit/seccomp.bpf"}'
          -- $PROJECT/.venv/bin/python -m grader.worker $JOB $FD

As an ordinary user: ``--unshare-user --disable-userns`` in place of the
``--cap-*`` options, and ``"uid": null``. ``/bin``, ``/lib``... are bound
read-only instead of linked where they are real folders. The two
``--remount-ro`` come last: the root and ``/dev`` tmpfs that bwrap creates are
writable by the sandbox's user in a user namespace and have no size limit.

Without bubblewrap (``A2KIT_SANDBOX=limits``, ``Sandbox(bubblewrap=False)``, or
``bwrap`` missing or failing its probe) one warning per process says "bubblewrap
not available: grading with resource limits only", and the worker runs with the
limits only: it can then read every file its user can read, write where its user
can write, open network connections and leave a process that calls ``setsid``
running; as root, ``RLIMIT_NPROC`` does not bind (see above). As an ordinary
user the process limit is set to the user's current number of tasks plus
``Limits.processes``. ``A2KIT_SANDBOX=bwrap`` makes bubblewrap mandatory
(``SandboxError`` if it does not work).

Notebooks (``grade --execute-notebooks``): the same sandbox runs
``grader.nbworker`` (the notebook worker) with ``NOTEBOOK_LIMITS`` (more processes,
CPU time and address space: a Jupyter client, its kernel and their threads) and
a grader copy of ``grader.zones.NOTEBOOK_GRADER_FILES`` (the grader as the handout ships it,
since the notebooks' ``show_checks`` run public checks): the client and the
kernel talk over TCP on the sandbox's own loopback; nothing else changes.

**seccomp**, in both modes: the wrapper loads ``grader.sysfilter``'s filter
(built here with libseccomp, written as ``seccomp.bpf`` into the grader copy,
probed once per process) before it ``exec``s the worker: ``ptrace``, ``mount``,
the keyring, ``bpf``, ``userfaultfd``, ``perf_event_open``, ``io_uring``,
``unshare`` and namespace ``clone`` flags fail with EPERM. Where libseccomp or
the kernel's support is missing, one warning per process says "no seccomp
filter" and grading goes on without it; a filter that was probed but cannot be
loaded stops the worker (exit 126).

**What the sandbox can read of the host**: bwrap takes its options through a
memfd (``bwrap --args N -- COMMAND``), so its init, pid 1 in the sandbox, shows
the worker's command line and not the mounts; the install records in the bound
virtual environment that name the project folder (an editable install's
``__editable__*`` finder and ``.pth``, ``direct_url.json``) are covered by
``/dev/null``. Still visible: the paths of the Python installation and the
venv themselves (``sys.prefix``; put the venv outside the project to keep its
name out) and, in ``/proc/self/mountinfo``, the host path of each bind mount.

Not done: no memory cgroup (``RLIMIT_AS`` bounds each process's address space, not the sum
of a fork tree, whose size ``RLIMIT_NPROC`` bounds), and the job folder is on
the host's disk: each file is capped by ``RLIMIT_FSIZE`` but not their number
within the check's time limit (the runner deletes the folder afterwards).
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from .confine import NOTEBOOK_LIMITS, Limits, main  # noqa: F401 (NOTEBOOK_LIMITS: re-exported for batch)
from .envnames import SANDBOX_ENV
from .sandbox_view import Launch, SandboxError, _grader_copy, _is_within, _python_paths
from .zones import NOTEBOOK_GRADER_FILES, WORKER_FILES  # noqa: F401 (NOTEBOOK_GRADER_FILES: re-exported for batch)

#: ``A2KIT_SANDBOX``: ``bwrap`` (require bubblewrap), ``limits`` (resource limits only), unset or ``auto``.
ENV_VAR = SANDBOX_ENV
#: Where the filtered copy of the grader appears inside the sandbox (``/a2kit/grader``).
GRADER_MOUNT = "/a2kit"
#: First uid of the per-launch unprivileged users (when grading as root).
SANDBOX_UID_BASE = 1 << 30
UNSANDBOXED = "bubblewrap not available: grading with resource limits only"

_launches = itertools.count()


class SandboxWarning(RuntimeWarning):
    """Grading without bubblewrap."""


# ---------------------------------------------------------------------------
# bubblewrap: discovery and probe (once per process)


@functools.cache
def _bwrap_options() -> tuple[str, frozenset[str]]:
    """The bwrap executable and the options its ``--help`` lists ('' when absent)."""
    exe = shutil.which("bwrap")
    if not exe:
        return "", frozenset()
    try:
        text = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return exe, frozenset()
    return exe, frozenset(w for w in text.split() if w.startswith("--"))


def _privileged() -> bool:
    return os.geteuid() == 0


def _system_args(limits: Limits) -> list[str]:
    """Namespaces, capabilities and the read-only system: the part every sandbox shares."""
    _, options = _bwrap_options()
    args = [
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--hostname", "a2kit-sandbox",
    ]
    if _privileged():
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user"] + (["--disable-userns"] if "--disable-userns" in options else [])
    args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for tmpfs in ("/dev/shm", "/tmp"):
        if "--perms" in options:
            args += ["--perms", "1777"]
        if "--size" in options:
            args += ["--size", str(limits.tmp_size)]
        args += ["--tmpfs", tmpfs]
    return args


#: Last: the sandbox's own root and /dev (tmpfs that bwrap creates, writable by
#: the sandbox's user in a user namespace, of unbounded size) become read-only.
SEAL = ["--remount-ro", "/", "--remount-ro", "/dev"]
#: Packages of this project that a non-editable install puts in site-packages,
#: hidden from the submission (the filtered grader copy comes first on its path).
INSTALLED_HIDDEN = ("reference", "grader")


class _Mounts:
    """Bind mounts at their own paths, with the folders leading to them created 0755.

    bubblewrap creates missing parent folders 0700, which an unprivileged
    sandbox user could not traverse; ``--perms 0755 --dir`` creates them first.
    """

    def __init__(self, options: frozenset[str]):
        self.args: list[str] = []
        self.binds: list[Path] = [Path(p) for p in ("/usr", "/etc")]
        self.made: set[Path] = {Path("/"), Path("/tmp"), Path("/proc"), Path("/dev")}
        self.perms = "--perms" in options

    def bind(self, src: Path, dest: Path, *, writable: bool = False) -> None:
        for parent in reversed(dest.parents):
            if parent in self.made or any(_is_within(parent, b) for b in self.binds):
                continue
            self.args += (["--perms", "0755"] if self.perms else []) + ["--dir", str(parent)]
            self.made.add(parent)
        self.args += ["--bind" if writable else "--ro-bind", str(src), str(dest)]
        self.binds.append(dest)


@functools.cache
def bwrap_status() -> tuple[bool, str]:
    """Whether bubblewrap works here, and why not: ``bwrap <system sandbox> -- true`` must succeed."""
    exe, _ = _bwrap_options()
    if not exe:
        return False, "bwrap is not installed (apt-get install bubblewrap)"
    try:
        done = subprocess.run(
            [exe, *_system_args(Limits()), *SEAL, "--", "true"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bwrap could not run ({exc.__class__.__name__}: {exc})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return False, f"bwrap failed its probe: {last}"
    return True, ""


@functools.lru_cache(maxsize=1)
def _warn_unsandboxed() -> None:
    """The one warning per process when grading without bubblewrap."""
    ok, reason = bwrap_status()
    detail = reason if not ok else f"not used: {ENV_VAR}=limits or Sandbox(bubblewrap=False)"
    warnings.warn(f"{UNSANDBOXED} ({detail})", SandboxWarning, stacklevel=3)


#: The filter file's name in the grader copy (``/a2kit/seccomp.bpf`` inside bubblewrap).
FILTER_NAME = "seccomp.bpf"
NO_FILTER = "no seccomp filter"


@functools.cache
def _filter_file(top: Path) -> tuple[str, str]:
    """``(path of the seccomp filter in the grader copy at top, '')``, or ``('', why not)``; probed once.

    The probe runs the wrapper with the filter on ``true``: where the kernel or a
    container refuses seccomp filters, grading goes on without one (one warning).
    """
    from . import sysfilter  # trusted side only: not in the grader copy

    program = sysfilter.filter_program()
    if program is None:
        return "", sysfilter.status()
    path = top / FILTER_NAME
    if not path.is_file():
        part = path.with_suffix(".part")
        part.write_bytes(program)
        os.chmod(part, 0o644)
        os.replace(part, path)
    spec = {"limits": dataclasses.asdict(Limits()), "uid": None, "shared_nproc": True, "seccomp": str(path)}
    true = shutil.which("true") or "/bin/true"
    try:
        done = subprocess.run(
            [sys.executable, "-S", "-m", "grader.sandbox", json.dumps(spec), "--", true],
            capture_output=True, text=True, timeout=30, env={"PYTHONPATH": str(top), "PATH": os.defpath},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return "", f"the seccomp probe could not run ({exc.__class__.__name__})"
    if done.returncode != 0:
        return "", (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    return str(path), ""


@functools.lru_cache(maxsize=1)
def _warn_no_filter(reason: str) -> None:
    warnings.warn(f"{NO_FILTER} ({reason})", SandboxWarning, stacklevel=3)


_FILTER_LOCK = threading.Lock()


def _seccomp(top: Path) -> str:
    """The filter's path in the copy at ``top`` ('' and one warning per process where there is none)."""
    with _FILTER_LOCK:  # a batch launches from several threads: one probe, one writer
        path, reason = _filter_file(top)
    if not path:
        _warn_no_filter(reason)
    return path


@functools.cache
def _records_naming(project: Path, pythons: tuple[Path, ...]) -> tuple[Path, ...]:
    """Install records in the bound Python folders that name the project folder (hidden in the sandbox).

    An editable install (``__editable__*`` finders and ``.pth`` files, ``*.egg-link``) and
    ``direct_url.json`` hold the project's path; the sandbox sees ``/dev/null`` in their place.
    """
    needle = str(project).encode()
    found: set[Path] = set()
    for top in pythons:
        sites = [top] if top.name in ("site-packages", "dist-packages") else [
            *top.glob("lib/python*/site-packages"), *top.glob("lib/python*/dist-packages")]
        for site in sites:
            candidates = [*site.glob("*.pth"), *site.glob("__editable__*"), *site.glob("*.egg-link"),
                          *site.glob("*.dist-info/direct_url.json"), *site.glob("*.egg-info/*.txt")]
            for path in candidates:
                if not path.is_file() or path.is_symlink():
                    continue
                # an editable install's .pth imports its finder, which names the project
                if path.name.startswith("__editable__") and "a2kit" in path.name:
                    found.add(path)
                    continue
                try:
                    with open(path, "rb") as fh:
                        if needle in fh.read(1 << 20):
                            found.add(path)
                except OSError:
                    continue
    return tuple(sorted(found))


def _next_uid() -> int:
    return SANDBOX_UID_BASE + (os.getpid() % (1 << 22)) * 64 + next(_launches) % 64


@dataclasses.dataclass(frozen=True)
class Sandbox:
    """A ``runner.Launcher`` that runs the worker sandboxed.

    ``visible``: folders the worker must read (the parent of the assembled
    submission package, i.e. the ``sys_path`` given to ``run_checks``), shown
    read-only at their own paths; ``limits``: the resource limits;
    ``bubblewrap``: True requires it, False does without, None (default)
    follows ``A2KIT_SANDBOX`` and otherwise uses it when its probe succeeds;
    ``grader_dir``: the grader package the filtered copy is made from;
    ``grader_files``: what of it the copy holds (``WORKER_FILES``, or
    ``NOTEBOOK_GRADER_FILES`` to execute notebooks).
    """

    visible: tuple[Path, ...] = ()
    limits: Limits = Limits()
    bubblewrap: bool | None = None
    grader_dir: Path = Path(__file__).resolve().parent
    grader_files: tuple[str, ...] = WORKER_FILES

    def uses_bubblewrap(self) -> bool:
        wanted = self.bubblewrap
        if wanted is None:
            mode = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
            if mode not in ("auto", "bwrap", "limits"):
                raise SandboxError(f"{ENV_VAR}={mode!r}: expected bwrap, limits or auto")
            wanted = {"auto": None, "bwrap": True, "limits": False}[mode]
        ok, reason = bwrap_status()
        if wanted and not ok:
            raise SandboxError(f"bubblewrap is required but does not work: {reason}")
        use = ok if wanted is None else wanted
        if not use:
            _warn_unsandboxed()
        return use

    def _refusal(self, path: Path) -> str:
        project = self.grader_dir.parent
        if _is_within(project, path):
            return "contains the project (reference/ would be visible)"
        if _is_within(path, project / "reference"):
            return "is inside reference/"
        if _is_within(path, self.grader_dir):
            return "is inside the grader package"
        return ""

    def __call__(self, argv: list[str], jobdir: Path) -> list[str]:
        if not self.uses_bubblewrap():
            # Defence in depth only (files stay readable without bubblewrap): the
            # worker imports the filtered grader copy, not the project, whose
            # root holds reference/.
            top = _grader_copy(self.grader_dir, self.grader_files)
            spec = {"limits": dataclasses.asdict(self.limits), "uid": None, "shared_nproc": True,
                    "pythonpath": str(top), "seccomp": _seccomp(top)}
            return [argv[0], "-S", "-m", "grader.sandbox", json.dumps(spec), "--", *argv]
        full = self.bwrap_argv(argv, Path(jobdir))
        # bwrap reads its options from a descriptor: the sandbox's init (pid 1 there) then
        # shows "bwrap --args N -- COMMAND" in /proc/1/cmdline (the command is the worker's
        # own argv), not the host paths of every mount.
        split = full.index("--")
        fd = os.memfd_create("a2kit-bwrap-args")
        try:
            os.write(fd, b"".join(os.fsencode(a) + b"\0" for a in full[1:split]))
            os.lseek(fd, 0, os.SEEK_SET)
        except BaseException:
            os.close(fd)
            raise
        return Launch([full[0], "--args", str(fd), *full[split:]], (fd,))

    def bwrap_argv(self, argv: list[str], jobdir: Path) -> list[str]:
        """The full bwrap command line for ``argv`` (see the module docstring)."""
        exe, options = _bwrap_options()
        uid = _next_uid() if _privileged() else None
        jobdir = jobdir.resolve()
        visible = [Path(os.path.abspath(v)) for v in self.visible]
        for v in visible:
            problem = self._refusal(v)
            if problem:
                raise SandboxError(f"cannot show {v} to the submission: it {problem}")
            if not v.is_dir():
                raise SandboxError(f"cannot show {v} to the submission: not a folder")
        pythons = _python_paths(self.grader_dir.parent, self._refusal)
        if uid is not None:
            for p in [*visible, *pythons]:
                if p.is_dir() and (p.stat().st_mode & 0o005) != 0o005:
                    raise SandboxError(f"{p} must be readable by others (chmod o+rx): the sandbox runs as another user")
            # the job folder and what the runner put in it (a notebook run's working copy) become the sandbox user's
            for dirpath, _dirnames, filenames in os.walk(jobdir):
                os.chown(dirpath, uid, uid)
                for f in filenames:
                    os.chown(os.path.join(dirpath, f), uid, uid, follow_symlinks=False)
        binds = [(p, p, False) for p in pythons] + [(v, v, False) for v in visible]
        binds += [(_grader_copy(self.grader_dir, self.grader_files), Path(GRADER_MOUNT), False), (jobdir, jobdir, True)]
        mounts = _Mounts(options)
        # Outermost first, so that a mount inside another one stays on top of it.
        for src, dest, writable in sorted(binds, key=lambda b: (len(b[1].parts), str(b[1]))):
            mounts.bind(src, dest, writable=writable)
        # A non-editable install copies reference/ and the whole grader into
        # site-packages, which is bound above: mount an empty tmpfs over them.
        hide = [p / name for p in pythons for name in INSTALLED_HIDDEN if (p / name).is_dir()]
        hidden = [arg for path in hide for arg in ("--tmpfs", str(path))]
        for record in _records_naming(self.grader_dir.parent, tuple(pythons)):
            hidden += ["--ro-bind", "/dev/null", str(record)]
        args = [exe, *_system_args(self.limits), *mounts.args, *hidden, *SEAL, "--chdir", str(jobdir)]
        args += ["--setenv", "PYTHONPATH", GRADER_MOUNT, "--setenv", "TMPDIR", "/tmp"]
        top = _grader_copy(self.grader_dir, self.grader_files)
        seccomp = f"{GRADER_MOUNT}/{FILTER_NAME}" if _seccomp(top) else ""
        spec = {"limits": dataclasses.asdict(self.limits), "uid": uid, "shared_nproc": False, "seccomp": seccomp}
        return [*args, "--", argv[0], "-S", "-m", "grader.sandbox", json.dumps(spec), "--", *argv]



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
