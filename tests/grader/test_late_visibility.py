"""The rubric's late policy (grader/late.py) and per-check visibility (grader/render/gradescope.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import cli, grading, late
from grader import rubric as rubric_mod
from grader.render import gradescope
from grader.results import CheckResult, QuestionResult, Status
from tests.grader import gradescope_schema
from tests.grader.subjects import ROOT, our_layout

HEAD = "version: 1\nassignment: t\n"
Q = "questions:\n  q1:\n    title: t\n    points: 1\n    checks:\n      - {id: affine_forward, points: 1}\n"


def load(tmp_path: Path, text: str) -> rubric_mod.Rubric:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return rubric_mod.load(path, require_all_checks=False)


def policy(tmp_path: Path, block: str) -> late.LatePolicy:
    return load(tmp_path, HEAD + Q + "late:\n" + block).late


MADRID = '  deadline: "2026-03-28 23:59"\n  timezone: Europe/Madrid\n'


@pytest.mark.parametrize(
    "submitted, percent",
    [
        ("2026-03-28T23:59:00", 0),  # on time, to the minute
        ("2026-03-29T00:10:00+01:00", 0),  # 11 min late, within the 15 min grace (CET until 02:00)
        ("2026-03-29T00:20:00+01:00", 10),  # past the grace: counted from the deadline, 1 day
        ("2026-03-29T23:58:00+02:00", 10),  # CEST now: 22 h 59 min elapsed, before 23:59 local: still day one
        # 23 h 31 min after the deadline in elapsed time, but past 23:59 local on the next day: day two
        ("2026-03-30T00:30:00+02:00", 20),
        ("2026-04-10T12:00:00+02:00", 50),  # past the cap
    ],
)
def test_penalty_per_local_day_with_grace_and_cap_across_a_dst_change(tmp_path, submitted, percent):
    p = policy(tmp_path, MADRID + "  grace: 15m\n  penalty: 10\n  per: day\n  cap: 50\n")
    record = p.assess(p.parse_time(submitted), 30.0)
    assert record["percent"] == percent, record["explanation"]
    assert record["final"] == pytest.approx(30 * (1 - percent / 100)) and record["penalty"] == pytest.approx(
        30 * percent / 100
    )
    assert "Europe/Madrid" in record["explanation"] and f"{record['final']:g}" in record["explanation"]


def test_per_hour_counts_elapsed_hours_and_a_table_picks_its_row(tmp_path):
    p = policy(tmp_path, MADRID + "  penalty: 1\n  per: hour\n")
    # 01:30 CEST on the 29th is 1 h 31 min after 23:59 CET: two started hours
    assert p.assess(p.parse_time("2026-03-29T01:30:00+01:00"), 10)["percent"] == 2
    t = policy(tmp_path, MADRID + "  table:\n    - {until: 1h, penalty: 5}\n    - {until: 2d, penalty: 40}\n")
    assert t.assess(t.parse_time("2026-03-29T00:30:00+01:00"), 10)["percent"] == 5
    assert t.assess(t.parse_time("2026-03-30T12:00:00+02:00"), 10)["percent"] == 40
    assert t.assess(t.parse_time("2026-04-30T12:00:00+02:00"), 10)["percent"] == 100


@pytest.mark.parametrize(
    "block, key",
    [
        ('  deadline: "2026-03-28 23:59"\n  timezone: Mars/Olympus\n  penalty: 1\n', "late.timezone"),
        ('  deadline: "tomorrow"\n  timezone: UTC\n  penalty: 1\n', "late.deadline"),
        (MADRID + "  penalty: 1\n  per: week\n", "late.per"),
        (MADRID + "  penalty: 1\n  grace: soon\n", "late.grace"),
        (MADRID + "  penalty: 1\n  cap: 150\n", "late.cap"),
        (MADRID + "  table:\n    - {until: 2d, penalty: 5}\n    - {until: 1d, penalty: 9}\n", "late.table[1].until"),
        (MADRID + "  penalty: 1\n  bonus: 3\n", "late: unknown key 'bonus'"),
    ],
)
def test_a_bad_late_block_names_the_file_line_and_key(tmp_path, block, key):
    with pytest.raises(rubric_mod.RubricError) as info:
        policy(tmp_path, block)
    assert str(info.value).startswith(f"{tmp_path / 'r.yaml'}:") and key in str(info.value)


def test_grade_applies_the_policy_from_submitted_at_and_the_gradebook_shows_raw_penalty_final(tmp_path):
    rub_file = tmp_path / "late.yaml"
    rub_file.write_text(HEAD + Q + "late:\n" + MADRID + "  penalty: 10\n  per: day\n")
    subs = tmp_path / "subs"
    our_layout(subs / "ontime", ROOT / "reference")
    our_layout(subs / "late", ROOT / "reference")
    our_layout(subs / "unknown", ROOT / "reference")
    times = tmp_path / "times.csv"
    times.write_text("submission,submitted_at\nontime,2026-03-28T20:00:00\nlate.zip,2026-03-30T12:00:00+02:00\n")
    out = tmp_path / "out"
    rub = rubric_mod.load(rub_file, require_all_checks=False)  # a one-check subset: the CLI wants whole questions
    rows = grading.grade(
        [subs], out, rubric=rub, seed="s", workers=1, submitted_at=late.read_submitted_at(times, rub.late)
    )
    assert [r.status for r in rows] == ["graded"] * 3
    text = (out / "gradebook.csv").read_text()
    assert gradescope_schema.gradebook_problems(text, ["q1"]) == []
    rows = {r["submission"]: r for r in gradescope_schema.gradebook_rows(text)}
    assert (rows["ontime"]["total"], rows["ontime"]["late_penalty"], rows["ontime"]["final_total"]) == ("1", "0", "1")
    assert (rows["late"]["total"], rows["late"]["late_penalty"], rows["late"]["final_total"]) == ("1", "0.2", "0.8")
    assert rows["unknown"]["final_total"] == "1" and rows["unknown"]["submitted_at"] == ""
    data = json.loads((out / "late" / "results.json").read_text())
    assert gradescope_schema.validate(data) == [] and data["score"] == 0.8
    assert "2 days late x 10% per day" in (out / "late" / "report.html").read_text()
    # a rerun rebuilds the same rows from results.json
    again = grading.grade([subs], out, rubric=rubric_mod.load(rub_file, require_all_checks=False), seed="s", workers=1)
    assert {r.submission: r.late and r.late["final"] for r in again}["late"] == 0.8
    assert (out / "gradebook.csv").read_text() == text


def test_submitted_at_errors_are_one_line(tmp_path, capsys):
    rub_file = tmp_path / "r.yaml"
    rub_file.write_text((ROOT / "rubric.yaml").read_text())
    times = tmp_path / "t.csv"
    times.write_text("submission,submitted_at\na,2026\n")
    assert (
        cli.main(
            [
                "grade",
                str(ROOT / "reference"),
                "--out",
                str(tmp_path / "o"),
                "--rubric",
                str(rub_file),
                "--submitted-at",
                str(times),
                "--seed",
                "s",
            ]
        )
        == 2
    )
    assert "needs a rubric with a late: block" in capsys.readouterr().err
    rub_file.write_text((ROOT / "rubric.yaml").read_text().rstrip() + "\nlate:\n" + MADRID + "  penalty: 1\n")
    assert (
        cli.main(
            [
                "grade",
                str(ROOT / "reference"),
                "--out",
                str(tmp_path / "o"),
                "--rubric",
                str(rub_file),
                "--submitted-at",
                str(times),
                "--seed",
                "s",
            ]
        )
        == 2
    )
    assert f"{times}:2: submission time '2026'" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Visibility


@pytest.mark.parametrize("value", gradescope_schema.VISIBILITIES)
def test_each_gradescope_visibility_round_trips_through_the_rubric_into_results_json(tmp_path, value):
    rub = load(tmp_path, HEAD + Q.replace("points: 1}", f"points: 1, visibility: {value}}}"))
    assert rub.questions[0].checks[0].visibility == value
    c = CheckResult("affine_forward", "q1", "t", Status.PASS, 1.0, 1.0, 1e-12, 1e-9)
    q = QuestionResult("q1", "t", 1.0, False, (c,))
    data = gradescope.results_json(
        [q], execution_time=0, output="", a2kit={}, visibility={s.id: s.visibility for s in rub.questions[0].checks}
    )
    assert json.loads(json.dumps(data))["tests"][0]["visibility"] == value


def test_visibility_defaults_inherit_and_bad_values_are_named(tmp_path):
    rub = load(tmp_path, HEAD + Q)
    assert rub.questions[0].checks[0].visibility == "after_due_date"  # hidden-input results: after the due date
    rub = load(
        tmp_path, HEAD + "visibility: hidden\n" + Q.replace("points: 1\n", "points: 1\n    visibility: visible\n")
    )
    assert rub.questions[0].checks[0].visibility == "visible"
    with pytest.raises(
        rubric_mod.RubricError, match=r"r.yaml:8: questions.q1.checks\[0\].visibility: 'secret' is not one of"
    ):
        load(tmp_path, HEAD + Q.replace("points: 1}", "points: 1, visibility: secret}"))


def test_a_hidden_checks_output_holds_no_value_only_status_and_category():
    msg = "dx is wrong: got [[-0.247654  1.5e-3]\n [2. 3.]], expected -0.495308 (ratio 0.5, shape (4, 3)) at x='abc'"
    c = CheckResult("affine_backward", "q1", "t", Status.FAIL, 0.0, 1.0, 0.66, 1e-9, msg, "layers.py:12")
    q = QuestionResult("q1", "t", 1.0, False, (c,))
    (shown,) = gradescope.tests([q], visibility={"affine_backward": "visible"})
    (hidden,) = gradescope.tests([q], visibility={"affine_backward": "after_due_date"})
    assert "-0.495308" in shown["output"]
    assert hidden["output"].startswith("failed\ndx is wrong: got") and "expected" in hidden["output"]
    assert not any(ch.isdigit() for ch in hidden["output"]) and "abc" not in hidden["output"], hidden["output"]


def test_check_still_calls_its_results_public_checks():
    from grader.render import terminal

    c = CheckResult("affine_forward", "q1", "t", Status.PASS, 1.0, 1.0, 1e-12, 1e-9)
    text = terminal.render([QuestionResult("q1", "t", 1.0, False, (c,))])
    assert text.splitlines()[-1].startswith("total: 1 / 1 points") and "public checks" in text.splitlines()[-1]
