"""Generate the student tree from the reference by stripping solution regions.

A solution region is a block of lines enclosed by two marker lines, each alone
on its line (leading whitespace allowed)::

    # BEGIN SOLUTION
    ...reference code...
    # END SOLUTION

The generator replaces the region, markers included, with a stub at the
indentation of the ``BEGIN`` marker::

    # TODO: your code here (see the docstring above).
    raise NotImplementedError("affine_forward is not implemented yet (layers.py)")

so the function keeps its signature and docstring and fails loudly and
recognisably. Nested, unterminated or stray markers are errors naming the file
and the line. Files without regions are copied unchanged; the student-editable
files are exactly the files that hold at least one region.
"""
from __future__ import annotations

import dataclasses
import filecmp
import os
import re
import shutil
import tempfile
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker># (?:BEGIN|END) SOLUTION)[ \t]*$")
# A marker that is almost right: trailing a line of code, or with other '#'s or spacing.
_STRAY = re.compile(
    r"(^[ \t]*\S.*[ \t]#[ \t]*(BEGIN|END)[ \t]+SOLUTION[ \t]*$)|(^[ \t]*#+[ \t]*(BEGIN|END)[ \t]+SOLUTION\b)"
)
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?(?:def|class|cpdef|cdef)[ \t]+(?P<name>\w+)")

#: Text files the generator inspects for markers; everything else is copied.
TEXT_SUFFIXES = {".py", ".pyx", ".pxd"}
#: Build artefacts and caches that are never part of either tree.
IGNORED_NAMES = {"__pycache__", ".pytest_cache"}
IGNORED_SUFFIXES = {".pyc", ".pyo", ".so", ".pyd", ".c", ".o"}

STUB_COMMENT = "# TODO: your code here (see the docstring above)."


class StubError(ValueError):
    """A malformed solution marker; the message names the file and the line."""


@dataclasses.dataclass(frozen=True)
class Region:
    """One solution region: 1-based line numbers of its markers."""

    path: str
    begin: int
    end: int
    function: str | None


def _enclosing_name(lines: list[str], index: int, indent: str) -> str | None:
    """Name of the innermost def/class that encloses line ``index``."""
    width = len(indent.expandtabs())
    for line in reversed(lines[:index]):
        m = _DEF.match(line)
        if m and len(m.group("indent").expandtabs()) < width:
            return m.group("name")
    return None


def find_regions(text: str, path: str = "<string>") -> list[Region]:
    """Return the solution regions of ``text``; raise StubError on bad markers."""
    lines = text.splitlines()
    regions: list[Region] = []
    open_at: int | None = None
    open_indent = ""
    for i, line in enumerate(lines):
        m = _MARKER.match(line)
        if not m:
            if _STRAY.search(line):
                raise StubError(
                    f"{path}:{i + 1}: solution marker must stand alone on its line: {line.strip()!r}"
                )
            continue
        if m.group("marker") == BEGIN:
            if open_at is not None:
                raise StubError(
                    f"{path}:{i + 1}: nested '{BEGIN}' (the region opened at line {open_at + 1} is not closed)"
                )
            open_at, open_indent = i, m.group("indent")
        else:
            if open_at is None:
                raise StubError(f"{path}:{i + 1}: '{END}' without a matching '{BEGIN}'")
            if m.group("indent") != open_indent:
                raise StubError(
                    f"{path}:{i + 1}: '{END}' is not indented like the '{BEGIN}' at line {open_at + 1}"
                )
            name = _enclosing_name(lines, open_at, open_indent)
            regions.append(Region(path, open_at + 1, i + 1, name))
            open_at = None
    if open_at is not None:
        raise StubError(f"{path}:{open_at + 1}: '{BEGIN}' is never closed by '{END}'")
    return regions


def strip_solutions(text: str, path: str = "<string>") -> str:
    """Return ``text`` with each solution region replaced by its stub."""
    regions = find_regions(text, path)
    if not regions:
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    label = Path(path).name
    for r in regions:
        out.extend(lines[cursor : r.begin - 1])
        indent = _MARKER.match(lines[r.begin - 1]).group("indent")
        what = f"{r.function} is" if r.function else "this part is"
        out.append(f"{indent}{STUB_COMMENT}\n")
        out.append(f'{indent}raise NotImplementedError("{what} not implemented yet ({label})")\n')
        cursor = r.end
    out.extend(lines[cursor:])
    return "".join(out)


def _tree_files(root: Path) -> list[Path]:
    """Relative paths of the files of a tree, build artefacts excluded."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_NAMES and not d.endswith(".egg-info"))
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if p.suffix in IGNORED_SUFFIXES or name.startswith("."):
                continue
            files.append(p.relative_to(root))
    return files


def generate(reference: Path, dest: Path) -> list[Path]:
    """Write the student tree for ``reference`` into ``dest`` (which must be empty or absent).

    Returns the relative paths of the student-editable files.
    """
    editable = []
    for rel in _tree_files(reference):
        src = reference / rel
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix in TEXT_SUFFIXES:
            text = src.read_text(encoding="utf-8")
            stubbed = strip_solutions(text, str(rel))
            if stubbed != text:
                editable.append(rel)
            target.write_text(stubbed, encoding="utf-8")
        else:
            shutil.copyfile(src, target)
    return editable


def editable_files(reference: Path) -> list[Path]:
    """Relative paths of the files that hold at least one solution region."""
    return [
        rel
        for rel in _tree_files(reference)
        if rel.suffix in TEXT_SUFFIXES and find_regions((reference / rel).read_text(encoding="utf-8"), str(rel))
    ]


#: The committed list of student-editable files, relative to the project root (read by ``grader.zones``).
EDITABLE_MODULE = Path("grader") / "editable.py"


def editable_module_text(reference: Path) -> str:
    """The source of ``grader/editable.py``: the editable files of ``reference``, in the generator's order."""
    names = "".join(f'    "{rel.as_posix()}",\n' for rel in editable_files(reference))
    return (
        '"""The student-editable files (relative to student/): generated by `python -m grader stubs`, do not edit.\n\n'
        "They are the files that hold solution regions in reference/; `python -m grader stubs --check` fails\n"
        'when this list is stale. Read it through ``grader.zones.EDITABLE``.\n"""\n\n'
        f"EDITABLE = (\n{names})\n"
    )


def check_editable_module(root: Path) -> list[str]:
    """One line when ``root/grader/editable.py`` is not what ``reference/`` gives (none without ``root/grader``)."""
    target = root / EDITABLE_MODULE
    if not target.parent.is_dir():
        return []
    expected = editable_module_text(root / "reference")
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    return [] if current == expected else [f"{'differs' if current is not None else 'missing'}: {EDITABLE_MODULE}"]


def write_editable_module(root: Path) -> None:
    """Write ``root/grader/editable.py`` from ``root/reference`` (nothing without ``root/grader``)."""
    target = root / EDITABLE_MODULE
    if target.parent.is_dir():
        target.write_text(editable_module_text(root / "reference"), encoding="utf-8")


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """One line per difference between two trees (build artefacts ignored)."""
    exp = set(_tree_files(expected))
    act = set(_tree_files(actual))
    problems = [f"missing: {p}" for p in sorted(exp - act)]
    problems += [f"unexpected: {p}" for p in sorted(act - exp)]
    problems += [
        f"differs: {p}" for p in sorted(exp & act) if not filecmp.cmp(expected / p, actual / p, shallow=False)
    ]
    return problems


def write_student_tree(reference: Path, student: Path) -> list[Path]:
    """Regenerate ``student`` from ``reference`` atomically (build artefacts in it are kept)."""
    tmp = Path(tempfile.mkdtemp(prefix=".student-", dir=student.parent))
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would otherwise become student/'s mode
    try:
        editable = generate(reference, tmp)
        # keep compiled kernels and caches that live in the old tree
        if student.exists():
            for dirpath, _, filenames in os.walk(student):
                for name in filenames:
                    p = Path(dirpath, name)
                    if p.suffix in {".so", ".pyd", ".c"}:
                        rel = p.relative_to(student)
                        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(p, tmp / rel)
            old = student.with_name(f".{student.name}-old")
            if old.exists():
                shutil.rmtree(old)
            student.rename(old)
            tmp.rename(student)
            shutil.rmtree(old)
        else:
            tmp.rename(student)
    except BaseException:
        if tmp.exists():
            shutil.rmtree(tmp)
        raise
    return editable


def check_student_tree(reference: Path, student: Path) -> list[str]:
    """Differences between the committed ``student`` tree and a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(reference, Path(tmp) / "student")
        return diff_trees(Path(tmp) / "student", student)
