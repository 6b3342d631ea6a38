"""Getting the data sets: ``python -m grader data cifar10`` and ``python -m grader data synthetic``.

``fetch_cifar10`` downloads the python version of CIFAR-10, checks its MD5,
and extracts it safely and atomically into the folder that ``data_utils``
reads. ``write_synthetic`` writes the synthetic CIFAR-shaped set in the same
on-disk format. Both either finish or leave nothing behind, and report every
failure as a one-line ``DatasetError``.

The destination folder is the ``cifar-10-batches-py`` folder itself, the one
that ``get_CIFAR10_data(cifar10_dir=...)`` and ``CIFAR10_DIR`` name: it ends up
holding ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
``batches.meta``. A folder that holds anything else is never replaced.

The format helpers (default folder, file list, writer, synthetic generator)
live in ``data_utils``, which ships in ``student/`` unchanged; they are taken
from ``reference/`` where it is present, else from ``student/`` (the handout).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_FOLDER = "cifar-10-batches-py"
OPTIONAL_FILES = ("readme.html",)
MAX_DOWNLOAD_BYTES = 1 << 30  # the real archive is 170 MB
MAX_MEMBER_BYTES = 256 << 20  # a real batch file is 31 MB
_CHUNK_BYTES = 1 << 20
_TIMEOUT_S = 60


class DatasetError(Exception):
    """A download, check, extraction or write failed; the message is one line naming what and why."""


def _data_utils():
    for package in ("reference", "student"):
        try:
            return importlib.import_module(f"{package}.data_utils")
        except ImportError:
            continue
    raise DatasetError("cannot import data_utils from reference/ or student/")


def is_complete(folder: str | os.PathLike) -> bool:
    """Does ``folder`` hold every file of ``data_utils.CIFAR10_FILES``?"""
    return not _data_utils().missing_cifar10_files(os.fspath(folder))


# --------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------


def fetch_cifar10(
    dest: str | os.PathLike | None = None,
    url: str = CIFAR10_URL,
    md5: str | None = CIFAR10_MD5,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Download CIFAR-10 (python version) into ``dest`` and return that folder.

    Inputs:
    - dest: the ``cifar-10-batches-py`` folder to create; None for
      ``data_utils.default_cifar10_dir()``, where ``get_CIFAR10_data`` looks by default
    - url: an http(s) or file:// URL, or a local path, of the ``cifar-10-python.tar.gz`` archive
    - md5: the archive's expected MD5 (hex); None skips the check
    - force: download and replace even when ``dest`` is already complete
    - progress: print a progress line and a summary on stderr

    Nothing is downloaded when ``dest`` is complete and ``force`` is false.
    Otherwise the archive is streamed to a temporary file beside ``dest``,
    checked, and its members ``cifar-10-batches-py/<name>`` (regular files
    with the expected names only) are extracted into a temporary folder that
    then replaces ``dest`` in one rename.

    Raises DatasetError on a network error, a checksum mismatch, an archive
    that is damaged, incomplete or holds anything unexpected (absolute or
    ``..`` paths, links, devices, other names), or a ``dest`` that holds other
    files; no partial download or extraction is left behind.
    """
    dest = Path(dest) if dest is not None else Path(_data_utils().default_cifar10_dir())
    dest = dest.expanduser()
    if not force and dest.is_dir() and is_complete(dest):
        if progress:
            print(f"CIFAR-10 already present at {dest}", file=sys.stderr)
        return dest
    _check_replaceable(dest)
    with _staging(dest) as staging:
        archive = staging.with_name(staging.name + ".tar.gz.part")
        try:
            with open(archive, "wb") as out:
                digest = _download(url, out, progress)
            if md5 is not None and digest != md5.lower():
                raise DatasetError(
                    f"checksum mismatch for {url}: expected MD5 {md5.lower()}, got {digest} "
                    "(a corrupt download, or not the CIFAR-10 python archive)"
                )
            _extract(archive, staging, url)
        finally:
            archive.unlink(missing_ok=True)
        _install(staging, dest)
    if progress:
        print(f"CIFAR-10 extracted to {dest}", file=sys.stderr)
    return dest


def _open_source(url: str):
    """(readable binary stream, total size or None) for a URL or a local path."""
    scheme = urllib.parse.urlparse(url).scheme
    if scheme == "" or len(scheme) == 1:  # a plain path, or a Windows drive letter
        path = Path(url).expanduser()
        return open(path, "rb"), path.stat().st_size
    if scheme not in ("http", "https", "file", "ftp"):
        raise DatasetError(f"cannot download {url}: unsupported URL scheme {scheme!r}")
    response = urllib.request.urlopen(url, timeout=_TIMEOUT_S)  # noqa: S310 - scheme checked above
    length = response.headers.get("Content-Length")
    return response, int(length) if length and length.isdigit() else None


def _download(url: str, out, progress: bool) -> str:
    """Copy the archive at ``url`` into the open file ``out``; return its MD5 (hex)."""
    digest = hashlib.md5(usedforsecurity=False)
    name = PurePosixPath(urllib.parse.urlparse(url).path).name or url
    done = 0
    shown = -1
    try:
        source, total = _open_source(url)
        with source:
            while True:
                block = source.read(_CHUNK_BYTES)
                if not block:
                    break
                done += len(block)
                if done > MAX_DOWNLOAD_BYTES:
                    raise DatasetError(f"cannot download {url}: larger than {MAX_DOWNLOAD_BYTES >> 20} MiB")
                digest.update(block)
                out.write(block)
                if progress:
                    shown = _show_progress(name, done, total, shown)
    except DatasetError:
        raise
    except urllib.error.HTTPError as exc:
        raise DatasetError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DatasetError(f"cannot download {url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:  # includes timeouts and connection resets
        raise DatasetError(f"cannot download {url}: {exc}") from exc
    finally:
        if progress and shown >= 0:
            print(file=sys.stderr)
    return digest.hexdigest()


def _show_progress(name: str, done: int, total: int | None, shown: int) -> int:
    """Rewrite the progress line when the percentage (or, without a total, the MiB count) changes."""
    mib = done / (1 << 20)
    if total:
        step = min(100, done * 100 // total)
        text = f"\rdownloading {name}: {mib:.1f} / {total / (1 << 20):.1f} MiB ({step}%)"
    else:
        step = int(mib)
        text = f"\rdownloading {name}: {mib:.1f} MiB"
    if step != shown:
        print(text, end="", file=sys.stderr, flush=True)
    return step


def _member_name(member: tarfile.TarInfo, source: str) -> tuple[str, ...]:
    """The member's path as parts, after rejecting absolute paths and '..'."""
    name = member.name
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise DatasetError(f"bad archive {source}: member {name!r} has an absolute or non-POSIX path")
    parts = tuple(p for p in PurePosixPath(name).parts if p != ".")
    if ".." in parts:
        raise DatasetError(f"bad archive {source}: member {name!r} points outside the archive folder")
    return parts


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.isdev():
        return "device or fifo"
    return "special member"


class _WriteError(OSError):
    """Writing an extracted file failed (as opposed to reading the archive)."""


def _copy_member(stream, target: Path) -> None:
    """Copy an archive member to ``target``; failures to write raise _WriteError, to read the original error."""
    try:
        out = open(target, "wb")  # noqa: SIM115 - apart, to tell a write failure; the with below closes it
    except OSError as exc:
        raise _WriteError(exc.errno, exc.strerror, str(target)) from exc
    with stream, out:
        while block := stream.read(_CHUNK_BYTES):
            try:
                out.write(block)
            except OSError as exc:
                raise _WriteError(exc.errno, exc.strerror, str(target)) from exc


def _extract(archive: Path, staging: Path, source: str) -> None:
    """Extract the expected files of ``archive`` into ``staging``, checking every member first."""
    utils = _data_utils()
    allowed = set(utils.CIFAR10_FILES) | set(OPTIONAL_FILES)
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:  # one sequential pass: each member is checked, then copied
                parts = _member_name(member, source)
                if member.isdir():
                    if parts in ((), (ARCHIVE_FOLDER,)):
                        continue
                    raise DatasetError(f"bad archive {source}: unexpected folder {member.name!r}")
                if not member.isreg():
                    raise DatasetError(f"bad archive {source}: member {member.name!r} is a {_member_kind(member)}")
                if len(parts) != 2 or parts[0] != ARCHIVE_FOLDER or parts[1] not in allowed:
                    raise DatasetError(f"bad archive {source}: unexpected member {member.name!r}")
                if parts[1] in seen:
                    raise DatasetError(f"bad archive {source}: member {member.name!r} appears twice")
                if member.size > MAX_MEMBER_BYTES:
                    raise DatasetError(f"bad archive {source}: member {member.name!r} is implausibly large")
                seen.add(parts[1])
                _copy_member(tar.extractfile(member), staging / parts[1])
    except (DatasetError, _WriteError):
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DatasetError(f"bad archive {source}: {exc}") from exc
    missing = [name for name in utils.CIFAR10_FILES if name not in seen]
    if missing:
        raise DatasetError(f"bad archive {source}: no {ARCHIVE_FOLDER}/{missing[0]}")


# --------------------------------------------------------------------------
# Installing a folder atomically
# --------------------------------------------------------------------------


def _check_replaceable(dest: Path) -> None:
    """Refuse a ``dest`` that is a file or a folder holding anything but data set files."""
    if not dest.exists() and not dest.is_symlink():
        return
    if not dest.is_dir() or dest.is_symlink():
        raise DatasetError(f"{dest} exists and is not a folder; choose another --dest")
    allowed = set(_data_utils().CIFAR10_FILES) | set(OPTIONAL_FILES)
    for entry in os.scandir(dest):
        if entry.name not in allowed or not entry.is_file(follow_symlinks=False):
            raise DatasetError(
                f"{dest} holds {entry.name!r}, which is not part of the data set; "
                "choose an empty or new folder for --dest"
            )


@contextlib.contextmanager
def _staging(dest: Path):
    """A new hidden folder beside ``dest`` to build the data set in; removed unless installed.

    OSErrors inside (a full disk, a read-only parent) become DatasetErrors naming ``dest``.
    """
    staging = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
        yield staging
    except OSError as exc:
        raise DatasetError(f"cannot write {dest}: {exc}") from exc
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _install(staging: Path, dest: Path) -> None:
    """Put the finished ``staging`` folder at ``dest``, replacing an old data set folder there."""
    _check_replaceable(dest)
    os.chmod(staging, 0o755)  # mkdtemp made it private; the data set is not
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-old-"))
        os.rmdir(old)
        os.rename(dest, old)
    try:
        os.rename(staging, dest)
    except OSError:
        if old is not None:
            os.rename(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------
# The synthetic set
# --------------------------------------------------------------------------


def write_synthetic(
    dest: str | os.PathLike, seed: int = 0, num_train: int = 50000, num_test: int = 10000, force: bool = False
) -> Path:
    """Write the synthetic CIFAR-shaped set to ``dest`` in the ``cifar-10-batches-py`` format.

    Inputs:
    - dest: the folder to create
    - seed, num_train, num_test: passed to ``data_utils.make_synthetic_cifar``
    - force: replace a data set folder already at ``dest``

    ``batches.meta`` records the seed, so ``get_CIFAR10_data`` reports
    ``source == "synthetic"`` for the folder. Raises DatasetError when ``dest``
    is not empty and ``force`` is false, or holds anything but data set files.
    """
    utils = _data_utils()
    dest = Path(dest).expanduser()
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise DatasetError(f"{dest} already exists; use --force to replace it")
    _check_replaceable(dest)
    X_train, y_train, X_test, y_test = utils.make_synthetic_cifar(num_train, num_test, seed=seed, dtype=np.uint8)
    with _staging(dest) as staging:
        utils.write_cifar10_batches(
            staging, X_train, y_train, X_test, y_test, meta_extra={utils.SYNTHETIC_MARKER: int(seed)}
        )
        _install(staging, dest)
    return dest
