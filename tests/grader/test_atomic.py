"""grader.atomic: a write is all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.atomic import atomic_write, atomic_write_text


def test_the_new_text_replaces_the_old_one_with_mode_0644(tmp_path):
    """Does atomic_write_text replace the file's content, leave no temporary file and give mode 0644?"""
    target = tmp_path / "out" / "results.json"
    atomic_write_text(target, "old\n")
    atomic_write_text(target, "new\r\nline\n")
    assert target.read_bytes() == b"new\r\nline\n"  # newlines untranslated
    assert os.stat(target).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    """Is the old file intact, and no .tmp left beside it, when the writer raises halfway?"""
    target = tmp_path / "gradebook.csv"
    target.write_text("old content\n")

    def half(tmp: Path) -> None:
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradebook.csv"]


def test_an_interrupt_also_cleans_up(tmp_path):
    """Does a KeyboardInterrupt inside the writer (not an Exception) still remove the temporary file?"""
    target = tmp_path / "report.html"

    def interrupted(tmp: Path) -> None:
        tmp.write_text("<html>")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_file_sits_beside_the_target(tmp_path):
    """Is the writer given a hidden .tmp path in the target's folder (so os.replace never crosses a filesystem)?"""
    seen = []
    atomic_write(tmp_path / "a.zip", lambda tmp: (seen.append(tmp), tmp.write_bytes(b"PK")))
    assert seen[0].parent == tmp_path
    assert seen[0].name.startswith(".a.zip.") and seen[0].name.endswith(".tmp")
    assert (tmp_path / "a.zip").read_bytes() == b"PK"
