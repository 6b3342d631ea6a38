"""The stub generator: reference/ -> student/."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import stubs

ROOT = Path(__file__).resolve().parents[2]

SOURCE = textwrap.dedent(
    '''\
    def f(x):
        """Double x."""
        out = None
        # BEGIN SOLUTION
        out = 2 * x
        # END SOLUTION
        return out


    class Model:
        def __init__(self):
            # BEGIN SOLUTION
            self.w = 1
            # END SOLUTION
    '''
)


def test_region_becomes_a_stub_that_keeps_signature_docstring_and_indentation():
    """Does a stripped function keep its def, docstring and indentation, and raise NotImplementedError?"""
    out = stubs.strip_solutions(SOURCE, "layers.py")
    assert "out = 2 * x" not in out and "self.w = 1" not in out
    assert '    """Double x."""' in out
    assert '    raise NotImplementedError("f is not implemented yet (layers.py)")' in out
    assert '        raise NotImplementedError("__init__ is not implemented yet (layers.py)")' in out
    ns = {}
    exec(compile(out, "layers.py", "exec"), ns)
    with pytest.raises(NotImplementedError, match="f is not implemented"):
        ns["f"](1)
    with pytest.raises(NotImplementedError):
        ns["Model"]()


def test_file_without_regions_is_unchanged():
    text = "def g():\n    return 1\n"
    assert stubs.strip_solutions(text) == text
    assert stubs.find_regions(text) == []


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", 2, "nested"),
        ("x = 1\n# BEGIN SOLUTION\nx = 2\n", 2, "never closed"),
        ("x = 1\n# END SOLUTION\n", 2, "without a matching"),
        ("x = 1  # BEGIN SOLUTION\n", 1, "stand alone"),
        ("def f():\n    # BEGIN SOLUTION\n    pass\n# END SOLUTION\n", 4, "not indented like"),
    ],
)
def test_bad_markers_name_file_and_line(text, line, what):
    """Is an error raised, naming file and line, for nested, unterminated or stray markers?"""
    with pytest.raises(stubs.StubError, match=rf"^mod\.py:{line}: .*{what}"):
        stubs.strip_solutions(text, "mod.py")


def test_generate_and_check_a_tree(tmp_path):
    """Does `generate` copy plain files, strip regions, and does the check see every kind of difference?"""
    ref = tmp_path / "reference"
    (ref / "sub").mkdir(parents=True)
    (ref / "a.py").write_text(SOURCE)
    (ref / "sub" / "b.py").write_text("B = 1\n")
    (ref / "data.yaml").write_text("k: v\n")
    (ref / "junk.so").write_text("binary")
    student = tmp_path / "student"
    editable = stubs.write_student_tree(ref, student)
    assert editable == [Path("a.py")]
    assert student.stat().st_mode & 0o777 == 0o755  # not the 0700 of the temporary folder it was built in
    assert (student / "sub" / "b.py").read_text() == "B = 1\n"
    assert not (student / "junk.so").exists()
    assert stubs.check_student_tree(ref, student) == []
    (student / "a.py").write_text(SOURCE)  # a student tree that leaks the solution
    (student / "extra.py").write_text("")
    (student / "sub" / "b.py").unlink()
    problems = stubs.check_student_tree(ref, student)
    assert problems == ["missing: sub/b.py", "unexpected: extra.py", "differs: a.py"]


def test_committed_student_tree_is_current():
    """Is the committed student/ exactly what the generator makes from reference/ (`stubs --check`)?"""
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "stubs", "--check", "--root", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stubs_check_exits_1_on_a_stale_tree(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "m.py").write_text(SOURCE)
    (tmp_path / "student").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "stubs", "--check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "missing: m.py" in proc.stdout
