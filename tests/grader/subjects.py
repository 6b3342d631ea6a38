"""Source code of the small stand-in packages the runner and sandbox tests grade.

A correct ``affine_forward`` and the body of a correct ``affine_backward``;
tests replace the backward's body with the hostile or faulty code under test.

Below them, helpers that build whole submissions for ``grade`` (our layout,
the cs231n layout, edited functions).
"""

import os as _os
import re as _re
import shutil as _shutil
import threading as _threading
import time as _time
import zipfile as _zipfile
from pathlib import Path as _Path

GOOD_FORWARD = """
import numpy as np

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
"""

GOOD_BODY = """
x, w, b = cache
dx = (dout @ w.T).reshape(x.shape)
dw = x.reshape(x.shape[0], -1).T @ dout
db = dout.sum(axis=0)
return dx, dw, db
"""


# ---------------------------------------------------------------------------
# Whole submissions for ``grade`` (tests/suites/test_hostile.py, test_roundtrip.py)

ROOT = _Path(__file__).resolve().parents[2]
#: Build artefacts and caches, never part of a submission.
ARTEFACTS = ("__pycache__", "*.pyc", "*.so", "*.c", ".ipynb_checkpoints")


def copy_package(src: _Path, dest: _Path) -> _Path:
    _shutil.copytree(src, dest, ignore=_shutil.ignore_patterns(*ARTEFACTS))
    return dest


def our_layout(dest: _Path, package: _Path, *, notebooks: bool = False) -> _Path:
    """A submission folder in this kit's layout: ``dest/student/`` (a copy of ``package``), optionally notebooks/."""
    copy_package(package, dest / "student")
    if notebooks:
        _shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=_shutil.ignore_patterns(*ARTEFACTS))
    return dest


def absolute_imports(text: str, package: str) -> str:
    """The 2019 cs231n style: relative imports made absolute, for a module of ``package`` (e.g. ``cs231n.classifiers``).

    ``from ..layers import *`` in ``cs231n.classifiers`` -> ``from cs231n.layers import *``.
    """
    parts = package.split(".")

    def absolute(m: _re.Match) -> str:
        base = parts[: len(parts) - (len(m.group(2)) - 1)]
        target = ".".join(base + ([m.group(3)] if m.group(3) else []))
        return f"{m.group(1)}from {target} import"

    return _re.sub(r"^(\s*)from (\.+)(\w[\w.]*)? import", absolute, text, flags=_re.MULTILINE)


def code_notebook(sources: list[str]) -> dict:
    """A notebook (nbformat 4) of code cells with these sources, numbered as if run top to bottom."""
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": i + 1}
            for i, c in enumerate(sources)
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }


def cs231n_zip(
    path: _Path, package: _Path, *, prefix: str = "assignment2/", absolute: bool = False, beside: dict | None = None
) -> _Path:
    """A cs231n-layout zip of ``package`` (``<prefix>cs231n/layers.py``...), its imports made absolute if asked,
    with ``beside`` (name -> bytes: notebooks, ...) next to ``cs231n/``."""
    with _zipfile.ZipFile(path, "w", compression=_zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted((beside or {}).items()):
            zf.writestr(f"{prefix}{name}", data)
        for f in sorted(package.rglob("*")):
            if not f.is_file() or "__pycache__" in f.parts or f.suffix in (".so", ".c", ".pyc"):
                continue
            rel = f.relative_to(package).as_posix()
            data = f.read_bytes()
            if absolute and f.suffix == ".py":
                module_package = ".".join(["cs231n", *f.relative_to(package).parent.parts])
                data = absolute_imports(data.decode(), module_package).encode()
            zf.writestr(f"{prefix}cs231n/{rel}", data)
    return path


def replace_function(text: str, name: str, source: str) -> str:
    """``text`` with the top-level ``def name(...)`` (through the line before the next top-level statement) replaced."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.startswith(f"def {name}(")), None)
    if start is None:
        raise AssertionError(f"no top-level def {name} in the text")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t" or lines[end].startswith(")")):
        end += 1
    return "".join(lines[:start]) + source.rstrip("\n") + "\n\n\n" + "".join(lines[end:])


def edit_file(path: _Path, *, function: str | None = None, source: str = "", append: str = "") -> None:
    """Replace one function of ``path`` with ``source`` and/or append module-level code."""
    text = path.read_text()
    if function:
        text = replace_function(text, function, source)
    if append:
        text = text.rstrip("\n") + "\n\n" + append.strip("\n") + "\n"
    path.write_text(text)


def processes_with(marker: str) -> list[int]:
    """Pids of the processes (other than this one) whose command line holds ``marker``."""
    found = []
    for pid in _os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == _os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


class Watch:
    """Records, from the host, the processes whose command line holds ``marker`` while the block runs.

    ``seen``: their pids; ``args``: their command-line arguments that hold the marker.
    """

    def __init__(self, marker: str):
        self.marker, self.seen, self.args = marker, set(), set()
        self._stop = _threading.Event()

    def _loop(self):
        needle = self.marker.encode()
        while not self._stop.is_set():
            for pid in processes_with(self.marker):
                self.seen.add(pid)
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        self.args.update(a.decode(errors="replace") for a in fh.read().split(b"\0") if needle in a)
                except OSError:
                    continue
            _time.sleep(0.05)

    def __enter__(self):
        self._thread = _threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def survivors(marker: str, wait: float = 3.0) -> list[int]:
    """Processes whose command line holds ``marker``, after up to ``wait`` s for the kernel to reap them."""
    deadline = _time.monotonic() + wait
    while (found := processes_with(marker)) and _time.monotonic() < deadline:
        _time.sleep(0.05)
    return found


# -- the rubric this machine can grade ------------------------------------------------

#: Q5's reference needs PyTorch (an optional extra); without it the grader cannot
#: compute Q5's expected values, and ``grade`` refuses a rubric holding Q5.
HAS_TORCH = __import__("importlib.util").util.find_spec("torch") is not None
NEEDS_TORCH = ("q5",)


def gradable_rubric(rub=None):
    """``rub`` (default: rubric.yaml) without the questions that need torch, where torch is absent."""
    import dataclasses

    from grader import rubric as rubric_mod

    rub = rub or rubric_mod.load()
    if HAS_TORCH:
        return rub
    return dataclasses.replace(rub, questions=tuple(q for q in rub.questions if q.id not in NEEDS_TORCH))


def gradable_rubric_file(dest: _Path, rub=None) -> _Path:
    """``gradable_rubric(rub)`` written as a rubric file (for the command line's ``--rubric``)."""
    import yaml

    rub = gradable_rubric(rub)
    questions = {}
    for q in rub.questions:
        checks = []
        for c in q.checks:
            entry = {"id": c.id, "points": c.points}
            entry.update({k: v for k, v in (("tolerance", c.tolerance), ("timeout", c.timeout)) if v is not None})
            checks.append(entry)
        spec = {"title": q.title, "points": q.points, "extra_credit": q.extra_credit, "checks": checks}
        if q.notebook:
            spec["notebook"] = q.notebook
        questions[q.id] = spec
    path = _Path(dest) / "gradable-rubric.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "assignment": rub.assignment, "questions": questions}, sort_keys=False)
    )
    return path
