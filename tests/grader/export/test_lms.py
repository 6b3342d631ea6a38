"""``export canvas|moodle|csv``: grades for an LMS, read back as those systems read them."""

from __future__ import annotations

import csv
import io

import pytest

from grader import cli
from grader.export import lms

GRADEBOOK = (
    "submission,status,q1,total,max_total,message\n"
    "12345,graded,20,20,30,\n"
    "a2_67890_garcia,graded,30,30,30,\n"
    "ana@uni.edu,partial,10,10,30,timeout\n"
    "stranger,graded,5,5,30,\n"
)
ROSTER = (
    "student_id,name,email\n"
    '12345,=HYPERLINK("http://x"),luis@uni.edu\n'
    "67890,Marta García,marta@uni.edu\n"
    "555,Ana,ana@uni.edu\n"
    "999,@Nobody,-nobody@uni.edu\n"
)


@pytest.fixture
def graded(tmp_path):
    (tmp_path / "graded").mkdir()
    (tmp_path / "graded" / "gradebook.csv").write_text(GRADEBOOK)
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return tmp_path


def export(graded, fmt, capsys):
    out = graded / f"{fmt}.csv"
    code = cli.main(
        ["export", fmt, "--out", str(out), "--graded", str(graded / "graded"), "--roster", str(graded / "roster.csv")]
    )
    assert code == 0
    err = capsys.readouterr().err
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))), err


def test_canvas_points_possible_row_and_sis_ids(graded, capsys):
    rows, err = export(graded, "canvas", capsys)
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and rows[0][5].startswith(
        "Assignment 2"
    )
    assert rows[1][0] == "Points Possible" and rows[1][5] == "30"
    by_sis = {r[2]: r for r in rows[2:]}
    assert by_sis["12345"][5] == "20" and by_sis["67890"][5] == "30" and by_sis["555"][5] == "10"
    assert by_sis["999"][5] == ""
    assert (
        by_sis["12345"][0] == '\'=HYPERLINK("http://x")'
        and by_sis["999"][0] == "'@Nobody"
        and by_sis["999"][3] == "'-nobody@uni.edu"
    )
    assert "unmatched submission: stranger" in err and "no submission for student: 999" in err


def test_moodle_and_plain_csv_parse_back(graded, capsys):
    rows, _ = export(graded, "moodle", capsys)
    assert rows[0][:3] == ["ID number", "Email address", "Full name"] and rows[0][3].startswith("Assignment 2")
    assert {r[0]: r[3] for r in rows[1:]} == {"12345": "20", "67890": "30", "555": "10", "999": ""}
    rows, _ = export(graded, "csv", capsys)
    recs = {
        r["student_id"]: r for r in csv.DictReader(io.StringIO("\n".join(",".join(f'"{c}"' for c in r) for r in rows)))
    }
    assert recs["67890"]["submission"] == "a2_67890_garcia" and recs["67890"]["name"] == "Marta García"
    assert recs["999"]["status"] == "missing" and recs["555"]["status"] == "partial"


def test_final_total_wins_and_ambiguity_is_unmatched(tmp_path):
    (tmp_path / "gradebook.csv").write_text(
        "submission,status,q1,total,max_total,message,submitted_at,late_penalty,final_total\n"
        "1_2,graded,10,10,10,,2026-01-01T00:00:00+00:00,2,8\n"
        "3,graded,10,10,10,,,0,10\n"
    )
    grades = lms.read_gradebook(tmp_path)
    assert [g.score for g in grades] == [8, 10]
    m = lms.match([lms.Student("1", "a", ""), lms.Student("2", "b", ""), lms.Student("3", "c", "")], grades)
    assert [g.submission for g in m.unmatched] == ["1_2"] and [s.id for s in m.missing] == ["1", "2"]


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    assert (
        cli.main(
            [
                "export",
                "canvas",
                "--out",
                str(tmp_path / "x.csv"),
                "--graded",
                str(tmp_path),
                "--roster",
                str(tmp_path / "r.csv"),
            ]
        )
        == 2
    )
    assert "no gradebook.csv here" in capsys.readouterr().err
    (tmp_path / "gradebook.csv").write_text(GRADEBOOK)
    (tmp_path / "r.csv").write_text("name,email\nx,y\n")
    assert (
        cli.main(
            [
                "export",
                "canvas",
                "--out",
                str(tmp_path / "x.csv"),
                "--graded",
                str(tmp_path),
                "--roster",
                str(tmp_path / "r.csv"),
            ]
        )
        == 2
    )
    assert "r.csv:2: no student_id" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
