"""Tests of grader/datasets.py: downloading, checking and safely extracting CIFAR-10, and
writing the synthetic set. Every archive is made here, in the real format, from local files."""

import hashlib
import io
import os
import stat
import tarfile

import numpy as np
import pytest

from grader import datasets
from grader.datasets import DatasetError, fetch_cifar10, write_synthetic
from reference import data_utils as du


def md5_of(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def channel_images(n, offset=0):
    """Image k has constant planes R = 3k+1, G = 3k+2, B = 3k+3 (mod 256)."""
    k = np.arange(offset, offset + n)
    X = np.empty((n, 32, 32, 3), dtype=np.uint8)
    for c in range(3):
        X[..., c] = (3 * k + c + 1)[:, None, None] % 256
    return X


@pytest.fixture
def archive(tmp_path):
    """A cifar-10-python.tar.gz in the real layout: 5 batches of 20 images, a test batch of 20, meta, readme."""
    source = tmp_path / "source" / "cifar-10-batches-py"
    du.write_cifar10_batches(
        source, channel_images(100), np.arange(100) % 10, channel_images(20, offset=100), np.arange(20) % 10
    )
    (source / "readme.html").write_text("<p>test archive</p>")
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    return path


def archive_with(tmp_path, good_archive, extra):
    """A copy of the good archive's members plus the TarInfo/bytes pairs in ``extra``."""
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(good_archive, "r:gz") as src, tarfile.open(path, "w:gz") as tar:
        for member in src:
            tar.addfile(member, src.extractfile(member) if member.isreg() else None)
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link_member(name, target, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def leftovers(folder):
    """Everything in ``folder`` (temporary files included), as sorted names."""
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_fetch_extracts_a_good_archive_that_get_CIFAR10_data_loads(tmp_path, archive, capsys):
    """Does a file:// archive with the right MD5 end up as a folder that loads with the pixels in place?"""
    dest = tmp_path / "data" / "cifar-10-batches-py"
    path = fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive))
    assert path == dest
    assert sorted(os.listdir(dest)) == sorted(du.CIFAR10_FILES + ("readme.html",))
    assert leftovers(dest.parent) == ["cifar-10-batches-py"]  # no temporary file or folder left
    assert os.name != "posix" or stat.S_IMODE(dest.stat().st_mode) == 0o755
    err = capsys.readouterr().err
    assert "cifar-10-python.tar.gz" in err and "100%" in err and str(dest) in err

    data = du.get_CIFAR10_data(num_training=80, num_validation=20, num_test=10, subtract_mean=False, cifar10_dir=dest)
    assert data.source == "cifar10"
    assert data["X_train"].shape == (80, 3, 32, 32) and data["X_train"].dtype == np.float32
    assert data["X_val"].shape == (20, 3, 32, 32) and data["X_test"].shape == (10, 3, 32, 32)
    assert [float(data["X_train"][7, c, 0, 0]) for c in range(3)] == [22, 23, 24]
    assert [float(data["X_val"][0, c, 31, 31]) for c in range(3)] == [241, 242, 243]
    assert [float(data["X_test"][1, c, 5, 9]) for c in range(3)] == [304 % 256, 305 % 256, 306 % 256]
    np.testing.assert_array_equal(data["y_train"], np.arange(80) % 10)


def test_fetch_accepts_a_plain_local_path(tmp_path, archive):
    """Is a local file path accepted as the url, without progress output when asked for none?"""
    dest = tmp_path / "d"
    fetch_cifar10(dest=dest, url=str(archive), md5=md5_of(archive), progress=False)
    assert datasets.is_complete(dest)


def test_fetch_uses_the_default_folder(tmp_path, archive, monkeypatch):
    """With no dest, does the data land where get_CIFAR10_data looks by default?"""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    path = fetch_cifar10(url=archive.as_uri(), md5=md5_of(archive), progress=False)
    assert str(path) == du.default_cifar10_dir()
    assert du.get_CIFAR10_data(num_training=90, num_validation=10, num_test=20).source == "cifar10"


def test_checksum_mismatch_leaves_nothing_behind(tmp_path, archive):
    """Does a wrong MD5 raise DatasetError naming the URL, and leave no file or folder?"""
    dest = tmp_path / "data" / "cifar-10-batches-py"
    with pytest.raises(DatasetError, match="checksum mismatch for .*cifar-10-python.tar.gz") as info:
        fetch_cifar10(dest=dest, url=archive.as_uri(), md5="0" * 32, progress=False)
    assert "\n" not in str(info.value)
    assert not dest.exists()
    assert leftovers(dest.parent) == []


def test_the_published_checksum_is_the_default():
    """Is the archive checked against the published MD5 of cifar-10-python.tar.gz by default?"""
    assert datasets.CIFAR10_MD5 == "c58f30108f718f92721af3b95e74349a"
    assert datasets.CIFAR10_URL == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


@pytest.mark.parametrize(
    "extra, reason",
    [
        ([file_member("cifar-10-batches-py/../evil", b"pwned")], "outside"),
        ([file_member("../evil", b"pwned")], "outside"),
        ([file_member("/tmp/evil", b"pwned")], "absolute"),
        ([link_member("cifar-10-batches-py/readme.html", "/etc/passwd", tarfile.SYMTYPE)], "symbolic link"),
        (
            [link_member("cifar-10-batches-py/readme.html", "cifar-10-batches-py/test_batch", tarfile.LNKTYPE)],
            "hard link",
        ),
        ([link_member("cifar-10-batches-py/readme.html", "", tarfile.CHRTYPE)], "device"),
        ([file_member("cifar-10-batches-py/run_me.sh", b"#!/bin/sh")], "unexpected member"),
        ([file_member("cifar-10-batches-py/data_batch_1", b"again")], "twice"),
    ],
)
def test_unsafe_or_unexpected_members_are_rejected(tmp_path, archive, extra, reason):
    """Is an archive with a path escape, a link, a device or a stray name refused, with nothing written?"""
    bad = archive_with(tmp_path, archive, extra)
    dest = tmp_path / "out" / "cifar-10-batches-py"
    with pytest.raises(DatasetError, match=f"bad archive .*{reason}"):
        fetch_cifar10(dest=dest, url=bad.as_uri(), md5=md5_of(bad), progress=False)
    assert leftovers(dest.parent) == []
    assert not (tmp_path / "out" / "evil").exists() and not (tmp_path / "evil").exists()


def test_incomplete_or_damaged_archives_are_rejected(tmp_path, archive):
    """Is an archive without test_batch, or one that is not a gzipped tar, refused?"""
    partial = tmp_path / "partial.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(partial, "w:gz") as tar:
        for member in src:
            if not member.name.endswith("test_batch"):
                tar.addfile(member, src.extractfile(member) if member.isreg() else None)
    dest = tmp_path / "out" / "cifar"
    with pytest.raises(DatasetError, match="no cifar-10-batches-py/test_batch"):
        fetch_cifar10(dest=dest, url=partial.as_uri(), md5=md5_of(partial), progress=False)

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(archive.read_bytes()[:2000])  # truncated
    with pytest.raises(DatasetError, match="bad archive"):
        fetch_cifar10(dest=dest, url=garbage.as_uri(), md5=None, progress=False)
    assert leftovers(dest.parent) == []


def test_network_errors_are_dataset_errors(tmp_path):
    """Do a missing file and a refused connection raise a one-line DatasetError naming the URL?"""
    dest = tmp_path / "out" / "cifar"
    missing = (tmp_path / "nothing.tar.gz").as_uri()
    with pytest.raises(DatasetError, match=f"cannot download {missing}"):
        fetch_cifar10(dest=dest, url=missing, progress=False)
    with pytest.raises(DatasetError, match="cannot download http://127.0.0.1:9/"):
        fetch_cifar10(dest=dest, url="http://127.0.0.1:9/cifar.tar.gz", progress=False)
    with pytest.raises(DatasetError, match="unsupported URL scheme"):
        fetch_cifar10(dest=dest, url="gopher://example/x", progress=False)
    assert leftovers(dest.parent) == []


def test_a_complete_folder_is_not_downloaded_again(tmp_path, archive):
    """Is an existing complete folder returned as is, and replaced only with force?"""
    dest = tmp_path / "cifar"
    fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), progress=False)
    unreachable = (tmp_path / "no-such-archive.tar.gz").as_uri()
    assert fetch_cifar10(dest=dest, url=unreachable, progress=False) == dest

    with pytest.raises(DatasetError, match="cannot download"):
        fetch_cifar10(dest=dest, url=unreachable, force=True, progress=False)
    assert datasets.is_complete(dest)  # a failed forced download keeps the old folder

    (dest / "test_batch").write_bytes(b"stale")
    fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), force=True, progress=False)
    assert (dest / "test_batch").read_bytes() != b"stale"
    assert leftovers(tmp_path) == sorted(["cifar", "cifar-10-python.tar.gz", "source"])


def test_an_incomplete_folder_is_completed(tmp_path, archive):
    """Is a folder holding only some data set files replaced by the full set?"""
    dest = tmp_path / "cifar"
    dest.mkdir()
    (dest / "data_batch_1").write_bytes(b"partial download")
    fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), progress=False)
    assert datasets.is_complete(dest)


def test_a_folder_with_other_files_is_never_replaced(tmp_path, archive):
    """Does a dest holding unrelated files (a home folder given by mistake) stay untouched?"""
    dest = tmp_path / "home"
    dest.mkdir()
    (dest / "thesis.tex").write_text("precious")
    with pytest.raises(DatasetError, match="thesis.tex"):
        fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), force=True, progress=False)
    assert leftovers(dest) == ["thesis.tex"]
    assert leftovers(tmp_path) == sorted(["home", "cifar-10-python.tar.gz", "source"])


def test_a_failed_write_is_reported_and_cleaned_up(tmp_path, archive, monkeypatch):
    """Does a full disk during extraction raise DatasetError('cannot write ...') and leave nothing?"""

    def full_disk(stream, target):
        raise datasets._WriteError(28, "No space left on device", str(target))

    monkeypatch.setattr(datasets, "_copy_member", full_disk)
    dest = tmp_path / "out" / "cifar"
    with pytest.raises(DatasetError, match="cannot write .*No space left on device"):
        fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), progress=False)
    assert leftovers(dest.parent) == []


def test_a_file_in_the_way_is_refused(tmp_path, archive):
    """Is a dest that is a file refused with a message, and left alone?"""
    dest = tmp_path / "cifar"
    dest.write_text("not a folder")
    with pytest.raises(DatasetError, match="not a folder"):
        fetch_cifar10(dest=dest, url=archive.as_uri(), md5=md5_of(archive), progress=False)
    assert dest.read_text() == "not a folder"


def test_write_synthetic_writes_a_loadable_synthetic_folder(tmp_path):
    """Does write_synthetic produce the synthetic arrays in the batch format, reported as synthetic?"""
    dest = tmp_path / "synthetic"
    assert write_synthetic(dest, seed=4, num_train=250, num_test=50) == dest
    assert sorted(os.listdir(dest)) == sorted(du.CIFAR10_FILES)
    assert leftovers(tmp_path) == ["synthetic"]

    X_train, y_train, X_test, y_test = du.make_synthetic_cifar(250, 50, seed=4)
    Xtr, Ytr, Xte, Yte = du.load_CIFAR10(dest)
    np.testing.assert_array_equal(Xtr, X_train)
    np.testing.assert_array_equal(Ytr, y_train)
    np.testing.assert_array_equal(Xte, X_test)
    np.testing.assert_array_equal(Yte, y_test)
    data = du.get_CIFAR10_data(num_training=200, num_validation=50, num_test=50, cifar10_dir=dest)
    assert data.source == "synthetic" and data["X_train"].shape == (200, 3, 32, 32)


def test_write_synthetic_replaces_only_with_force(tmp_path):
    """Is an existing folder kept unless force is given, and a foreign folder kept even then?"""
    dest = tmp_path / "synthetic"
    write_synthetic(dest, seed=0, num_train=50, num_test=10)
    with pytest.raises(DatasetError, match="already exists"):
        write_synthetic(dest, seed=1, num_train=50, num_test=10)
    write_synthetic(dest, seed=1, num_train=50, num_test=10, force=True)
    np.testing.assert_array_equal(du.load_CIFAR10(dest)[0], du.make_synthetic_cifar(50, 10, seed=1)[0])

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep")
    with pytest.raises(DatasetError, match="notes.txt"):
        write_synthetic(other, num_train=50, num_test=10, force=True)
    assert leftovers(other) == ["notes.txt"]
