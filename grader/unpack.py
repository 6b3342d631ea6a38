"""Submissions in: unpack a zip or a folder safely, refusing whatever could escape or exhaust the disk.

The first steps of instructor grading (``python -m grader grade``), all on the
trusted side and none of them executing submitted code:

1. ``unpack(submission, dest)``: extract a ``.zip`` (or copy a folder) into
   ``dest``, refusing whatever could escape ``dest`` or exhaust the disk:
   ``..`` and absolute paths, symlinks, device and fifo entries, encrypted
   entries, more files or bytes than the limits (the declared sizes are
   checked first, then the bytes are counted while extracting, since headers
   can lie), non-zip files and empty archives. Junk (``__MACOSX/``,
   ``.DS_Store``, ``__pycache__``, ``*.pyc``, ``.ipynb_checkpoints``, ``.git``,
   a bundled CIFAR-10 folder) is skipped. Every refusal is a ``SubmissionError``
   whose one-line message names the submission and the entry.
``grader.layout`` then finds the work in what was unpacked and assembles the
tree the checks import.

"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .i18n import _

#: Default limits on what one submission may unpack to.
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_FILES = 5000
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Deepest folder nesting accepted in a submission (a zip entry's or a folder's path parts).
MAX_DEPTH = 32

#: Folders and files that are never part of the work (skipped, not refused).
JUNK_DIRS = frozenset({"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".hg", ".svn", "cifar-10-batches-py"})
JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
JUNK_SUFFIXES = (".pyc", ".pyo")

#: The package folders a submission may hold its work in, and the layout each means.
PACKAGES = {"student": "a2kit", "cs231n": "cs231n"}
#: Files whose presence marks a folder as the package (any one is enough).
MARKERS = ("layers.py", "optim.py", "classifiers/fc_net.py", "classifiers/cnn.py")

_CHUNK = 1 << 16


class SubmissionError(ValueError):
    """A submission that cannot be graded; the message is one line naming it and the entry."""


def submission_error(submission: Path, entry: str | None, reason: str) -> SubmissionError:
    where = f"{submission.name}: {entry!r}: " if entry is not None else f"{submission.name}: "
    return SubmissionError(where + reason)


def _is_junk(parts: Sequence[str]) -> bool:
    if any(p in JUNK_DIRS for p in parts[:-1]) or parts[-1] in JUNK_DIRS:
        return True
    name = parts[-1]
    return name in JUNK_FILES or name.startswith("._") or name.endswith(JUNK_SUFFIXES)


def _safe_parts(submission: Path, raw: str) -> tuple[str, ...]:
    """The path components of an archive entry name, or a SubmissionError if it could escape."""
    name = raw.replace("\\", "/")
    if "\x00" in name:
        raise submission_error(submission, raw, _("a NUL byte in the name"))
    if name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        raise submission_error(submission, raw, _("absolute path"))
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if ".." in parts:
        raise submission_error(submission, raw, _("path traversal ('..')"))
    return parts


@dataclasses.dataclass
class _Budget:
    """Counts files and bytes against the limits while unpacking."""

    submission: Path
    max_total_bytes: int
    max_files: int
    max_file_bytes: int
    files: int = 0
    total: int = 0

    def add_file(self, entry: str) -> None:
        self.files += 1
        if self.files > self.max_files:
            raise submission_error(
                self.submission, entry, _("more than {limit} files (limit)").format(limit=self.max_files)
            )

    def add_bytes(self, entry: str, file_bytes: int, n: int) -> None:
        self.total += n
        if file_bytes > self.max_file_bytes:
            raise submission_error(
                self.submission, entry, _("a file over {limit} bytes (limit)").format(limit=self.max_file_bytes)
            )
        if self.total > self.max_total_bytes:
            raise submission_error(
                self.submission, entry, _("more than {limit} bytes in all (limit)").format(limit=self.max_total_bytes)
            )


def _copy_stream(src, target: Path, entry: str, budget: _Budget, declared: int | None) -> None:
    """Copy ``src`` to a new file ``target``, counting every byte against the budget."""
    written = 0
    with open(target, "xb") as out:
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            if declared is not None and written > declared:
                raise submission_error(
                    budget.submission, entry, _("more data than its header declares (a zip bomb?)")
                )
            budget.add_bytes(entry, written, len(chunk))
            out.write(chunk)
    os.chmod(target, 0o644)


def prepare_dest(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o755)


def _ensure_dir(dest: Path, parts: Sequence[str]) -> Path:
    d = dest
    for p in parts:
        d = d / p
        if not d.is_dir():
            d.mkdir()
            os.chmod(d, 0o755)
    return d


def _is_zip_dir(submission: Path, info: zipfile.ZipInfo, parts: tuple[str, ...]) -> bool:
    """Whether a zip entry is a folder; refuses one too deep, a link, a device, fifo or socket, an encrypted one."""
    if len(parts) > MAX_DEPTH:
        raise submission_error(
            submission, info.filename[:200], _("nested deeper than {depth} folders (limit)").format(depth=MAX_DEPTH)
        )
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode:  # unix attributes
        if stat.S_ISLNK(mode):
            raise submission_error(submission, info.filename, _("a symbolic link (not allowed)"))
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise submission_error(submission, info.filename, _("a device, fifo or socket entry (not allowed)"))
    if info.flag_bits & 0x1:
        raise submission_error(submission, info.filename, _("an encrypted entry (not allowed)"))
    return info.is_dir() or (info.create_system == 3 and stat.S_ISDIR(mode))


def _unpack_zip(submission: Path, dest: Path, budget: _Budget) -> None:
    size = submission.stat().st_size
    if size > budget.max_total_bytes:
        raise submission_error(
            submission,
            None,
            _("a {size}-byte file, over the {limit}-byte limit").format(size=size, limit=budget.max_total_bytes),
        )
    try:
        archive = zipfile.ZipFile(submission)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise submission_error(
            submission, None, _("not a readable zip archive ({error})").format(error=exc.__class__.__name__)
        ) from None
    with archive:
        entries: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        seen: set[tuple[str, ...]] = set()
        declared_total = 0
        for info in archive.infolist():
            parts = _safe_parts(submission, info.filename)
            if not parts or _is_junk(parts):
                continue
            if _is_zip_dir(submission, info, parts):
                continue
            if parts in seen:
                raise submission_error(submission, info.filename, _("a duplicate entry"))
            seen.add(parts)
            budget.add_file(info.filename)
            declared_total += info.file_size
            if info.file_size > budget.max_file_bytes:
                limit = budget.max_file_bytes
                raise submission_error(
                    submission,
                    info.filename,
                    _("declares {size} bytes, over the {limit}-byte limit").format(size=info.file_size, limit=limit),
                )
            if declared_total > budget.max_total_bytes:
                limit = budget.max_total_bytes
                raise submission_error(
                    submission,
                    info.filename,
                    _("the entries declare more than {limit} bytes (limit)").format(limit=limit),
                )
            entries.append((info, parts))
        if not entries:
            raise submission_error(submission, None, _("an empty archive (no files)"))
        for info, parts in entries:
            try:
                target = _ensure_dir(dest, parts[:-1]) / parts[-1]
                with archive.open(info) as src:
                    _copy_stream(src, target, info.filename, budget, info.file_size)
            except SubmissionError:
                raise
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
                # e.g. a CRC mismatch: zipfile stops at the declared size, so lying headers end here
                why = _("corrupt entry ({error})").format(error=f"{exc.__class__.__name__}: {exc}").splitlines()[0]
                raise submission_error(submission, info.filename, why) from None
            except OSError as exc:
                why = _("cannot be written ({error})").format(error=exc.strerror or exc.__class__.__name__)
                raise submission_error(submission, info.filename, why) from None


def _unpack_folder(submission: Path, dest: Path, budget: _Budget) -> None:
    base = submission.resolve()
    count = 0
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(base).parts
        keep = []
        if len(rel_dir) >= MAX_DEPTH and dirnames:
            raise submission_error(
                submission,
                "/".join(rel_dir)[:200],
                _("nested deeper than {depth} folders (limit)").format(depth=MAX_DEPTH),
            )
        for d in sorted(dirnames):
            rel = "/".join(rel_dir + (d,))
            st = os.lstat(here / d)
            if stat.S_ISLNK(st.st_mode):
                raise submission_error(submission, rel, _("a symbolic link (not allowed)"))
            if not _is_junk(rel_dir + (d,)):
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            parts = rel_dir + (name,)
            rel = "/".join(parts)
            if _is_junk(parts):
                continue
            st = os.lstat(here / name)
            if stat.S_ISLNK(st.st_mode):
                raise submission_error(submission, rel, _("a symbolic link (not allowed)"))
            if not stat.S_ISREG(st.st_mode):
                raise submission_error(submission, rel, _("a device, fifo or socket (not allowed)"))
            budget.add_file(rel)
            if st.st_size > budget.max_file_bytes:
                raise submission_error(
                    submission,
                    rel,
                    _("{size} bytes, over the {limit}-byte limit").format(size=st.st_size, limit=budget.max_file_bytes),
                )
            # O_NOFOLLOW: a file swapped for a symlink after the walk is refused too.
            try:
                target = _ensure_dir(dest, rel_dir) / name
                fd = os.open(here / name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
            except OSError as exc:
                why = _("cannot be copied ({error})").format(error=exc.strerror)
                raise submission_error(submission, rel, why) from None
            with os.fdopen(fd, "rb") as src:
                if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
                    raise submission_error(submission, rel, _("a device, fifo or socket (not allowed)"))
                _copy_stream(src, target, rel, budget, None)
            count += 1
    if count == 0:
        raise submission_error(submission, None, _("an empty folder (no files)"))


def unpack(
    submission: Path,
    dest: Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_files: int = MAX_FILES,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> Path:
    """Extract the zip (or copy the folder) ``submission`` into ``dest``; return ``dest``.

    ``dest`` must be absent or empty. On a SubmissionError, ``dest`` is left empty.
    """
    submission = Path(submission)
    dest = Path(dest)
    if not submission.exists():
        raise submission_error(submission, None, _("no such file or folder"))
    budget = _Budget(submission, max_total_bytes, max_files, max_file_bytes)
    prepare_dest(dest)
    try:
        if submission.is_dir():
            _unpack_folder(submission, dest, budget)
        else:
            _unpack_zip(submission, dest, budget)
    except BaseException:
        for child in dest.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        raise
    return dest


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it, however deep (no recursion in Python; errors ignored).

    ``shutil.rmtree`` recurses once per level, so a tree a submission made 1,500 folders deep raises
    RecursionError and stays; GNU ``rm -rf`` walks it without a stack limit.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    rm = shutil.which("rm")
    if rm:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [rm, "-rf", "--one-file-system", "--", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=300,
                check=False,
            )
    if os.path.lexists(path):
        with contextlib.suppress(RecursionError):
            shutil.rmtree(path, ignore_errors=True)
