"""What the sandbox shows: the filtered grader copy and the Python installation's folders."""
from __future__ import annotations

import atexit
import compileall
import dataclasses
import functools
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from .zones import WORKER_FILES


@dataclasses.dataclass(frozen=True)
class Launch:
    """What a launcher returns when its command needs descriptors of its own.

    ``argv``: the command; ``fds``: open descriptors the command inherits at
    the same numbers (``pass_fds``), closed by the caller once it has started
    (or failed to start) the command.
    """

    argv: list[str]
    fds: tuple[int, ...] = ()


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as asked (bubblewrap required but unusable, a path it must not expose)."""


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
