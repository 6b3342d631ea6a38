"""The command line: exit codes, one-line errors, --json."""

import json
import subprocess
import sys

from grader.cli import main
from grader.paths import project_root


def cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=project_root())


def test_reference_passes_q1_with_exit_0_and_json_is_parseable():
    proc = cli("check", "q1", "--implementation", "reference", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (q1,) = data["questions"]
    assert q1["id"] == "q1" and q1["points"] == q1["max_points"] > 0
    assert all(c["status"] == "pass" for c in q1["checks"])
    assert data["total"] == q1["points"]


def test_unknown_question_is_a_one_line_usage_error():
    proc = cli("check", "q9")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown question q9" in proc.stderr


def test_bad_rubric_is_a_one_line_usage_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nassignment: x\nquestions:\n  q1: {title: t, points: 1, checks: [{id: nope, points: 1}]}\n"
    )
    proc = cli("check", "--rubric", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:4: " in proc.stderr and "unknown check id 'nope'" in proc.stderr


def test_usage_errors_exit_2():
    assert main(["no-such-verb"]) == 2
    assert main([]) == 2
    assert main(["--help"]) == 0


def test_data_verbs_write_the_synthetic_set_and_refuse_a_bad_archive(tmp_path):
    """Does `data synthetic` write a loadable folder, and does `data cifar10` fail in one line on a bad URL?"""
    dest = tmp_path / "synth"
    proc = cli("data", "synthetic", "--dest", str(dest))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    )
    bogus = tmp_path / "not-cifar.tar.gz"
    bogus.write_bytes(b"not an archive")
    proc = cli("data", "cifar10", "--dest", str(tmp_path / "c"), "--url", str(bogus))
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "checksum mismatch" in errors[0]
    assert not (tmp_path / "c").exists()
