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
``$FD`` the runner's pipe; the ``--ro-bind``/``--bind`` mounts are sorted outermost first
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
               "uid": $UID, "shared_nproc": false}'
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

Not done: no seccomp filter (the kernel's system calls are all reachable), no
memory cgroup (``RLIMIT_AS`` bounds each process's address space, not the sum
of a fork tree, whose size ``RLIMIT_NPROC`` bounds), and the job folder is on
the host's disk: each file is capped by ``RLIMIT_FSIZE`` but not their number
within the check's time limit (the runner deletes the folder afterwards).
"""
from __future__ import annotations

import atexit
import compileall
import dataclasses
import functools
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from .envnames import SANDBOX_ENV
from .zones import NOTEBOOK_GRADER_FILES, WORKER_FILES  # noqa: F401 (NOTEBOOK_GRADER_FILES: re-exported for batch)

#: ``A2KIT_SANDBOX``: ``bwrap`` (require bubblewrap), ``limits`` (resource limits only), unset or ``auto``.
ENV_VAR = SANDBOX_ENV
#: Where the filtered copy of the grader appears inside the sandbox (``/a2kit/grader``).
GRADER_MOUNT = "/a2kit"
#: First uid of the per-launch unprivileged users (when grading as root).
SANDBOX_UID_BASE = 1 << 30
#: Environment variables passed to the worker (all others are dropped).
ENV_KEEP = (
    "PATH", "LD_LIBRARY_PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "TMPDIR",
    "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
)
UNSANDBOXED = "bubblewrap not available: grading with resource limits only"

_launches = itertools.count()


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


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as asked (bubblewrap required but unusable, a path it must not expose)."""


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


# ---------------------------------------------------------------------------
# What the sandbox shows


def _is_within(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


_COPY_LOCK = threading.Lock()


def _grader_copy(grader_dir: Path, files: tuple[str, ...] = WORKER_FILES) -> Path:
    """A folder holding ``grader/`` with only ``files`` (byte-compiled), made once per process, removed at exit."""
    with _COPY_LOCK:  # a batch launches from several threads
        return _make_grader_copy(grader_dir, files)


@functools.cache
def _make_grader_copy(grader_dir: Path, files: tuple[str, ...]) -> Path:
    top = Path(tempfile.mkdtemp(prefix="a2kit-sandbox-"))
    atexit.register(shutil.rmtree, top, True)
    os.chmod(top, 0o755)
    dest = top / "grader"
    for pattern in files:
        for src in sorted(grader_dir.glob(pattern)):
            if not src.is_file() or src.is_symlink():
                continue
            target = dest / src.relative_to(grader_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    compileall.compile_dir(str(dest), quiet=2)
    for dirpath, dirnames, filenames in os.walk(top):
        for d in dirnames:
            os.chmod(Path(dirpath, d), 0o755)
        for f in filenames:
            os.chmod(Path(dirpath, f), 0o644)
    return top


def _python_paths(project: Path, refuse) -> list[Path]:
    """The Python installation, virtual environment and extra ``sys.path`` folders, outermost first."""
    required = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix]
    real_exe = os.path.realpath(sys.executable)
    required.append(os.path.dirname(os.path.dirname(real_exe)))
    # Only package folders (e.g. the user site): never a script's folder or the project root.
    extra = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages") and os.path.isdir(p)]
    paths: list[Path] = []
    for group, strict in ((required, True), (extra, False)):
        for raw in group:
            for p in {Path(os.path.abspath(raw)), Path(os.path.realpath(raw))}:
                if _is_within(p, Path("/usr")):
                    continue
                problem = refuse(p)
                if problem and strict:
                    raise SandboxError(f"the Python installation at {p} {problem}; use a Python outside the project")
                if problem or (not strict and (_is_within(p, project) or _is_within(project, p))):
                    continue  # e.g. the project root put on sys.path by PYTHONPATH=. or by pytest
                paths.append(p)
    paths = sorted(set(paths), key=lambda p: (len(p.parts), str(p)))
    return [p for i, p in enumerate(paths) if not any(_is_within(p, q) for q in paths[:i])]


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
            spec = {"limits": dataclasses.asdict(self.limits), "uid": None, "shared_nproc": True,
                    "pythonpath": str(_grader_copy(self.grader_dir, self.grader_files))}
            return [argv[0], "-S", "-m", "grader.sandbox", json.dumps(spec), "--", *argv]
        return self.bwrap_argv(argv, Path(jobdir))

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
        args = [exe, *_system_args(self.limits), *mounts.args, *hidden, *SEAL, "--chdir", str(jobdir)]
        args += ["--setenv", "PYTHONPATH", GRADER_MOUNT, "--setenv", "TMPDIR", "/tmp"]
        spec = {"limits": dataclasses.asdict(self.limits), "uid": uid, "shared_nproc": False}
        return [*args, "--", argv[0], "-S", "-m", "grader.sandbox", json.dumps(spec), "--", *argv]


# ---------------------------------------------------------------------------
# The wrapper: runs inside, just before the worker


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


def _main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m grader.sandbox SPEC -- COMMAND...", file=sys.stderr)
        return 2
    spec = json.loads(args[0])
    confine(spec)
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


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
