"""The sandbox around the worker: hostile submissions, with and without bubblewrap.

Each hostile body replaces ``affine_backward`` in a small package (as in
test_runner.py) and runs through ``run_checks`` with the ``Sandbox`` launcher;
``affine_forward`` runs first in the same worker and must keep its result.
Tests marked for both modes run once under bubblewrap and once with resource
limits only (``Sandbox(bubblewrap=False)``); what only bubblewrap can give
(hidden files, read-only system, no network, a PID namespace) is tested under
bubblewrap alone, and skips with the probe's reason where it does not work.
CI sets ``A2KIT_SANDBOX=bwrap`` so that those never skip silently.
"""

import ast
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from grader import fixtures, sandbox
from grader.runner import Task, run_checks
from grader.sandbox import Limits, Sandbox, SandboxError, SandboxWarning
from tests.grader.subjects import (
    GOOD_BODY,
    GOOD_FORWARD,
    Watch,
    processes_with,
    survivors,
)

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

ROOT = Path(__file__).resolve().parents[2]
AS_ROOT = os.geteuid() == 0

#: Small limits, so the hostile cases end fast and stay harmless.
LIMITS = Limits(
    cpu_seconds=30, address_space=1 << 30, processes=32, file_size=8 << 20, open_files=64, tmp_size=16 << 20
)


def require_bwrap():
    ok, reason = sandbox.bwrap_status()
    if not ok:
        if os.environ.get(sandbox.ENV_VAR) == "bwrap":
            pytest.fail(f"{sandbox.ENV_VAR}=bwrap but bubblewrap does not work: {reason}")
        pytest.skip(f"bubblewrap-only assertion; bubblewrap does not work here: {reason}")


@pytest.fixture(params=["bwrap", "limits"], ids=["bwrap", "limits-only"])
def mode(request):
    if request.param == "bwrap":
        require_bwrap()
    return request.param


@pytest.fixture
def bwrap():
    require_bwrap()
    return "bwrap"


def run(tmp_path, mode, body, *, timeout=3.0, limits=LIMITS, env=None, log=None):
    """Run affine_forward (correct) and affine_backward (``body``) in the sandbox."""
    pkgs = tmp_path / "pkgs"
    pkg = pkgs / "subject"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    backward = "def affine_backward(dout, cache):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    (pkg / "layers.py").write_text(GOOD_FORWARD + "\n" + backward + "\n")
    work = tmp_path / "work"
    work.mkdir()
    public = fixtures.load()
    tasks = [Task(cid, public[cid].case, timeout) for cid in ("affine_forward", "affine_backward")]
    launcher = Sandbox(visible=(pkgs,), limits=limits, bubblewrap=(mode == "bwrap"))
    return run_checks("subject", [str(pkgs)], tasks, launcher=launcher, workdir=work, env=env, log=log)


def probe(tmp_path, mode, code, **kw) -> dict:
    """Run ``code`` (which fills a dict ``facts``) inside; return the facts (sent back in the error message)."""
    body = (
        "facts = {}\n"
        + textwrap.dedent(code)
        + "\nimport json as _json\nraise RuntimeError('FACTS' + _json.dumps(facts))\n"
    )
    out = run(tmp_path, mode, body, **kw)
    assert out["affine_forward"].status == "ok"
    message = out["affine_backward"].message
    assert "FACTS" in message, message
    return json.loads(message.split("FACTS", 1)[1])


# ---------------------------------------------------------------------------
# Both modes


def test_a_correct_package_passes_through_the_sandbox(tmp_path, mode):
    """Do outputs come back through the sandbox (under bubblewrap: does the runner's pipe fd survive)?"""
    out = run(tmp_path, mode, GOOD_BODY)
    assert out["affine_forward"].status == "ok" and out["affine_backward"].status == "ok"
    assert set(out["affine_backward"].outputs) >= {"dx", "dw", "db"}


def test_an_infinite_loop_times_out_and_leaves_nothing_running(tmp_path, mode):
    """Is a busy loop stopped at its time limit, with the process it started in the background?"""
    marker = f"{tmp_path}/linger"
    body = f"""
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(0.05)", {marker!r}])
    while True:
        pass
    """
    started = time.monotonic()
    with Watch(marker) as watch:
        out = run(tmp_path, mode, body, timeout=1.5)
    assert out["affine_forward"].status == "ok"
    assert out["affine_backward"].status == "timeout" and "time limit" in out["affine_backward"].message
    assert time.monotonic() - started < 15
    assert watch.seen, "the background process never started"
    assert survivors(str(tmp_path)) == []


def test_ignoring_sigterm_does_not_help(tmp_path, mode):
    body = """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(0.1)
    """
    out = run(tmp_path, mode, body, timeout=1.5)
    assert out["affine_backward"].status == "timeout"
    assert survivors(str(tmp_path)) == []


def test_a_memory_bomb_fails_with_memory_error_and_the_grader_survives(tmp_path, mode):
    body = """
    chunks = []
    while True:
        chunks.append(b"x" * (64 << 20))
    """
    out = run(tmp_path, mode, body, timeout=20.0)
    assert out["affine_forward"].status == "ok"
    assert out["affine_backward"].status == "error"
    assert "MemoryError" in out["affine_backward"].message


def test_cpu_time_is_limited(tmp_path, mode):
    """Does RLIMIT_CPU stop a busy loop long before the (generous) time limit?"""
    limits = Limits(**{**LIMITS.__dict__, "cpu_seconds": 1})
    started = time.monotonic()
    out = run(tmp_path, mode, "while True:\n    pass\n", timeout=30.0, limits=limits)
    assert out["affine_backward"].status == "error"
    assert "process ended" in out["affine_backward"].message
    assert time.monotonic() - started < 15
    assert survivors(str(tmp_path)) == []


def test_flooding_stdout_costs_nothing_and_is_kept_head_and_tail(tmp_path, mode):
    """64 MiB on stdout and stderr (more than the file-size limit) then correct results: ok, with 64 KiB head + tail
    kept.
    """
    from grader.channel import HeadTail

    body = (
        textwrap.dedent("""
    import os, sys
    os.write(1, b"HEAD-MARK")
    for _ in range(32):
        os.write(1, b"x" * (1 << 20))
        os.write(2, b"y" * (1 << 20))
    print("TAIL-MARK", flush=True)
    """)
        + GOOD_BODY
    )
    log = HeadTail()
    out = run(tmp_path, mode, body, timeout=30.0, log=log)
    assert out["affine_forward"].status == "ok" and out["affine_backward"].status == "ok", out[
        "affine_backward"
    ].message
    assert log.total >= 64 << 20 and len(log.head) == len(log.tail) == 64 << 10
    text = log.text()
    assert text.startswith("HEAD-MARK") and "TAIL-MARK" in text[-200:] and "bytes left out" in text


def test_the_instructors_environment_does_not_reach_the_submission(tmp_path, mode):
    env = dict(os.environ, A2KIT_TEST_TOKEN="s3cret")
    code = (
        "import os\nfacts['token'] = os.environ.get('A2KIT_TEST_TOKEN')\n"
        "facts['home'] = os.environ['HOME'] == os.getcwd()\n"
    )
    facts = probe(tmp_path, mode, code, env=env)
    assert facts == {"token": None, "home": True}


def test_the_project_is_not_on_the_submissions_import_path(tmp_path, mode):
    """Can a plain ``import reference`` (or the project's grader) succeed? Not in either mode."""
    code = (
        "import importlib, sys\n"
        "facts['reference'] = importlib.util.find_spec('reference') is not None\n"
        f"facts['project_on_path'] = any(p.rstrip('/') == {str(ROOT)!r} for p in sys.path)\n"
    )
    facts = probe(tmp_path, mode, code)
    assert not facts["project_on_path"]
    if (
        mode == "bwrap"
    ):  # limits only: an editable install's import finder still maps `reference` (files are readable anyway)
        assert not facts["reference"]


def test_a_bounded_fork_probe_is_capped_and_cleaned_up(tmp_path, mode):
    """How many processes can the submission start? RLIMIT_NPROC caps it, and all are killed afterwards.

    Without bubblewrap and as root, nothing caps it: the kernel exempts root
    from RLIMIT_NPROC (the probe is bounded at 200 sleeping processes, so it
    is harmless); only the clean-up is asserted then.
    """
    body = """
    import os, time
    n = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    facts['forked'] = n
    """
    facts = probe(tmp_path, mode, body)
    if mode == "bwrap":
        assert facts["forked"] < LIMITS.processes  # the sandbox's own count
    elif not AS_ROOT:
        # The user's count is shared: the limit is the user's tasks at start plus 32,
        # and tasks of the user that end meanwhile (earlier tests' workers) free slots.
        assert facts["forked"] < LIMITS.processes + 16
    assert survivors(str(tmp_path)) == []


# ---------------------------------------------------------------------------
# bubblewrap only


def test_a_fork_bomb_is_bounded_and_the_machine_survives(tmp_path, bwrap):
    """Is an exponential fork bomb held to RLIMIT_NPROC processes and killed at the time limit?

    Run only after the bounded probe confirms the cap, so it cannot take the machine down.
    """
    (tmp_path / "probe").mkdir()
    (tmp_path / "after").mkdir()
    cap = """
    import os, time
    n = 0
    for _ in range(100):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    facts['forked'] = n
    """
    facts = probe(tmp_path / "probe", bwrap, cap)
    assert facts["forked"] < LIMITS.processes, "RLIMIT_NPROC does not bind: not running the fork bomb"
    body = """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
    assert survivors(str(tmp_path / "probe")) == []
    with Watch(str(tmp_path / "work")) as watch:
        out = run(tmp_path, bwrap, body, timeout=2.0)
    assert out["affine_forward"].status == "ok"
    assert out["affine_backward"].status == "timeout"
    # Distinct pids seen from the host over the whole run: about 32 (measured 33-34), not thousands.
    assert 0 < len(watch.seen) <= 2 * LIMITS.processes
    assert survivors(str(tmp_path)) == []
    assert run(tmp_path / "after", bwrap, GOOD_BODY)["affine_backward"].status == "ok"  # the next worker starts


def test_if_the_grader_dies_nothing_it_sandboxed_survives(tmp_path, bwrap):
    """Is a looping worker killed when the grading process itself is killed (--die-with-parent)?"""
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, os.environ['A2KIT_TEST_HERE'])\n"
        "import test_sandbox as t\n"
        "t.run(Path(os.environ['A2KIT_TEST_DIR']), 'bwrap', 'while True:\\n    pass\\n', timeout=60.0)\n"
    )
    scratch = tmp_path / "tmp"  # the killed grader cannot remove its grader copy: keep it in tmp_path
    scratch.mkdir()
    env = dict(
        os.environ, A2KIT_TEST_HERE=str(Path(__file__).parent), A2KIT_TEST_DIR=str(tmp_path), PYTHONPATH=str(ROOT)
    )
    env["TMPDIR"] = str(scratch)
    grader = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not processes_with(f"grader.worker\0{tmp_path}"):
            assert time.monotonic() < deadline and grader.poll() is None, "the worker never started"
            time.sleep(0.1)
        time.sleep(1.0)  # into affine_backward's loop
    finally:
        grader.kill()
        grader.wait()
    assert survivors(str(tmp_path), wait=5.0) == []


def test_a_daemon_that_leaves_the_process_group_is_killed(tmp_path, bwrap):
    """Does a double-forked, setsid'd process die with the sandbox (PID namespace)?"""
    marker = f"{tmp_path}/daemon"
    body = f"""
    import os, sys, time
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", {marker!r}])
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.5)
    seen = []
    for p in os.listdir("/proc"):
        try:
            seen.append({marker!r}.encode() in open(f"/proc/{{p}}/cmdline", "rb").read())
        except OSError:
            pass
    facts["daemon_running"] = any(seen)
    """
    facts = probe(tmp_path, bwrap, body)
    assert facts["daemon_running"]
    assert survivors(marker) == []


def test_the_project_the_home_and_secrets_are_not_visible(tmp_path, bwrap):
    """Can the submission read reference/, the instructor-only wrong answers, the home or a secret file?"""
    secret = tmp_path / "home" / "secret_seed"
    secret.parent.mkdir()
    secret.write_text("12345")
    targets = [
        ROOT / "reference" / "layers.py",
        ROOT / "grader" / "wrong_answers" / "__init__.py",
        ROOT / "grader" / "fixtures" / "public.npz",
        ROOT / "rubric.yaml",
        Path("/a2kit/grader/wrong_answers/__init__.py"),
        secret,
        Path.home(),
    ]
    for t in targets[:-1]:
        assert t.exists() or str(t).startswith("/a2kit/"), t  # real files on the host
    body = f"""
    import os
    for i, path in enumerate({[str(t) for t in targets]!r}):
        try:
            if os.path.isdir(path):
                facts[i] = sorted(os.listdir(path))
            else:
                open(path, "rb").read()
                facts[i] = "read"
        except OSError as exc:
            facts[i] = type(exc).__name__
    facts["grader"] = sorted(os.listdir("/a2kit/grader"))
    """
    facts = probe(tmp_path, bwrap, body)
    for i in range(len(targets) - 1):
        assert facts[str(i)] == "FileNotFoundError", (targets[i], facts[str(i)])
    # The home holds nothing but the folders leading to what is bound (pyenv's Python lives in /root).
    bound = [Path(sys.base_prefix), Path(sys.prefix), tmp_path]
    home = facts[str(len(targets) - 1)]
    assert home == "FileNotFoundError" or all(any(Path.home() / e in (b, *b.parents) for b in bound) for e in home), (
        home
    )
    assert "wrong_answers" not in facts["grader"] and "fixtures" not in facts["grader"]
    assert "worker.py" in facts["grader"] and "checks" in facts["grader"]


def test_writing_outside_the_job_folder_fails_and_reaches_nothing_on_the_host(tmp_path, bwrap):
    escapes = [
        tmp_path / "escape.txt",  # inside, a folder of the private /tmp
        tmp_path / "pkgs" / "subject" / "evil.py",  # the submission, read-only
        ROOT / "pwned.txt",
        Path("/usr/pwned.txt"),
        Path("/pwned.txt"),  # the sandbox's own root, sealed read-only
        Path("/dev/pwned"),
    ]
    body = f"""
    for i, path in enumerate({[str(e) for e in escapes]!r}):
        try:
            with open(path, "w") as fh:
                fh.write("pwned")
            facts[i] = "written"
        except OSError as exc:
            facts[i] = type(exc).__name__
    open("inside-the-job-folder.txt", "w").write("fine")
    facts["jobdir"] = "ok"
    """
    facts = probe(tmp_path, bwrap, body)
    assert facts["jobdir"] == "ok"
    for i, e in enumerate(escapes):
        assert not e.exists(), f"{e} appeared on the host"
        if i > 0:
            assert facts[str(i)] != "written", e  # read-only or absent inside too
    assert (tmp_path / "pkgs" / "subject" / "layers.py").read_text().startswith("\nimport numpy")


def test_the_network_is_unreachable(tmp_path, bwrap):
    """Does a connection to a listener on the host's 127.0.0.1 fail, the listener receiving nothing?"""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    port = server.getsockname()[1]
    received, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100))
            conn.close()

    listener = threading.Thread(target=accept, daemon=True)
    listener.start()
    body = f"""
    import socket
    for host in ("127.0.0.1", "8.8.8.8"):
        try:
            s = socket.create_connection((host, {port} if host == "127.0.0.1" else 53), timeout=2)
            s.sendall(b"LEAK")
            facts[host] = "connected"
        except OSError as exc:
            facts[host] = type(exc).__name__
    """
    try:
        facts = probe(tmp_path, bwrap, body)
        # the same connection from the host works: the listener is real
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"HOST")
        time.sleep(0.3)
    finally:
        stop.set()
        listener.join()
        server.close()
    assert facts["127.0.0.1"] == "ConnectionRefusedError"
    assert facts["8.8.8.8"] != "connected"
    assert received == [b"HOST"]


def test_the_submission_has_no_privileges_and_cannot_see_or_signal_the_grader(tmp_path, bwrap):
    body = f"""
    import os
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    facts["cap_eff"] = status["CapEff"].strip()
    facts["cap_prm"] = status["CapPrm"].strip()
    facts["no_new_privs"] = status["NoNewPrivs"].strip()
    facts["uid"] = int(status["Uid"].split()[0])
    facts["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    try:
        os.kill({os.getpid()}, 0)  # the grader's pid on the host
        facts["signal"] = "delivered"
    except OSError as exc:
        facts["signal"] = type(exc).__name__
    """
    facts = probe(tmp_path, bwrap, body)
    assert facts["cap_eff"] == facts["cap_prm"] == "0000000000000000"
    assert facts["no_new_privs"] == "1"
    if AS_ROOT:
        assert facts["uid"] >= sandbox.SANDBOX_UID_BASE
    assert facts["pids"] == [1, 2]  # bwrap's init and the worker: nothing of the host
    assert facts["signal"] in ("ProcessLookupError", "PermissionError")


def test_the_sandbox_init_and_install_records_show_no_host_mounts_or_project(tmp_path, bwrap):
    """/proc/1/cmdline (bwrap's init) used to list every mount; the venv's editable-install files named the project."""
    body = f"""
    import glob, os, sys
    init = open("/proc/1/cmdline", "rb").read().decode(errors="replace").split(chr(0))
    facts["init"] = init[1:4]
    facts["mount_options"] = [a for a in init if a in ("--ro-bind", "--bind", "--tmpfs")]
    facts["pkgs_listed"] = {str(tmp_path / "pkgs")!r} in " ".join(init)
    facts["naming"] = []
    for site in [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]:
        for pattern in ("*.pth", "__editable__*", "*.egg-link", "*.dist-info/direct_url.json"):
            for path in glob.glob(os.path.join(site, pattern)):
                try:
                    with open(path, errors="replace") as fh:
                        if {str(ROOT)!r} in fh.read(1 << 20):
                            facts["naming"].append(path[-60:])
                except OSError:
                    pass
    """
    facts = probe(tmp_path, bwrap, body)
    assert facts["init"][:2] == ["--args", facts["init"][1]] and facts["init"][2] == "--", facts["init"]
    assert facts["mount_options"] == []  # the options came through a descriptor
    assert not facts["pkgs_listed"]  # the submission's host folder is not listed
    assert facts["naming"] == []


SECCOMP_PROBE = """
import ctypes, errno, subprocess, threading
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
    return errno.errorcode.get(ctypes.get_errno(), "ok") if r == -1 else "ok"
# x86_64 numbers: ptrace(PTRACE_TRACEME), unshare(CLONE_NEWUSER), keyctl(GET_KEYRING_ID), bpf, userfaultfd,
# perf_event_open, io_uring_setup, mount, clone3
facts["ptrace"] = call(101, 0, 0, 0, 0)
facts["unshare"] = call(272, 0x10000000)
facts["keyctl"] = call(250, 0, -3, 0)
facts["bpf"] = call(321, 0, 0, 0)
facts["userfaultfd"] = call(323, 0)
facts["perf_event_open"] = call(298, 0, 0, -1, -1, 0)
facts["io_uring_setup"] = call(425, 1, 0)
facts["mount"] = call(165, 0, 0, 0, 0, 0)
facts["clone3"] = call(435, 0, 0)
t = threading.Thread(target=lambda: None)
t.start()
t.join()
facts["thread"] = "ok"
facts["subprocess"] = subprocess.run(["true"]).returncode
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86_64 system call numbers")
def test_system_calls_grading_never_needs_are_refused(tmp_path, mode):
    from grader import sysfilter

    if sysfilter.filter_program() is None:
        if os.environ.get(sandbox.ENV_VAR) == "bwrap":
            pytest.fail(f"no seccomp filter where the sandbox is required: {sysfilter.status()}")
        pytest.skip(f"no seccomp filter here: {sysfilter.status()}")
    facts = probe(tmp_path, mode, SECCOMP_PROBE)
    refused = ("ptrace", "unshare", "keyctl", "bpf", "userfaultfd", "perf_event_open", "io_uring_setup", "mount")
    assert {k: facts[k] for k in refused} == dict.fromkeys(refused, "EPERM")
    assert facts["clone3"] == "ENOSYS"  # glibc then falls back to clone, whose flags the filter reads
    assert facts["thread"] == "ok" and facts["subprocess"] == 0  # threads and processes still work


def test_a_filter_that_cannot_be_loaded_stops_the_worker_before_it_starts(tmp_path):
    """The wrapper fails closed: a filter file that is not a program (or cannot be read) starts nothing."""
    bad = tmp_path / "bad.bpf"
    bad.write_bytes(b"\0" * 7)
    marker = tmp_path / "started"
    spec = {"limits": {}, "uid": None, "shared_nproc": True, "seccomp": str(bad)}
    for path in (bad, tmp_path / "missing.bpf", tmp_path):
        spec["seccomp"] = str(path)
        done = subprocess.run(
            [sys.executable, "-S", "-m", "grader.sandbox", json.dumps(spec), "--", sys.executable, "-c",
             f"open({str(marker)!r}, 'w')"],
            capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        assert done.returncode == 126 and "seccomp filter" in done.stderr, (path, done.stderr)
        assert not marker.exists()


# ---------------------------------------------------------------------------
# Configuration (no process started)


def test_the_grader_copy_holds_every_module_the_worker_imports_and_nothing_secret():
    """Does the filtered grader copy resolve each grader import of the worker and the checks, without wrong_answers/?"""
    copy = sandbox._grader_copy(ROOT / "grader") / "grader"
    files = {p.relative_to(copy).as_posix() for p in copy.rglob("*.py")}
    assert not any(f.startswith("wrong_answers") for f in files) and not (copy / "fixtures").exists()
    for name in sorted(files):
        package = Path(name).parent.parts
        tree = ast.parse((copy / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(package[: len(package) - node.level + 1])
                module = base + (node.module.split(".") if node.module else [])
                target = "/".join(module)
                assert (
                    f"{target}.py" in files
                    or f"{target}/__init__.py" in files
                    or (
                        target == "/".join(base)
                        and all(f"{target}/{a.name}.py".lstrip("/") in files for a in node.names)
                    )
                ), f"{name} imports {target} which the sandbox does not copy"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                for n in names:
                    if n == "grader" or n.startswith("grader."):
                        target = n.split(".")[1:]
                        assert "/".join(target) + ".py" in files, f"{name} imports {n}"


def test_the_bwrap_command_line_shows_no_project_path_but_the_venv(tmp_path):
    jobdir = tmp_path / "job"
    jobdir.mkdir()
    tree = tmp_path / "tree"
    tree.mkdir()
    argv = Sandbox(visible=(tree,)).bwrap_argv(["/py", "-m", "grader.worker", str(jobdir), "5"], jobdir)
    shown = [argv[i + 2] for i, a in enumerate(argv) if a in ("--ro-bind", "--bind")]
    project = [s for s in shown if s == str(ROOT) or s.startswith(str(ROOT) + "/")]
    pythons = {Path(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix)}
    assert all(any(Path(s) == p or p in Path(s).parents for p in pythons) for s in project), (
        project
    )  # only a venv inside it
    assert str(tree) in shown and str(jobdir.resolve()) in shown and "/a2kit" in shown
    assert argv[argv.index("--bind") + 1] == str(jobdir.resolve())  # the only writable bind
    assert argv.count("--bind") == 1
    assert argv[-6:] == ["--", "/py", "-m", "grader.worker", str(jobdir), "5"]


def test_an_installed_reference_or_grader_in_site_packages_is_hidden(monkeypatch, bwrap):
    """A non-editable install puts reference/ into site-packages, which the sandbox binds: is it empty inside?"""
    import shutil
    import tempfile

    site = Path(tempfile.mkdtemp(prefix="a2kit-fake-site-"))
    try:
        os.chmod(site, 0o755)
        for name in ("reference", "grader", "numpy_like"):
            (site / name).mkdir(mode=0o755)
            (site / name / "layers.py").write_text("SOLUTION = 1\n")
            os.chmod(site / name / "layers.py", 0o644)
        real = sandbox._python_paths
        monkeypatch.setattr(sandbox, "_python_paths", lambda project, refuse: [*real(project, refuse), site])
        jobdir = Path(tempfile.mkdtemp(prefix="a2kit-job-"))
        os.chmod(jobdir, 0o755)
        code = (
            "import os, sys; "
            "print(sorted(n for n in ('reference', 'grader', 'numpy_like') "
            "if os.listdir(os.path.join(sys.argv[1], n))))"
        )
        argv = Sandbox().bwrap_argv([sys.executable, "-c", code, str(site)], jobdir)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=jobdir)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "['numpy_like']"  # only the project's own packages are emptied
    finally:
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(jobdir, ignore_errors=True)


@pytest.mark.parametrize("path", [ROOT, ROOT / "reference", ROOT / "grader", ROOT.parent])
def test_the_project_reference_or_grader_cannot_be_made_visible(tmp_path, path):
    with pytest.raises(SandboxError, match="cannot show"):
        Sandbox(visible=(path,)).bwrap_argv(["/py"], tmp_path)


def test_without_bubblewrap_one_loud_warning_per_process(tmp_path, monkeypatch):
    sandbox._warn_unsandboxed.cache_clear()
    monkeypatch.setenv(sandbox.ENV_VAR, "limits")
    launcher = Sandbox(visible=(tmp_path,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = launcher(["/py", "-m", "grader.worker", "J", "5"], tmp_path)
        launcher(["/py", "-m", "grader.worker", "J", "5"], tmp_path)
    ours = [w for w in caught if issubclass(w.category, SandboxWarning)]
    assert len(ours) == 1 and sandbox.UNSANDBOXED in str(ours[0].message)
    assert first[:4] == ["/py", "-S", "-m", "grader.sandbox"] and first[-5:] == ["/py", "-m", "grader.worker", "J", "5"]


def test_required_bubblewrap_that_does_not_work_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_status", lambda: (False, "bwrap is not installed"))
    monkeypatch.setenv(sandbox.ENV_VAR, "bwrap")
    with pytest.raises(SandboxError, match="required"):
        Sandbox()(["/py"], tmp_path)
    monkeypatch.setenv(sandbox.ENV_VAR, "maybe")
    with pytest.raises(SandboxError, match="A2KIT_SANDBOX"):
        Sandbox()(["/py"], tmp_path)
