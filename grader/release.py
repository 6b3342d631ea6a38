"""``python -m grader release --out DIR``: the student handout.

What goes in (paths relative to the project root):

* ``student/``: the stubs, exactly as committed; refused when ``student/`` is
  stale (it must equal what ``python -m grader stubs`` makes from ``reference/``);
* ``notebooks/`` (``tp2/`` and any other subfolder included);
* ``grader/``, minus ``grader/wrong_answers/`` (the catalogue of known bugs is
  instructor-only: it would tell students what the hidden checks look for) and
  minus every file of ``grader/fixtures/`` but ``public.npz`` (hidden data);
* ``rubric.yaml`` and ``rubrics/``;
* ``pyproject.toml``, ``setup.py`` and ``LICENSE`` (those present), so that
  ``pip install -e .`` works in the handout;
* ``README.md``: the student README (``grader.handout.student_readme``: set-up,
  ``check``, ``collect``, the statuses, reading a diagnosis), never the
  project's own.

Never: anything of ``reference/``, secrets (``.a2kit-secret``), build
artefacts and caches (``__pycache__``, ``*.pyc``, ``*.so``, ``*.c``, ``*.o``,
``*.egg-info``), virtual environments (a folder holding ``pyvenv.cfg``),
notebook checkpoints, dot files, symbolic links. Files get mode 0644 (0755 if
executable), folders 0755.

Before the handout is moved into place, every file in it (the README
included) is scanned for the body of every solution region of ``reference/``
(whitespace-normalised; a region of one line is matched as a whole line, unless
that line is also given code of ``student/``); a match refuses the release. So a
reference file copied by mistake into ``notebooks/`` or ``grader/`` never
ships.

The handout is built in a temporary folder beside ``DIR`` and renamed into
place, so ``DIR`` is either absent, the old content or the complete new one.
``DIR`` must be outside the project (and not hold it) and absent or empty,
unless ``force`` (then its old content is replaced).

In the handout, ``python -m grader check`` and ``collect`` work (they need
only ``student/``, the public fixtures and the rubric); ``grade`` and
``fixtures`` need ``reference/`` and are the instructor's: there they are
refused in one line (``grader.handout.refusal``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import rubric as rubric_mod
from . import stubs
from .handout import student_readme
from .i18n import _
from .paths import project_root
from .zones import PUBLIC_FIXTURES, WITHHELD

#: Folders copied (filtered) into the handout.
TREES = ("student", "notebooks", "grader", "rubrics")
#: Top-level files copied when present.
FILES = ("rubric.yaml", "pyproject.toml", "setup.py", "LICENSE")
#: Written into the handout (not copied): the student README.
GENERATED = ("README.md",)
SECRET_NAMES = frozenset({".a2kit-secret"})
SKIPPED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", "build", "dist"})
SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo", ".so", ".pyd", ".c", ".o", ".tmp"})


class ReleaseError(ValueError):
    """The handout cannot be written; the message is one line naming the path."""


@dataclasses.dataclass(frozen=True)
class Release:
    """What ``release`` wrote."""

    out: Path
    files: tuple[str, ...]  # relative, /-separated, sorted

    @property
    def total_bytes(self) -> int:
        return sum((self.out / f).stat().st_size for f in self.files)


def _within(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def _skipped_dir(path: Path, rel: str) -> bool:
    name = path.name
    return (
        name in SKIPPED_DIRS
        or name.startswith(".")
        or name.endswith(".egg-info")
        or (path / "pyvenv.cfg").exists()
        or rel in WITHHELD
        or path.is_symlink()
    )


def _skipped_file(path: Path, rel: str) -> bool:
    name = path.name
    if name in SECRET_NAMES or name.startswith(".") or path.suffix in SKIPPED_SUFFIXES:
        return True
    if path.is_symlink() or not path.is_file():
        return True
    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
    return parent == "grader/fixtures" and name not in PUBLIC_FIXTURES


def handout_files(root: Path) -> list[str]:
    """The relative paths that go into the handout, sorted."""
    found = [f for f in FILES if (root / f).is_file() and not (root / f).is_symlink()]
    for top in TREES:
        base = root / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames if not _skipped_dir(here / d, (here / d).relative_to(root).as_posix())
            )
            for name in filenames:
                rel = (here / name).relative_to(root).as_posix()
                if not _skipped_file(here / name, rel):
                    found.append(rel)
    return sorted(found)


_WS = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


#: A one-line solution body at least this long is looked for anywhere in a file (it is distinctive);
#: a shorter one only as a whole line (``dx = dout`` must not match inside ``dx = dout * mask``).
ANYWHERE = 20


def solution_bodies(reference: Path, student: Path | None = None) -> dict[str, tuple[str, bool]]:
    """``"file:line"`` -> (the whitespace-normalised body of a solution region, whether it is one line).

    A body of one line is left out when that line is also given code of
    ``student/`` (it ships by design: ``return out, cache``).
    """
    given: set[str] = set()
    if student is not None and student.is_dir():
        for path in student.rglob("*.py"):
            try:
                given.update(_normalise(ln) for ln in path.read_text(encoding="utf-8").splitlines())
            except (OSError, UnicodeDecodeError):
                continue
    bodies = {}
    for rel in stubs.editable_files(reference):
        path = reference / rel
        lines = path.read_text(encoding="utf-8").splitlines()
        for region in stubs.find_regions("\n".join(lines), str(rel)):
            body = [ln for ln in lines[region.begin : region.end - 1] if ln.strip() and not ln.strip().startswith("#")]
            text = _normalise("\n".join(body))
            if len(body) >= 2 or (len(body) == 1 and text not in given):
                bodies[f"{rel.as_posix()}:{region.begin}"] = (text, len(body) == 1)
    return bodies


def _text_lines(path: Path) -> list[str]:
    """The lines of a text file; of a notebook, the lines of its cells (JSON would hide them)."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(raw).get("cells", [])
            sources = [
                "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                for c in cells
            ]
            raw = "\n".join(sources) + "\n" + raw
        except (ValueError, AttributeError):
            pass
    return raw.splitlines()


def find_leaks(tree: Path, files: Iterable[str], bodies: dict[str, tuple[str, bool]]) -> list[str]:
    """``"handout file: reference region"`` for every solution body found in a handout file (README included)."""
    leaks = []
    for rel in files:
        try:
            lines = _text_lines(tree / rel)
        except (UnicodeDecodeError, OSError):
            continue  # binary files (the fixtures) hold arrays, not code
        whole = {_normalise(ln) for ln in lines}
        text = _normalise("\n".join(lines))
        for where, (body, one_line) in bodies.items():
            found = (body in whole or (len(body) >= ANYWHERE and body in text)) if one_line else body in text
            if found:
                leaks.append(f"{rel}: {where}")
    return leaks


def _check_out(out: Path, root: Path, force: bool) -> None:
    if _within(out, root):
        raise ReleaseError(
            _("{out}: inside the project {root} (choose a folder outside it)").format(out=out, root=root)
        )
    if _within(root, out):
        raise ReleaseError(
            _("{out}: holds the project {root} (choose a folder outside it)").format(out=out, root=root)
        )
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ReleaseError(_("{out}: exists and is not a folder").format(out=out))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ReleaseError(_("{out}: not empty (use --force to replace its content)").format(out=out))


def _mode(src: Path) -> int:
    return 0o755 if src.stat().st_mode & stat.S_IXUSR else 0o644


def release(out: Path, *, root: Path | None = None, force: bool = False, rubric: Path | None = None) -> Release:
    """Write the student handout of the project at ``root`` into ``out``; see the module docstring.

    ``rubric``: the rubric whose questions the README lists (default ``root/rubric.yaml``); a track with
    a README of its own (``grader.handout.TRACK_READMES``, by the rubric file's stem) gets that one.
    """
    root = Path(root or project_root()).resolve()
    out = Path(os.path.abspath(out))
    rubric_path = Path(rubric) if rubric else root / "rubric.yaml"
    try:
        chosen = rubric_mod.load(rubric_path)
    except (OSError, rubric_mod.RubricError) as exc:
        raise ReleaseError(str(exc) if isinstance(exc, rubric_mod.RubricError) else f"{rubric_path}: {exc}") from exc
    reference, student = root / "reference", root / "student"
    if not student.is_dir():
        raise ReleaseError(_("{student}: missing (nothing to hand out)").format(student=student))
    _check_out(out, root, force)
    if reference.is_dir():
        try:
            stale = stubs.check_student_tree(reference, student) + stubs.check_editable_module(root)
        except stubs.StubError as exc:
            raise ReleaseError(f"reference/{exc}") from exc
        if stale:
            more = len(stale) > 1
            raise ReleaseError(
                (
                    _("{student}: stale ({problem} and more); run `python -m grader stubs` first")
                    if more
                    else _("{student}: stale ({problem}); run `python -m grader stubs` first")
                ).format(student=student, problem=stale[0])
            )
        bodies = solution_bodies(reference, student)
    else:
        bodies = {}
    files = handout_files(root)
    if not (root / "grader" / "fixtures" / PUBLIC_FIXTURES[0]).is_file():
        public = root / "grader" / "fixtures" / PUBLIC_FIXTURES[0]
        raise ReleaseError(_("{public}: missing (run `python -m grader fixtures`)").format(public=public))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for rel in files:
            src, target = root / rel, tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            os.chmod(target, _mode(src))
        readme = student_readme(chosen, track=rubric_path.stem)
        (tmp / "README.md").write_text(readme, encoding="utf-8")
        os.chmod(tmp / "README.md", 0o644)
        files = sorted([*files, *GENERATED])
        for dirpath, _dirs, _files in os.walk(tmp):
            os.chmod(dirpath, 0o755)
        leaks = find_leaks(tmp, files, bodies)
        if leaks:
            raise ReleaseError(
                (
                    _("reference code found in the handout: {leak} and more")
                    if len(leaks) > 1
                    else _("reference code found in the handout: {leak}")
                ).format(leak=leaks[0])
            )
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.rename(out, old / "content")
        try:
            os.rename(tmp, out)
        except OSError:
            if old is not None:
                os.rename(old / "content", out)  # put the old content back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Release(out, tuple(files))
