"""Where a submission keeps its work, and the pristine tree the checks import.

1. ``detect_layout(root)``: find the package that holds the work, ``student/``
   (this kit's layout and the zip ``python -m grader collect`` writes, with its
   ``MANIFEST.json``) or ``cs231n/`` (the cs231n starter code's layout), at the
   top or one folder down (``assignment2/cs231n/...``), and the notebooks
   beside it.
2. ``assemble(layout, release_tree, dest)``: a pristine tree: the release's
   package (solver, fast layers, data utilities... exactly as released, build
   artefacts left out) with only the student-editable files taken from the
   submission (``grader.zones.EDITABLE``: the files that hold solution regions
   in ``reference/``). Returns one note per file the submission changed that
   is not graded, and per editable file it lacks.

The package name of the assembled tree is the submission's own: ``cs231n`` for
a cs231n-layout submission, ``student`` otherwise. cs231n files import their
package absolutely (``from cs231n.layers import *``, 2019) or relatively
(``from ..layers import *``, 2020 on); keeping the name ``cs231n`` makes both
work when the runner imports ``cs231n.layers`` with the tree's folder on
``sys.path``, and the release's files import each other relatively, so they
work under any name. ``classifiers/`` has the same place in both layouts.

The assembled tree has no compiled kernels (``*.so`` are build artefacts), so
``fast_layers`` uses its numpy fallback (one warning at import).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from . import stubs
from .i18n import _
from .unpack import JUNK_DIRS, MARKERS, PACKAGES, prepare_dest, submission_error
from .zones import editable_paths


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where a submission keeps its work.

    ``package_dir`` holds ``layers.py``, ``classifiers/``...; ``package`` is its
    import name (``student`` or ``cs231n``, also the name of the assembled
    tree); ``kind`` is ``a2kit`` or ``cs231n``; ``notebooks`` are the
    ``.ipynb`` files beside the package or in a ``notebooks/`` folder there;
    ``manifest`` is the ``MANIFEST.json`` that ``collect`` writes, if present
    (untrusted, like everything else in the submission).
    """

    root: Path
    package_dir: Path
    package: str
    kind: str
    notebooks: tuple[Path, ...]
    manifest: Path | None


def _candidates(root: Path) -> list[Path]:
    found = []
    levels = [[root]]
    levels.append(sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in JUNK_DIRS))
    for depth, parents in enumerate(levels):
        for parent in parents:
            for name in PACKAGES:
                d = parent / name
                if d.is_dir() and not d.is_symlink() and any((d / m).is_file() for m in MARKERS):
                    found.append((depth, d))
        if found:
            break
    return [d for _, d in found]


def detect_layout(root: Path, submission: Path | None = None) -> Layout:
    """Find the package holding the work in the unpacked submission ``root``."""
    root = Path(root)
    label = submission or root
    found = _candidates(root)
    if not found:
        first, second = MARKERS[:2]
        why = [_("no student/ or cs231n/ folder with {first} or {second} found").format(first=first, second=second)]
        if any((root / m).is_file() for m in MARKERS):
            why.append(_("(layers.py is at the top: zip the folder, not its contents)"))
        archives = sorted(p.name for p in root.rglob("*.zip"))[:3]
        if archives:
            why.append(_("(nested archives are not opened: {names})").format(names=", ".join(archives)))
        raise submission_error(Path(label), None, " ".join(why))
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(root)) for p in found)
        why = _("ambiguous: the work could be in any of {names}").format(names=names)
        raise submission_error(Path(label), None, why)
    package_dir = found[0]
    beside = package_dir.parent
    notebooks = sorted(beside.glob("*.ipynb")) + sorted((beside / "notebooks").glob("*.ipynb"))
    manifest = beside / "MANIFEST.json"
    return Layout(
        root=root,
        package_dir=package_dir,
        package=package_dir.name,
        kind=PACKAGES[package_dir.name],
        notebooks=tuple(p for p in notebooks if p.is_file() and not p.is_symlink()),
        manifest=manifest if manifest.is_file() else None,
    )


# ---------------------------------------------------------------------------
# The pristine tree


def _release_files(release_tree: Path) -> list[Path]:
    """Relative paths of the release package's files, build artefacts and caches excluded."""
    files = []
    for dirpath, dirnames, filenames in os.walk(release_tree):
        dirnames[:] = sorted(d for d in dirnames if d not in stubs.IGNORED_NAMES and not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if p.suffix in stubs.IGNORED_SUFFIXES or name.startswith("."):
                continue
            files.append(p.relative_to(release_tree))
    return files


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _copy(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    os.chmod(target, 0o644)


#: cs231n layout: files students legitimately extend (their own sandwich layers); taken from the submission.
STUDENT_HELPERS = (Path("layer_utils.py"),)
#: The most helper modules of a submission's own taken, and their largest size.
MAX_HELPERS, MAX_HELPER_BYTES = 20, 1 << 20


def _student_helpers(layout: Layout, released: list[Path]) -> list[Path]:
    """The cs231n submission's helper modules: ``STUDENT_HELPERS`` and its own ``.py`` files the release lacks.

    Plain files only (no links), top level of the package and ``classifiers/``.
    """
    out = []
    known = set(released)
    for rel in STUDENT_HELPERS:
        p = layout.package_dir / rel
        if p.is_file() and not p.is_symlink():
            out.append(rel)
    for sub in (Path("."), Path("classifiers")):
        folder = layout.package_dir / sub
        if not folder.is_dir() or folder.is_symlink():
            continue
        for p in sorted(folder.glob("*.py")):
            rel = (sub / p.name) if str(sub) != "." else Path(p.name)
            if rel in known or p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_HELPER_BYTES:
                continue
            out.append(rel)
            if len(out) >= MAX_HELPERS:
                return out
    return out


def lacks_note(rel: str) -> str:
    """The report's note for an editable file the submission does not have (``q5_notebook`` replaces it)."""
    return _("submission lacks {file} (its checks will report it as not implemented)").format(file=rel)


def assemble(
    layout: Layout,
    release_tree: Path,
    dest: Path,
    *,
    editable: Iterable[Path] | None = None,
    graded: Callable[[Path], bool] | None = None,
) -> list[str]:
    """Build ``dest/<layout.package>``: the release's package with the submission's editable files.

    ``release_tree`` is the released ``student/`` package; ``editable`` the
    student-editable relative paths (default: ``grader.zones.EDITABLE``, the
    files with solution regions in ``reference/``). Returns one note per non-editable file the
    submission changed (the release's copy is used) and per editable file it
    lacks (the release's stub is used, so its checks report "not implemented");
    ``graded(rel)`` (default: every file) says whether a missing file is worth
    that note, i.e. whether the rubric in use has checks that use it.
    ``dest`` must be absent or empty; it ends up world-readable (0755/0644), so
    an unprivileged sandbox user can read it.
    """
    release_tree = Path(release_tree)
    if editable is None:
        editable = editable_paths()
    editable = sorted({Path(p) for p in editable})
    prepare_dest(Path(dest))
    package_dir = Path(dest) / layout.package
    package_dir.mkdir()
    notes: list[str] = []
    released = _release_files(release_tree)
    helpers = set(_student_helpers(layout, released)) if layout.kind == "cs231n" else set()
    restored = []
    for rel in released:
        _copy(release_tree / rel, package_dir / rel)
        theirs = layout.package_dir / rel
        changed = theirs.is_file() and not _same_bytes(theirs, release_tree / rel)
        if rel not in editable and rel not in helpers and changed:
            restored.append(rel.as_posix())
    for rel in sorted(helpers):
        _copy(layout.package_dir / rel, package_dir / rel)
    if restored:
        notes.append(
            _(
                "the release's copies of {files} were used, not the submission's "
                "(the grader relies on them: the solver, fast layers and utilities are not graded)"
            ).format(files=", ".join(restored))
        )
    for rel in editable:
        theirs = layout.package_dir / rel
        if theirs.is_file() and not theirs.is_symlink():
            _copy(theirs, package_dir / rel)
        elif graded is None or graded(rel):
            notes.append(lacks_note(rel.as_posix()))
    for dirpath, dirnames, _files in os.walk(package_dir):
        for d in dirnames:
            os.chmod(Path(dirpath, d), 0o755)
    os.chmod(package_dir, 0o755)
    return notes


#: The modules that compute convolutions and pooling fast (given code): not importable where a naive layer is
#: checked, so that a naive layer that calls them earns nothing (``without_fast_layers``).
FAST_MODULES = ("fast_layers", "im2col", "im2col_cython")

_UNAVAILABLE = '''"""Not available here: the naive layers' checks run without the fast layers (grader.layout)."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def unavailable(*args, **kwargs):
        raise RuntimeError(
            f"{__name__.rsplit('.', 1)[-1]}.{name} is not available in a naive layer's check: "
            "a naive layer must compute its result itself, without the fast layers"
        )

    return unavailable
'''


def without_fast_layers(tree: Path, package: str, dest: Path) -> Path:
    """A copy of the assembled ``tree`` in which the package's fast layers compute nothing; returns ``dest``.

    Each of ``FAST_MODULES`` (its source, a compiled extension, a sourceless
    ``.pyc``) is replaced by a module whose every attribute is a function that
    raises, so that importing it still works (``layer_utils`` imports it) and
    calling it fails the check with the reason. ``__pycache__`` folders go too
    (and ``datasets``, which no layer check reads).
    The naive layers' checks run on this copy, in a sandbox of their own that
    shows nothing else: the released code cannot be reached from there.
    """
    prepare_dest(Path(dest))
    source, copy = Path(tree) / package, Path(dest) / package
    shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns("datasets", "__pycache__"))
    for path in list(copy.iterdir()):
        if path.is_file() and path.name.split(".")[0] in FAST_MODULES:
            path.unlink()
    for cache in [p for p in copy.rglob("__pycache__") if p.is_dir() and not p.is_symlink()]:
        shutil.rmtree(cache)
    for stem in FAST_MODULES:
        stub = copy / f"{stem}.py"
        stub.write_text(_UNAVAILABLE, encoding="utf-8")
        os.chmod(stub, 0o644)
    return Path(dest)
