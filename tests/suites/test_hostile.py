"""Hostile submissions through ``python -m grader grade`` (grader.grading.grade), each in a batch with honest ones.

One batch per module grades every hostile submission of ``CASES`` together
with three baselines: ``correct`` (the reference), ``buggy`` (a mutant of
tests/mutants) and ``minus_attack`` (the reference with ``affine_backward``
left as its stub: the submission most attacks are built on, without the
attack). A second batch grades the baselines alone. Then one test per case
asks:

* did the batch complete, with a row and a valid results.json for it?
* did it gain nothing: every check the attack touches scores 0, every other
  check scores exactly what the correct submission scores (so the rest of the
  work is still graded);
* is no file outside the output folder changed or created (a sentinel tree,
  the submissions, markers in $HOME, /tmp and the project), does the output
  folder hold only what the grader writes;
* is no process left (each process an attack starts carries a marker in its
  command line; /proc is scanned), did the loopback listener receive nothing;
* are the other submissions' rows and checks identical to the batch without
  the hostile ones?

The rubric is the default one (``grader.rubric.load()``) cut down to the
checks in ``CHECK_IDS``, with a short timeout, so that the attacks that loop
cost seconds, not minutes. The sandbox is whatever ``A2KIT_SANDBOX`` and the
machine give (CI: ``A2KIT_SANDBOX=bwrap``). Cases marked ``bwrap_only`` attack
what only bubblewrap can stop (reading reference/, the network, writing
outside the job folder, a daemon that leaves the process group, a fork bomb
as root; see grader/sandbox.py); without bubblewrap they are not graded at
all (they would really escape) and their tests skip with that reason; the
other cases run, and assert the same, with resource limits only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pwd
import socket
import sys
import tempfile
import textwrap
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import gradebook, grading
from grader import rubric as rubric_mod
from grader.sandbox import Sandbox
from tests.grader import gradescope_schema
from tests.grader.subjects import (
    ROOT,
    Watch,
    edit_file,
    our_layout,
    processes_with,
    survivors,
)
from tests.mutants import build_package, q1, q3

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

SECRET = "hostile-test-secret"
#: The checks of the cut-down rubric: layers (affine_backward is the one most attacks replace), optim, and one
#: check of each of q2, q3, q4.
CHECK_IDS = (
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "sgd_momentum",
    "adam",
    "batchnorm_forward_train",
    "dropout_forward_test",
    "conv_forward_naive",
)
TIMEOUT = 8.0
MARK = f"a2kit-hostile-{uuid.uuid4().hex[:12]}"
CANARY = f"host-secret-{uuid.uuid4().hex}"  # the content of ctx.canary
AS_ROOT = os.geteuid() == 0
REAL_HOME = Path(pwd.getpwuid(os.geteuid()).pw_dir)
BACKWARD = ("affine_backward",)
OPTIM = ("sgd_momentum", "adam")


@dataclasses.dataclass(frozen=True)
class Ctx:
    """What the attacks aim at: paths outside the job folder and the listener's port."""

    base: Path
    sentinel: Path
    subs: Path
    out: Path
    port: int
    canary: Path  # a host file whose content must never show in any output


@dataclasses.dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[Path, Ctx], Path]
    affected: tuple[str, ...]  # checks that must score 0; () with refused=True: the whole submission is refused
    refused: bool = False  # unpacking refuses it: an error row
    bwrap_only: bool = False


CASES: dict[str, Hostile] = {}


def hostile(name, affected=BACKWARD, *, refused=False, bwrap_only=False):
    def register(build):
        CASES[name] = Hostile(name, build, affected, refused, bwrap_only)
        return build

    return register


def marker(name: str) -> str:
    return f"{MARK}-{name}"


def reference_with(dest: Path, backward: str | None = None, *, layers_tail: str = "", optim_tail: str = "") -> Path:
    """The reference in our layout, ``affine_backward``'s body replaced by ``backward``, code appended to files."""
    sub = our_layout(dest, ROOT / "reference")
    if backward is not None or layers_tail:
        source = None
        if backward is not None:
            source = "def affine_backward(dout, cache):\n" + textwrap.indent(
                textwrap.dedent(backward).strip("\n"), "    "
            )
        edit_file(
            sub / "student" / "layers.py",
            function="affine_backward" if source else None,
            source=source or "",
            append=textwrap.dedent(layers_tail),
        )
    if optim_tail:
        edit_file(sub / "student" / "optim.py", append=textwrap.dedent(optim_tail))
    return sub


ZEROS = """
x, w, b = cache
return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
"""
STUB = 'raise NotImplementedError("affine_backward is not implemented yet (layers.py)")'


# ---------------------------------------------------------------------------
# The corpus


@hostile("loop_in_function")
def _(dest, ctx):
    return reference_with(dest, "while True:\n    pass\n")


@hostile("loop_at_import", OPTIM)
def _(dest, ctx):
    return reference_with(dest, optim_tail="while True:\n    pass\n")


@hostile("memory_bomb")
def _(dest, ctx):
    return reference_with(dest, "chunks = []\nwhile True:\n    chunks.append(np.ones(16 << 20))\n")


@hostile("fork_bomb", bwrap_only=True)  # as root, RLIMIT_NPROC binds only with bubblewrap's per-launch uid
def _(dest, ctx):
    return reference_with(
        dest, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )


@hostile("sys_exit")
def _(dest, ctx):
    return reference_with(dest, "import sys\nsys.exit(0)\n")


@hostile("os_exit")
def _(dest, ctx):
    return reference_with(dest, "import os\nos._exit(0)\n")


@hostile("os_exit_at_import", OPTIM)
def _(dest, ctx):
    return reference_with(dest, optim_tail="import os as _os\n_os._exit(0)\n")


@hostile("monkeypatch_numpy")
def _(dest, ctx):
    tail = """
    import numpy as _np
    _np.allclose = lambda *a, **k: True
    _np.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a), dtype=bool)
    _np.array_equal = lambda *a, **k: True
    _np.testing.assert_allclose = lambda *a, **k: None
    _np.linalg.norm = lambda *a, **k: 0.0
    """
    return reference_with(dest, ZEROS, layers_tail=tail)


@hostile("monkeypatch_grader")
def _(dest, ctx):
    tail = """
    try:
        import grader.compare as _gc
        from grader.checks import registry as _reg
        from grader.checks.base import Measure as _M
        _always = lambda *a, **k: _M(0.0, True)
        for _c in _reg.all_checks().values():
            object.__setattr__(_c, "compare", _always)
            object.__setattr__(_c, "tolerance", 1e300)
        for _n in dir(_gc):
            if not _n.startswith("__") and callable(getattr(_gc, _n)):
                setattr(_gc, _n, _always)
    except Exception:
        pass
    try:
        import grader.scoring as _gs
        _gs.score_check = lambda *a, **k: None
    except Exception:
        pass
    """
    return reference_with(dest, ZEROS, layers_tail=tail)


@hostile("print_fake_results")
def _(dest, ctx):
    body = f"""
    import json, sys
    fake = {{"score": 100.0, "tests": [{{"name": "affine_backward", "score": 2.0, "max_score": 2.0, "status": "passed"}}]}}
    print(json.dumps(fake))
    print("submission,status,q1,total\\n{dest.name},graded,30,100")
    print(json.dumps({{"event": "end", "id": "affine_backward", "status": "ok"}}))
    sys.stderr.write(json.dumps(fake) + "\\n")
    {ZEROS.strip().splitlines()[0]}
    {ZEROS.strip().splitlines()[1]}
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


@hostile("write_fake_results", bwrap_only=True)  # limits only: the output folder is writable by the grader's user
def _(dest, ctx):
    body = f"""
    import json, os
    fake = json.dumps({{"score": 100.0, "tests": [], "a2kit": {{"submission": "{dest.name}", "status": "graded",
                       "scores": {{}}, "total": 100.0, "max_total": 100.0, "message": ""}}}})
    targets = ["results.json", "gradebook.csv", "../results.json", "../../results.json",
               os.path.join({str(ctx.out)!r}, "gradebook.csv"), os.path.join({str(ctx.out)!r}, "{dest.name}", "results.json"),
               os.path.join({str(ctx.out)!r}, "correct", "results.json"), os.path.join({str(ctx.out)!r}, "{marker("write_fake_results")}")]
    for t in targets:
        try:
            os.makedirs(os.path.dirname(t) or ".", exist_ok=True)
            with open(t, "w") as fh:
                fh.write(fake if t.endswith(".json") else "submission,status\\n{dest.name},graded\\n")
        except OSError:
            pass
    {ZEROS.strip().splitlines()[0]}
    {ZEROS.strip().splitlines()[1]}
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


@hostile("forge_channel")
def _(dest, ctx):
    # Forged progress events (plain JSON lines, not frames) for affine_backward and a later check (adam): the
    # grader's channel refuses them, kills the sandbox and fails affine_backward; adam, run by a fresh worker, is
    # graded on what the code really returns.
    body = """
    import json, os, sys
    x, w, b = cache
    jobdir, fd = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(jobdir, "out"), exist_ok=True)
    np.savez(os.path.join(jobdir, "out", "affine_backward.npz"), dx=np.zeros_like(x), dw=np.zeros_like(w), db=np.zeros_like(b))
    np.savez(os.path.join(jobdir, "out", "adam.npz"), next_w=np.zeros(3))
    for event in ({"event": "end", "id": "affine_backward", "status": "ok"},
                  {"event": "start", "id": "adam"}, {"event": "end", "id": "adam", "status": "ok"},
                  {"event": "end", "id": "affine_backward", "status": "ok", "points": 2}):
        os.write(fd, (json.dumps(event) + "\\n").encode())
    os.write(fd, b"not json at all\\n" + b"x" * 70000 + b"\\n")
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


FRAME = """
    import json as _json, os as _os, struct as _struct, sys as _sys
    def _frame(ev, payload=b""):
        h = _json.dumps(ev).encode()
        return _struct.pack(">I", len(h)) + h + _struct.pack(">I", len(payload)) + payload
    _fd = int(_sys.argv[2])
"""


@hostile("plant_links_in_job_folder")
def _(dest, ctx):
    # Breaches 1-2: every path the grader used to read in the job folder becomes a link to a host file (the
    # canary), to another worker's pipe, or to /dev/zero; then the worker dies between checks.
    body = (
        FRAME
        + f"""
    jobdir = _sys.argv[1]
    _os.makedirs(_os.path.join(jobdir, "out"), exist_ok=True)
    for name, target in (("output.log", {str(ctx.canary)!r}), ("out/affine_backward.npz", {str(ctx.canary)!r}),
                         ("out/relu_forward.npz", "/proc/self/fd/3"), ("out/adam.npz", "/dev/zero"),
                         ("out/nb0.ipynb", {str(ctx.canary)!r})):
        path = _os.path.join(jobdir, name)
        try:
            _os.unlink(path)
        except OSError:
            pass
        _os.symlink(target, path)
    _os._exit(0)
    """
    )
    return reference_with(dest, body)


@hostile("plant_fifo_outputs")
def _(dest, ctx):
    # Breach 4: a FIFO where the outputs used to be read, /dev/zero as the log; the code then returns zeros.
    body = f"""
    import os, sys
    jobdir = sys.argv[1]
    os.makedirs(os.path.join(jobdir, "out"), exist_ok=True)
    for name in ("affine_backward.npz", "relu_forward.npz"):
        try:
            os.mkfifo(os.path.join(jobdir, "out", name))
        except OSError:
            pass
    try:
        os.unlink(os.path.join(jobdir, "output.log"))
    except OSError:
        pass
    os.symlink("/dev/zero", os.path.join(jobdir, "output.log"))
    {ZEROS.strip().splitlines()[0]}
    {ZEROS.strip().splitlines()[1]}
    """
    return reference_with(dest, body)


@hostile("oversized_outputs")
def _(dest, ctx):
    # Breach 4: an end frame announcing 2 GiB of outputs (the bomb): refused before anything is buffered.
    body = (
        FRAME
        + """
    _os.write(_fd, _frame({"event": "end", "id": "affine_backward", "status": "ok", "arrays": [["dx", "<f8", [1 << 28]]]})[:-4]
              + _struct.pack(">I", 2 << 30) + b"\\0" * (1 << 20))
    while True:
        pass
    """  # noqa: E501 - attack code, kept as written
    )
    return reference_with(dest, body)


@hostile("deadline_reset")
def _(dest, ctx):
    # Breach 5: re-sending 'start' for the current check used to reset its deadline.
    body = (
        FRAME
        + """
    import time
    while True:
        _os.write(_fd, _frame({"event": "start", "id": "affine_backward"}))
        time.sleep(1)
    """
    )
    return reference_with(dest, body)


@hostile("result_for_another_check")
def _(dest, ctx):
    # Breach 6: a well-formed result for a later check (relu_forward), sent during affine_backward.
    body = (
        FRAME
        + """
    _os.write(_fd, _frame({"event": "start", "id": "relu_forward"}))
    _os.write(_fd, _frame({"event": "end", "id": "relu_forward", "status": "ok", "arrays": [["out", "<f8", [1]]]},
                          b"\\0" * 8))
    """
        + STUB
        + "\n"
    )
    return reference_with(dest, body)


@hostile("naive_calls_fast", ("conv_forward_naive",))
def _(dest, ctx):
    # Breach 6: a naive conv that calls the released fast layers (imported at the top of layers.py, as a student
    # would) and, failing that, loads fast_layers.py from its file: neither computes anything in a naive check.
    return reference_with(
        dest,
        layers_tail="""
        from .fast_layers import conv_forward_fast as _fast


        def conv_forward_naive(x, w, b, conv_param):
            try:
                return _fast(x, w, b, conv_param)
            except Exception:
                import importlib.util, os
                here = os.path.dirname(__file__)
                spec = importlib.util.spec_from_file_location(__name__.rsplit(".", 1)[0] + ".fast_layers",
                                                              os.path.join(here, "fast_layers.py"))
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module.conv_forward_fast(x, w, b, conv_param)
        """,
    )


@hostile("malformed_event_with_burners")
def _(dest, ctx):
    # Breach 9: CPU burners started, then an event whose id is a list: nothing may survive the submission.
    body = (
        FRAME
        + f"""
    import subprocess
    for _ in range(2):
        subprocess.Popen([_sys.executable, "-c", "while True: pass", {marker("malformed_event_with_burners")!r}])
    import time
    time.sleep(0.3)
    _os.write(_fd, _frame({{"event": "end", "id": ["affine_backward"], "status": "ok"}}))
    time.sleep(30)
    """
    )
    return reference_with(dest, body)


@hostile("prints_a_lot", ())
def _(dest, ctx):
    # Issue 13, item 3: a correct submission printing 200 MB at import and 10 MB in one function scores exactly
    # what its quiet twin (the reference) scores.
    sub = reference_with(
        dest,
        layers_tail="""
    import sys as _s
    _line = "x" * 999 + "\\n"
    for _ in range(200 * 1000):
        _s.stdout.write(_line)
    _s.stdout.flush()
    """,
    )
    edit_file(
        sub / "student" / "layers.py",
        function="relu_forward",
        source="def relu_forward(x):\n"
        "    import sys\n    for _ in range(10 * 1000):\n        sys.stderr.write('y' * 999 + '\\n')\n"
        "    out = np.maximum(x, 0)\n    return out, x\n",
    )
    return sub


@hostile("read_reference", bwrap_only=True)  # limits only: reference/ is readable by the grader's user
def _(dest, ctx):
    body = f"""
    import importlib, os, sys
    for attempt in ("import", "file"):
        try:
            if attempt == "import":
                sys.path.insert(0, {str(ROOT)!r})
                ref = importlib.import_module("reference.layers")
                return ref.affine_backward(dout, cache)
            ns = {{"__name__": "stolen"}}
            src = open(os.path.join({str(ROOT)!r}, "reference", "layers.py")).read()
            exec(compile(src.replace("from .validation", "from student.validation"), "stolen", "exec"), ns)
            return ns["affine_backward"](dout, cache)
        except Exception:
            pass
    for secret in (os.path.join({str(ROOT)!r}, ".a2kit-secret"), os.path.join({str(ROOT)!r}, "grader", "wrong_answers", "q1.py")):
        try:
            open(secret).read()
            raise RuntimeError("READ " + secret)
        except OSError:
            pass
    {STUB}
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


@hostile("network", bwrap_only=True)  # limits only: the host's loopback is reachable
def _(dest, ctx):
    body = f"""
    import socket
    for host in ("127.0.0.1", "localhost", "::1"):
        try:
            with socket.create_connection((host, {ctx.port}), timeout=2) as s:
                s.sendall(b"LEAK {dest.name}")
        except OSError:
            pass
    {STUB}
    """
    return reference_with(dest, body)


@hostile("write_outside", bwrap_only=True)  # limits only: every folder the grader's user can write
def _(dest, ctx):
    name = marker("write_outside")
    targets = [
        ctx.sentinel / f"{name}.txt",
        ctx.sentinel / "existing.txt",
        ctx.base / f"{name}.txt",
        REAL_HOME / f"{name}.txt",
        Path("/tmp") / f"{name}.txt",
        ROOT / f"{name}.txt",
        ctx.out / f"{name}.txt",
        ctx.subs / dest.name / "student" / "layers.py",
        ctx.subs / "correct" / "student" / "layers.py",
    ]
    body = f"""
    for t in {[str(t) for t in targets]!r}:
        try:
            with open(t, "a") as fh:
                fh.write("pwned")
        except OSError:
            pass
    {STUB}
    """
    return reference_with(dest, body)


@hostile("always_equal")
def _(dest, ctx):
    body = """
    class Equal:
        def __eq__(self, other):
            return True
        __ne__ = lambda self, other: False
        __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: False
    return Equal(), Equal(), Equal()
    """
    return reference_with(dest, body)


@hostile("ndarray_subclass")
def _(dest, ctx):
    body = """
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)
        def __sub__(self, other):
            return np.zeros(self.shape)
        __rsub__ = __sub__
        def __abs__(self):
            return np.zeros(self.shape)
        def all(self, *a, **k):
            return True
    x, w, b = cache
    return tuple(np.zeros(a.shape).view(Liar) for a in (x, w, b))
    """
    return reference_with(dest, body)


@hostile("nan_inf")
def _(dest, ctx):
    body = """
    x, w, b = cache
    return np.full(x.shape, np.nan), np.full(w.shape, np.inf), np.full(b.shape, -np.inf)
    """
    return reference_with(dest, body)


@hostile("wrong_shapes")
def _(dest, ctx):
    body = """
    x, w, b = cache
    return np.zeros((0,)), np.zeros(w.shape[::-1] + (1,)), np.zeros((10 ** 4, 10 ** 3))
    """
    return reference_with(dest, body)


@hostile("wrong_dtypes")
def _(dest, ctx):
    body = """
    x, w, b = cache
    return np.full(x.shape, "1.0"), np.ones(w.shape, dtype=bool), np.zeros(b.shape, dtype=np.complex128) + 1j
    """
    return reference_with(dest, body)


@hostile("flood_stdout")
def _(dest, ctx):
    body = f"""
    import os
    chunk = b"{{'score': 100}} " * 65536
    for fd in (1, 2):
        try:
            for _ in range(200):
                os.write(fd, chunk)
        except OSError:
            pass
    {STUB}
    """
    return reference_with(dest, body)


@hostile("ignore_sigterm")
def _(dest, ctx):
    body = """
    import signal, time
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        time.sleep(0.05)
    """
    return reference_with(dest, body)


@hostile("background_process")
def _(dest, ctx):
    body = f"""
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(0.2)", {marker("background_process")!r}])
    time.sleep(0.3)  # as the daemon does: long enough for the host's watch (50 ms polls) to see the child run
    {STUB}
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


@hostile("daemon", bwrap_only=True)  # limits only: a setsid'd grandchild leaves the process group the runner kills
def _(dest, ctx):
    body = f"""
    import os, sys, time
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time\\nwhile True: time.sleep(0.2)", {marker("daemon")!r}])
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.3)
    {STUB}
    """  # noqa: E501 - attack code, kept as written
    return reference_with(dest, body)


@hostile("pickle_payload")
def _(dest, ctx):
    # The payload creates a file outside when unpickled: only the trusted side unpickling it could run it.
    planted = ctx.base / f"{marker('pickle_payload')}-unpickled"
    body = f"""
    import os, pickle
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + {str(planted)!r},))
    x, w, b = cache
    jobdir = __import__("sys").argv[1]
    os.makedirs(os.path.join(jobdir, "out"), exist_ok=True)
    evil = np.empty(1, dtype=object)
    evil[0] = Payload()
    with open(os.path.join(jobdir, "out", "affine_backward.npz"), "wb") as fh:
        np.savez(fh, dx=evil, dw=evil, db=evil)  # object arrays are pickled inside the .npz
    real = np.savez

    def once(*a, **k):  # the worker's own np.savez of the zeros below does nothing, once: the file above stays
        np.savez = real

    np.savez = once
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
    """
    sub = reference_with(dest, body)
    evil = __import__("numpy").empty(1, dtype=object)
    evil[0] = _Planted(str(planted))
    __import__("numpy").save(sub / "student" / "weights.npy", evil, allow_pickle=True)
    return sub


class _Planted:
    """Pickles to a call that touches a file (the .npy shipped in the pickle_payload submission)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _zip(dest: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path = dest.with_suffix(".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _honest_entries() -> list[tuple[str, bytes]]:
    return [
        (f"student/{p.relative_to(ROOT / 'reference').as_posix()}", p.read_bytes())
        for p in sorted((ROOT / "reference").rglob("*.py"))
        if "__pycache__" not in p.parts
    ]


@hostile("zip_traversal", refused=True)
def _(dest, ctx):
    return _zip(dest, _honest_entries() + [(f"student/../../{marker('zip_traversal')}.py", b"print('escaped')\n")])


@hostile("zip_absolute_path", refused=True)
def _(dest, ctx):
    return _zip(dest, _honest_entries() + [(str(ctx.base / f"{marker('zip_absolute_path')}.py"), b"x = 1\n")])


@hostile("zip_bomb", refused=True)
def _(dest, ctx):
    path = dest.with_suffix(".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in _honest_entries():
            zf.writestr(name, data)
        with zf.open("student/weights.bin", "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(300):  # 300 MiB of zeros, about 300 KiB compressed
                fh.write(block)
    return path


@hostile("zip_symlink", refused=True)
def _(dest, ctx):
    link = zipfile.ZipInfo("student/solutions.py")
    link.external_attr = 0o120777 << 16  # a symbolic link
    return _zip(dest, _honest_entries() + [(link, str(ROOT / "reference" / "layers.py").encode())])


@hostile("not_a_zip", refused=True)
def _(dest, ctx):
    path = dest.with_suffix(".zip")
    path.write_bytes(os.urandom(4096))
    return path


@hostile("deep_folders", refused=True)
def _(dest, ctx):
    # Breach 10: 1,500 nested folders used to raise RecursionError in layout detection and cleanup (and stay in
    # /tmp); now refused at unpacking, with a reason, beyond grader.unpack.MAX_DEPTH.
    return _zip(dest, _honest_entries() + [("student/" + "d/" * 1500 + "deep.py", b"x = 1\n")])


@hostile("syntax_error", OPTIM)
def _(dest, ctx):
    return reference_with(dest, optim_tail="def broken(:\n    return 1\n")


# ---------------------------------------------------------------------------
# The batch


def hostile_rubric() -> rubric_mod.Rubric:
    """The default rubric cut down to ``CHECK_IDS`` (question ids and points as there), each with ``TIMEOUT``."""
    full = rubric_mod.load()
    questions = []
    for q in full.questions:
        specs = tuple(dataclasses.replace(s, timeout=TIMEOUT) for s in q.checks if s.id in CHECK_IDS)
        if specs:
            questions.append(
                dataclasses.replace(q, checks=specs, points=sum(s.points for s in specs), extra_credit=False)
            )
    found = {s.id for q in questions for s in q.checks}
    assert found == set(CHECK_IDS), f"checks missing from rubric.yaml: {set(CHECK_IDS) - found}"
    return dataclasses.replace(full, questions=tuple(questions))


class Listener:
    """A TCP listener on the host's loopback that records every connection and its bytes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(1000))
                except OSError:
                    self.received.append(b"")

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every file and folder under ``roots``: kind, size, mtime, content hash."""
    state = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath, name)
                st = p.lstat()
                digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else ""
                state[str(p)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return state


def markers_in(*folders: Path) -> list[str]:
    return [str(p) for f in folders if f.is_dir() for p in f.iterdir() if MARK in p.name]


@dataclasses.dataclass
class Graded:
    ctx: Ctx
    bwrap: bool
    rubric: rubric_mod.Rubric
    rows: dict[str, gradebook.Row]
    clean_rows: dict[str, gradebook.Row]
    clean_out: Path
    order: list[str]
    changed: list[str]
    stray_markers: list[str]
    leftover: list[int]
    received: list[bytes]
    seconds: float
    ran: set[str]  # markers of attack processes seen running during the batch

    def results(self, sid: str, out: Path | None = None) -> dict:
        return json.loads(((out or self.ctx.out) / sid / "results.json").read_text())

    def check_scores(self, sid: str, out: Path | None = None) -> dict[str, float]:
        tests = self.results(sid, out)["tests"]
        if not tests:
            return {cid: 0.0 for cid in self.check_ids}
        assert len(tests) == len(self.check_ids)
        for t, cid in zip(tests, self.check_ids, strict=True):
            assert cid in t["name"], (t["name"], cid)
        return {cid: t["score"] for t, cid in zip(tests, self.check_ids, strict=True)}

    @property
    def check_ids(self) -> list[str]:
        return [s.id for q in self.rubric.questions for s in q.checks]


BASELINES = ("correct", "minus_attack", "buggy")
#: Attacks that end by raising the stub's NotImplementedError: its message proves they ran to the end.
RUN_TO_THE_END = ("read_reference", "network", "write_outside", "flood_stdout", "background_process", "daemon")
#: Attacks that start a process carrying their marker: the watch must have seen it.
STARTS_PROCESS = ("background_process", "daemon")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    bwrap = Sandbox().uses_bubblewrap()
    listener = Listener()
    ctx = Ctx(base, base / "sentinel", base / "subs", base / "out", listener.port, base / "sentinel" / "canary.txt")
    (ctx.sentinel / "nested").mkdir(parents=True)
    (ctx.sentinel / "existing.txt").write_text("sentinel\n")
    (ctx.sentinel / "nested" / "deep.txt").write_text("sentinel\n")
    ctx.canary.write_text(f"{CANARY}\n")
    ctx.subs.mkdir()
    rub = hostile_rubric()

    correct = our_layout(ctx.subs / "correct", ROOT / "reference")
    minus_attack = reference_with(ctx.subs / "minus_attack", STUB)
    mutant = next(m for m in q1.MUTANTS + q3.MUTANTS if set(m.breaks) <= set(CHECK_IDS))
    build_package(mutant, ctx.subs / "buggy", package="student")
    hostile_paths = {}
    for name, case in CASES.items():
        if case.bwrap_only and not bwrap:
            continue
        hostile_paths[name] = case.build(ctx.subs / name, ctx)
    # A hostile one rewriting the submissions would show here; the sentinel tree is what no one may touch.
    before = snapshot(ctx.sentinel, ctx.subs)
    tmp = base / "tmp"  # the grader's temporary folders (job folders, assembled trees) live here
    tmp.mkdir()
    order = ["correct", *hostile_paths, "minus_attack", "buggy"]
    paths = {"correct": correct, **hostile_paths, "minus_attack": minus_attack, "buggy": ctx.subs / "buggy"}
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp, Watch(MARK) as watch:
        mp.setenv("TMPDIR", str(tmp))
        mp.setattr(tempfile, "tempdir", str(tmp))
        clean_out = base / "clean"
        clean = grading.grade([paths[s] for s in BASELINES], clean_out, rubric=rub, seed=SECRET)
        rows = grading.grade([paths[s] for s in order], ctx.out, rubric=rub, seed=SECRET)
    seconds = time.monotonic() - started
    leftover = survivors(MARK) + survivors(str(tmp))
    after = snapshot(ctx.sentinel, ctx.subs)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    stray = markers_in(REAL_HOME, Path("/tmp"), ROOT, base, ctx.sentinel)
    # the listener is real: the host reaches it
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2) as s:
        s.sendall(b"HOST")
    time.sleep(0.3)
    listener.close()
    received = [r for r in listener.received]
    assert received and received[-1] == b"HOST", received
    yield Graded(
        ctx,
        bwrap,
        rub,
        {r.submission: r for r in rows},
        {r.submission: r for r in clean},
        clean_out,
        order,
        changed,
        stray,
        leftover,
        received[:-1],
        seconds,
        watch.args,
    )
    for pid in processes_with(MARK):  # never leave a survivor to the rest of the session
        with contextlib.suppress(OSError):
            os.kill(pid, 9)


# ---------------------------------------------------------------------------
# The tests


def test_the_batch_completes_with_one_row_per_submission(graded):
    """Does the batch grade every submission, with a valid gradebook (sorted by id) and a results.json each?"""
    assert sorted(graded.rows) == sorted(graded.order)
    text = (graded.ctx.out / "gradebook.csv").read_text()
    assert gradescope_schema.gradebook_problems(text, graded.rubric.question_ids) == []
    assert [r["submission"] for r in gradescope_schema.gradebook_rows(text)] == sorted(graded.order)
    for sid in graded.order:
        assert gradescope_schema.validate(graded.results(sid)) == [], sid
    print(
        f"hostile batch: {len(graded.order)} submissions graded in {graded.seconds:.0f} s "
        f"({'bubblewrap' if graded.bwrap else 'resource limits only'})"
    )


def test_the_baselines_score_as_expected(graded):
    """Is the correct submission full marks, and do minus_attack and buggy lose exactly their broken checks?"""
    full = graded.check_scores("correct")
    assert graded.rows["correct"].total == graded.rubric.max_total and all(v > 0 for v in full.values())
    minus = graded.check_scores("minus_attack")
    assert {c for c, v in minus.items() if v != full[c]} == {"affine_backward"} and minus["affine_backward"] == 0
    buggy = graded.check_scores("buggy")
    assert {c for c, v in buggy.items() if v != full[c]}, "the mutant lost nothing"


def test_the_output_folder_holds_only_what_the_grader_writes(graded):
    out = graded.ctx.out
    allowed_top = {"gradebook.csv", "summary.html", *graded.order}
    assert {p.name for p in out.iterdir()} <= allowed_top
    assert {p.name for p in out.iterdir() if p.is_dir()} == set(graded.order)
    for sid in graded.order:
        assert {p.name for p in (out / sid).iterdir()} == {"results.json", "report.html", "worker.log"}, sid
        assert graded.results(sid)["a2kit"]["submission"] == sid


def test_the_workers_output_is_kept_head_and_tail_for_the_instructor_only(graded):
    """worker.log: the first and last 64 KiB of what the submission printed; never in the report or results.json."""
    out = graded.ctx.out
    log = (out / "flood_stdout" / "worker.log").read_text()
    assert "{'score': 100}" in log and "bytes left out" in log
    assert len(log.encode()) < 2 * (64 << 10) + 200  # 26 MB printed, 128 KiB kept
    for name in ("report.html", "results.json"):
        assert "{'score': 100} {'score': 100}" not in (out / "flood_stdout" / name).read_text()
    assert (out / "correct" / "worker.log").read_text() == ""  # the reference prints nothing


#: What the report says for the attacks the channel stops (the check the attack is in fails with this reason).
STOPPED_BECAUSE = {
    "oversized_outputs": "broke the grading protocol: outputs of",
    "deadline_reset": "broke the grading protocol: a second start event",
    "result_for_another_check": "broke the grading protocol: an event for another check",
    "malformed_event_with_burners": "broke the grading protocol: an event for another check",
    "forge_channel": "broke the grading protocol",
    "plant_links_in_job_folder": "the process ended during this check",
}


@pytest.mark.parametrize("name", list(STOPPED_BECAUSE))
def test_the_channel_stops_the_attack_at_once_with_its_reason(graded, name):
    test = next(t for t in graded.results(name)["tests"] if "affine_backward" in t["name"])
    assert STOPPED_BECAUSE[name] in test["output"], test["output"]
    assert test["score"] == 0


def test_no_host_file_content_and_no_secret_in_any_output(graded):
    """The canary (a host file the attacks link to) and the grading secret appear in nothing the grader wrote."""
    for path in graded.ctx.out.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert CANARY.encode() not in text and SECRET.encode() not in text, path


def test_hidden_cases_show_no_expected_values(graded):
    """Breach 7: no failure message of a hidden case says "got X, expected Y" (the reference's answer on it)."""
    import re

    failed = 0
    for sid in graded.order:
        for t in graded.results(sid)["tests"]:
            assert not re.search(r"got [^,()]+, expected", t["output"]), (sid, t["output"])
            # grade scores the public case first (issue 13): a bug it shows fails there, values and all
            # (public.npz has them)
            failed += "values withheld: hidden case" in t["output"] or "on the public case:" in t["output"]
    assert failed, "no check failed on its values: the assertion above tested nothing"
    for path in graded.ctx.out.glob("*/report.html"):
        assert not re.search(r"got [^,()<]+, expected", path.read_text()), path


def test_without_values_keeps_the_diagnosis_and_drops_the_values():
    from grader.scoring import without_values

    assert (
        without_values("dx: got 1.5, expected -2.25e-03 (rel error 0.9)")
        == "dx: (values withheld: hidden case) (rel error 0.9)"
    )
    text = without_values("dx: max rel error 0.3 at index (1, 2) (got 0.5, expected 0.7)")
    assert "0.5" not in text and "0.7" not in text and "max rel error 0.3" in text
    assert without_values("t: shape (1,), expected ()") == "t: shape (1,), expected ()"


def test_nothing_outside_the_output_folder_changed(graded):
    assert graded.changed == []
    assert graded.stray_markers == []


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_submission(graded, name):
    """Does this attack gain nothing, change nothing outside, leave nothing running, and leave the others' rows
    alone?
    """
    case = CASES[name]
    if case.bwrap_only and not graded.bwrap:
        pytest.skip("without bubblewrap this attack is not stopped (see grader/sandbox.py): not graded")
    sid = name
    row = graded.rows[sid]
    data = graded.results(sid)
    assert gradescope_schema.validate(data) == []
    full = graded.check_scores("correct", graded.clean_out)  # from the batch no hostile submission was in
    scores = graded.check_scores(sid)
    if case.refused:
        assert row.status == "error" and row.total == 0, (row.status, row.message)
        assert sid in row.message and data["tests"] == [] and row.message in data["output"]
    else:
        assert row.status in ("graded", "partial"), row.message
        expected = {cid: (0.0 if cid in case.affected else full[cid]) for cid in full}
        assert scores == expected
        assert row.total == sum(expected.values()) == data["score"]
        if case.affected == BACKWARD:  # the same submission without the attack scores the same
            assert scores == graded.check_scores("minus_attack")
    if name in RUN_TO_THE_END:  # the attack ran its course (then raised the stub's NotImplementedError)
        test = next(t for t in data["tests"] if "affine_backward" in t["name"])
        assert test["output"].startswith("not implemented"), test["output"]
    if name in STARTS_PROCESS:
        assert marker(name) in graded.ran, "the attack's process never started"
    # nothing outside changed, nothing left running, nothing reached the listener
    assert not [c for c in graded.changed if name in c or "sentinel" in c], graded.changed
    assert not [m for m in graded.stray_markers if name in m], graded.stray_markers
    assert survivors(marker(name), wait=0.5) == [] and graded.leftover == []
    assert graded.received == []
    # the other submissions are graded exactly as in a batch without the hostile ones
    for other in BASELINES:
        a, b = graded.rows[other], graded.clean_rows[other]
        assert (a.status, a.scores, a.total, a.message) == (b.status, b.scores, b.total, b.message), other
        assert graded.check_scores(other) == graded.check_scores(other, graded.clean_out)
        mine = [(t["name"], t["score"], t["status"], t["output"]) for t in graded.results(other)["tests"]]
        clean = [
            (t["name"], t["score"], t["status"], t["output"]) for t in graded.results(other, graded.clean_out)["tests"]
        ]
        assert mine == clean, other


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 20
    assert sys.platform.startswith("linux")
