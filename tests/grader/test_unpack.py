"""Submissions in: safe unpacking, layout detection, the pristine tree, and one graded run."""

import io
import os
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader import fixtures, grading, rubric, stubs
from grader.checks import registry
from grader.layout import Layout, assemble, detect_layout
from grader.results import Status
from grader.rubric import CheckSpec
from grader.runner import Task, run_checks
from grader.sandbox import Sandbox
from grader.scoring import score_check
from grader.unpack import SubmissionError, unpack

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


def make_zip(path: Path, entries) -> Path:
    """``entries``: (name or ZipInfo, bytes) pairs."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def unix_entry(name: str, kind: int, data: bytes = b"") -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (kind | 0o777) << 16
    return info, data


def patch_headers(path: Path, *, flags: int | None = None, size: int | None = None) -> None:
    """Rewrite the general-purpose flags or the uncompressed size in every local and central header."""
    raw = bytearray(path.read_bytes())
    for signature, flag_at, size_at in ((b"PK\x03\x04", 6, 22), (b"PK\x01\x02", 8, 24)):
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            if flags is not None:
                old = struct.unpack_from("<H", raw, at + flag_at)[0]
                struct.pack_into("<H", raw, at + flag_at, old | flags)
            if size is not None:
                struct.pack_into("<I", raw, at + size_at, size)
            start = at + 4
    path.write_bytes(bytes(raw))


def refused(submission: Path, dest: Path, words: str, **limits) -> str:
    with pytest.raises(SubmissionError) as info:
        unpack(submission, dest, **limits)
    message = str(info.value)
    assert words in message, message
    assert "\n" not in message and message.startswith(submission.name + ":")
    assert not dest.exists() or list(dest.iterdir()) == [], "something was left in the destination"
    return message


# ---------------------------------------------------------------------------
# Hostile archives


@pytest.mark.parametrize("name", ["../evil.py", "cs231n/../../evil.py", "..\\evil.py", "a/./../../evil.py"])
def test_path_traversal_is_refused_and_nothing_escapes(tmp_path, name):
    sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"x = 1\n"), (name, b"pwned")])
    message = refused(sub, tmp_path / "out" / "dest", "path traversal")
    assert repr(name) in message  # the entry, escaped
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "out" / "evil.py").exists()


@pytest.mark.parametrize("name", ["/tmp/evil.py", "C:/evil.py", "C:\\evil.py"])
def test_absolute_paths_are_refused(tmp_path, name):
    sub = make_zip(tmp_path / "s.zip", [(name, b"pwned")])
    refused(sub, tmp_path / "dest", "absolute path")


def test_a_symlink_entry_is_refused(tmp_path):
    link = unix_entry("cs231n/optim.py", stat.S_IFLNK, b"/etc/passwd")
    sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"x = 1\n"), link])
    refused(sub, tmp_path / "dest", "symbolic link")


@pytest.mark.parametrize(
    "kind", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK], ids=["fifo", "char", "block", "socket"]
)
def test_device_and_fifo_entries_are_refused(tmp_path, kind):
    sub = make_zip(tmp_path / "s.zip", [unix_entry("cs231n/dev", kind)])
    refused(sub, tmp_path / "dest", "device, fifo")


def test_an_encrypted_entry_is_refused(tmp_path):
    sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"x = 1\n")])
    patch_headers(sub, flags=0x1)
    refused(sub, tmp_path / "dest", "encrypted")


def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path):
    sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"\0" * (4 << 20))])
    assert sub.stat().st_size < 64 << 10
    refused(sub, tmp_path / "dest", "declares", max_file_bytes=1 << 20)
    refused(sub, tmp_path / "dest", "more than 2097152 bytes", max_total_bytes=2 << 20)


def test_a_zip_bomb_with_lying_headers_is_refused_while_extracting(tmp_path):
    """Headers that declare 100 bytes for 4 MiB of zeros: refused while extracting, nothing big left behind.

    Extraction reads at most the declared size (and counts the bytes against
    the limits), so the data's CRC does not match and the entry is refused.
    """
    sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"\0" * (4 << 20))])
    patch_headers(sub, size=100)
    assert zipfile.ZipFile(sub).infolist()[0].file_size == 100
    refused(sub, tmp_path / "dest", "cs231n/layers.py", max_total_bytes=1 << 20)


def test_too_many_files_are_refused(tmp_path):
    sub = make_zip(tmp_path / "s.zip", [(f"cs231n/f{i}.py", b"") for i in range(11)])
    refused(sub, tmp_path / "dest", "more than 10 files", max_files=10)


@pytest.mark.parametrize(
    "content",
    [b"", os.urandom(4096), b"PK\x03\x04" + os.urandom(100), "tar"],
    ids=["zero bytes", "random bytes", "truncated zip", "a tar named .zip"],
)
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, content):
    sub = tmp_path / "s.zip"
    if content == "tar":
        with tarfile.open(sub, "w") as tf:
            data = b"x = 1\n"
            info = tarfile.TarInfo("cs231n/layers.py")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    else:
        sub.write_bytes(content)
    refused(sub, tmp_path / "dest", "not a readable zip archive")


def test_an_empty_archive_or_one_of_junk_only_is_refused(tmp_path):
    refused(make_zip(tmp_path / "empty.zip", []), tmp_path / "d1", "empty archive")
    junk = [
        ("__MACOSX/cs231n/._layers.py", b"x"),
        (".DS_Store", b"x"),
        ("cs231n/__pycache__/layers.cpython-311.pyc", b"x"),
    ]
    refused(make_zip(tmp_path / "junk.zip", junk), tmp_path / "d2", "empty archive")


def test_junk_is_skipped_and_the_work_extracted(tmp_path):
    entries = [
        ("assignment2/cs231n/layers.py", b"x = 1\n"),
        ("assignment2/cs231n/layers.pyc", b"junk"),
        ("assignment2/cs231n/__pycache__/layers.cpython-37.pyc", b"junk"),
        ("__MACOSX/assignment2/cs231n/._layers.py", b"junk"),
        ("assignment2/.DS_Store", b"junk"),
        ("assignment2/.ipynb_checkpoints/FullyConnectedNets-checkpoint.ipynb", b"{}"),
        ("assignment2/cs231n/datasets/cifar-10-batches-py/data_batch_1", b"junk"),
        ("assignment2/FullyConnectedNets.ipynb", b"{}"),
    ]
    dest = unpack(make_zip(tmp_path / "s.zip", entries), tmp_path / "dest")
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == ["assignment2/FullyConnectedNets.ipynb", "assignment2/cs231n/layers.py"]
    assert stat.S_IMODE((dest / "assignment2/cs231n/layers.py").stat().st_mode) == 0o644


def test_duplicate_entries_are_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate"):
        sub = make_zip(tmp_path / "s.zip", [("cs231n/layers.py", b"a"), ("cs231n/layers.py", b"b")])
    refused(sub, tmp_path / "dest", "duplicate")


@pytest.mark.parametrize("order", ["file first", "folder first"])
def test_a_file_and_a_folder_of_the_same_name_are_refused(tmp_path, order):
    entries = [("cs231n/classifiers", b"x"), ("cs231n/classifiers/fc_net.py", b"y")]
    sub = make_zip(tmp_path / "s.zip", entries if order == "file first" else entries[::-1])
    refused(sub, tmp_path / "dest", "cannot be written")


# ---------------------------------------------------------------------------
# Folders


def test_a_folder_is_copied_without_its_junk(tmp_path):
    src = tmp_path / "sub"
    (src / "student" / "__pycache__").mkdir(parents=True)
    (src / "student" / "layers.py").write_text("x = 1\n")
    (src / "student" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"junk")
    (src / ".DS_Store").write_bytes(b"junk")
    dest = unpack(src, tmp_path / "dest")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == ["student/layers.py"]


@pytest.mark.parametrize("target", ["/etc/passwd", "layers.py", "../outside"])
def test_a_symlink_in_a_folder_is_refused(tmp_path, target):
    src = tmp_path / "sub"
    (src / "student").mkdir(parents=True)
    (src / "student" / "layers.py").write_text("x = 1\n")
    (src / "student" / "optim.py").symlink_to(target)
    refused(src, tmp_path / "dest", "symbolic link")


def test_a_symlinked_folder_is_refused(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    (src / "student").symlink_to(ROOT / "reference")
    refused(src, tmp_path / "dest", "symbolic link")


def test_a_fifo_in_a_folder_is_refused(tmp_path):
    src = tmp_path / "sub"
    (src / "student").mkdir(parents=True)
    os.mkfifo(src / "student" / "layers.py")
    refused(src, tmp_path / "dest", "fifo")


def test_an_oversized_folder_is_refused(tmp_path):
    src = tmp_path / "sub"
    (src / "student").mkdir(parents=True)
    (src / "student" / "layers.py").write_bytes(b"#" * 5000)
    refused(src, tmp_path / "dest", "over the 4096-byte limit", max_file_bytes=4096)
    refused(src, tmp_path / "dest", "bytes in all", max_total_bytes=4096)


# ---------------------------------------------------------------------------
# Layouts


def test_our_own_layout_with_its_manifest_and_notebooks(tmp_path):
    root = tmp_path / "root"
    (root / "student" / "classifiers").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "student" / "layers.py").write_text("")
    (root / "notebooks" / "ConvolutionalNetworks.ipynb").write_text("{}")
    (root / "MANIFEST.json").write_text("{}")
    layout = detect_layout(root)
    assert (layout.package, layout.kind, layout.package_dir) == ("student", "a2kit", root / "student")
    assert layout.notebooks == (root / "notebooks" / "ConvolutionalNetworks.ipynb",)
    assert layout.manifest == root / "MANIFEST.json"


@pytest.mark.parametrize("top", ["", "assignment2/"])
def test_the_cs231n_layout_at_the_top_or_one_folder_down(tmp_path, top):
    root = tmp_path / "root"
    pkg = root / top / "cs231n" / "classifiers"
    pkg.mkdir(parents=True)
    (pkg / "fc_net.py").write_text("")
    (root / top / "Dropout.ipynb").write_text("{}")
    layout = detect_layout(root)
    assert (layout.package, layout.kind) == ("cs231n", "cs231n")
    assert layout.package_dir == root / top / "cs231n"
    assert [p.name for p in layout.notebooks] == ["Dropout.ipynb"] and layout.manifest is None


def test_no_work_found_or_two_candidates_are_errors(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "layers.py").write_text("")
    with pytest.raises(SubmissionError, match="zip the folder, not its contents"):
        detect_layout(root)
    for top in ("a", "b"):
        (root / top / "cs231n").mkdir(parents=True)
        (root / top / "cs231n" / "layers.py").write_text("")
    with pytest.raises(SubmissionError, match="ambiguous"):
        detect_layout(root)


# ---------------------------------------------------------------------------
# The pristine tree

EDITABLE = [Path("layers.py"), Path("optim.py"), Path("classifiers/fc_net.py"), Path("classifiers/cnn.py")]


def test_assemble_takes_only_the_editable_files_and_notes_the_rest(tmp_path):
    root = tmp_path / "root"
    pkg = root / "student"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "layers.py").write_text("# mine\n")
    (pkg / "classifiers" / "fc_net.py").write_text("# mine\n")
    (pkg / "classifiers" / "cnn.py").write_text("# mine\n")
    (pkg / "solver.py").write_text("# hacked solver\n")
    (pkg / "fast_layers.py").write_bytes((ROOT / "student" / "fast_layers.py").read_bytes())  # unchanged
    layout = detect_layout(root)
    dest = tmp_path / "tree"
    notes = assemble(layout, ROOT / "student", dest, editable=EDITABLE)
    tree = dest / "student"
    assert (tree / "layers.py").read_text() == "# mine\n"
    assert (tree / "optim.py").read_text() == (ROOT / "student" / "optim.py").read_text()  # the release's stub
    assert (tree / "solver.py").read_text() == (ROOT / "student" / "solver.py").read_text()
    assert not list(tree.rglob("*.so")) and not list(tree.rglob("*.c")) and not list(tree.rglob("__pycache__"))
    assert (tree / "im2col_cython.pyx").exists() and (tree / "classifiers" / "__init__.py").exists()
    assert notes == [
        "the release's copies of solver.py were used, not the submission's "
        "(the grader relies on them: the solver, fast layers and utilities are not graded)",
        "submission lacks optim.py (its checks will report it as not implemented)",
    ]
    assert all(stat.S_IMODE(p.stat().st_mode) in (0o644, 0o755) for p in dest.rglob("*"))


def test_assemble_by_default_takes_the_editable_list_from_reference(tmp_path):
    root = tmp_path / "root"
    (root / "cs231n").mkdir(parents=True)
    (root / "cs231n" / "layers.py").write_text("# mine\n")
    notes = assemble(detect_layout(root), ROOT / "student", tmp_path / "tree")
    lacking = sorted(n.split()[2] for n in notes if "lacks" in n)
    editable = sorted(p.as_posix() for p in stubs.editable_files(ROOT / "reference"))
    assert "optim.py" in lacking and lacking == [p for p in editable if p != "layers.py"]
    assert (tmp_path / "tree" / "cs231n" / "layers.py").read_text() == "# mine\n"


def cs231n_submission(tmp_path: Path, style: str) -> Path:
    """A cs231n-layout zip, one folder deep, whose work is the reference's, importing its package ``style``-ly."""

    def src(rel: str) -> str:
        text = (ROOT / "reference" / rel).read_text()
        if style == "absolute":  # the 2019 starter code
            text = text.replace("from ..", "from cs231n.").replace("from .", "from cs231n.")
            assert "from cs231n." in text or rel in ("layers.py", "optim.py")
        return text

    work = ("layers.py", "optim.py", "classifiers/fc_net.py", "classifiers/cnn.py")
    entries = [(f"assignment2/cs231n/{rel}", src(rel)) for rel in work]
    entries += [
        ("assignment2/cs231n/__init__.py", ""),
        ("assignment2/cs231n/classifiers/__init__.py", "from cs231n.classifiers.fc_net import *\n"),
        ("assignment2/cs231n/solver.py", "# the 2019 solver\n"),
        ("assignment2/cs231n/rnn_layers.py", "# assignment 3\n"),
        ("assignment2/FullyConnectedNets.ipynb", "{}"),
        ("assignment2/ConvolutionalNetworks.ipynb", "{}"),
        ("__MACOSX/assignment2/._FullyConnectedNets.ipynb", "junk"),
    ]
    return make_zip(tmp_path / f"{style}.zip", entries)


@pytest.mark.parametrize("style", ["absolute", "relative"])
def test_a_nested_cs231n_zip_is_graded_in_the_sandbox(tmp_path, style):
    """Does a cs231n-layout zip (2019 absolute or 2020+ relative imports) unpack, assemble and pass in the sandbox?"""
    root = unpack(cs231n_submission(tmp_path, style), tmp_path / "unpacked")
    layout = detect_layout(root)
    assert isinstance(layout, Layout) and layout.package == "cs231n"
    assert [p.name for p in layout.notebooks] == ["ConvolutionalNetworks.ipynb", "FullyConnectedNets.ipynb"]
    trees = tmp_path / "trees"
    notes = assemble(layout, ROOT / "student", trees)
    assert [n for n in notes if n.startswith("the release's copies of") and "solver.py" in n]
    # what a cs231n Assignment 2 lacks is the kit's own Q5 module and the TP2 library
    lacking = {n.split()[2] for n in notes if "lacks" in n}
    assert lacking and all(p in ("pytorch_models.py", "tp2_ex3.py") or p.startswith("network/") for p in lacking), (
        lacking
    )
    graded = grading.graded_by(rubric.load())  # grade's note names only what the default rubric uses
    assert not any(graded(Path(p)) for p in lacking if p.startswith("network/")) and graded(Path("pytorch_models.py"))
    assert graded(Path("classifiers/fc_net.py")) and graded(Path("layers.py"))
    tp2 = grading.graded_by(rubric.load(ROOT / "rubrics" / "tp2.yaml"))
    assert tp2(Path("network/models.py")) and not tp2(Path("pytorch_models.py")) and not tp2(Path("classifiers/cnn.py"))
    if style == "absolute":
        assert "from cs231n.layers import *" in (trees / "cs231n" / "classifiers" / "fc_net.py").read_text()

    public = fixtures.load()
    checks = registry.all_checks()
    ids = ("affine_forward", "two_layer_net_scores", "convnet_loss")
    tasks = [Task(cid, public[cid].case, 30.0) for cid in ids]
    work = tmp_path / "work"
    work.mkdir()
    outcomes = run_checks("cs231n", [str(trees)], tasks, launcher=Sandbox(visible=(trees,)), workdir=work)
    for cid in ids:
        assert outcomes[cid].status == "ok", (cid, outcomes[cid].message)
        result = score_check(checks[cid], CheckSpec(cid, 1.0, None, None), outcomes[cid], public[cid])
        assert result.status is Status.PASS, (cid, result.message)
