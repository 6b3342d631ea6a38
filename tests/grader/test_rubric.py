"""rubric.yaml and its validator."""

import textwrap

import pytest

from grader import rubric
from grader.checks import registry
from grader.paths import project_root

GOOD = """\
version: 1
assignment: test
questions:
  q1:
    title: Affine
    points: 5
    checks:
      - {id: affine_forward, points: 2}
      - {id: affine_backward, points: 3, tolerance: 1.0e-6, timeout: 4}
"""


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_isolate_is_on_unless_the_rubric_says_false(tmp_path):
    assert rubric.load(write(tmp_path, GOOD), require_all_checks=False).isolate is True
    strict = GOOD.replace("assignment: test", "assignment: test\nisolate: false")
    assert rubric.load(write(tmp_path, strict), require_all_checks=False).isolate is False


def test_a_valid_rubric_loads_with_overrides(tmp_path):
    r = rubric.load(write(tmp_path, GOOD), require_all_checks=False)
    q = r.question("q1")
    assert (q.points, q.extra_credit) == (5, False)
    assert q.checks[1].tolerance == 1e-6 and q.checks[1].timeout == 4
    assert q.checks[0].tolerance is None


@pytest.mark.parametrize(
    "old, new, line, words",
    [
        ("assignment: test", "assignment: test\ncolour: red", 3, "unknown key 'colour'"),
        ("    title: Affine\n", "    title: Affine\n    weight: 3\n", 6, "questions.q1: unknown key 'weight'"),
        ("affine_forward, points: 2}", "affine_forward, points: 2, tol: 1}", 8, "unknown key 'tol'"),
        ("id: affine_forward", "id: affine_fwd", 8, "unknown check id 'affine_fwd'"),
        ("points: 2}", "points: -2}", 8, "points must not be negative"),
        ("tolerance: 1.0e-6", "tolerance: 0", 9, "tolerance must be positive"),
        ("tolerance: 1.0e-6", "tolerance: tiny", 9, "tolerance must be a number"),
        ("timeout: 4", "timeout: .nan", 9, "timeout must be finite"),
        ("version: 1", "version: 7", 1, "unsupported rubric version"),
        ("    points: 5\n", "    points: 6\n", 6, "points is 6 but its checks add up to 5"),
        ("id: affine_backward", "id: affine_forward", 9, "listed twice"),
        ("    title: Affine\n", "", 5, "missing key 'title'"),
        ("  q1:", "  q1:\n    extra_credit: maybe", 5, "extra_credit must be true or false"),
        ("assignment: test", "assignment: test\nisolate: sometimes", 3, "isolate must be true or false"),
    ],
)
def test_bad_rubrics_name_the_key_and_the_line(tmp_path, old, new, line, words):
    """Is every kind of mistake reported with the file, the line and the key?"""
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(rubric.RubricError) as info:
        rubric.load(path, require_all_checks=False)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message


def test_a_missing_check_is_an_error_when_all_are_required(tmp_path):
    path = write(
        tmp_path, GOOD.replace("      - {id: affine_forward, points: 2}\n", "").replace("points: 5", "points: 3")
    )
    with pytest.raises(rubric.RubricError, match=r"missing check ids .*affine_forward"):
        rubric.load(path, require_all_checks=True)
    flagged = write(tmp_path, path.read_text().replace("version: 1\n", "version: 1\nall_checks: true\n", 1))
    with pytest.raises(rubric.RubricError, match=r"missing check ids .*affine_forward"):
        rubric.load(flagged)


def test_listing_some_checks_selects_them(tmp_path):
    """A quiz of two of Q1's checks: loaded without padding, and only those two are graded."""
    path = tmp_path / "quiz.yaml"
    path.write_text(
        "version: 1\nassignment: quiz\nquestions:\n  q1:\n    title: t\n    points: 2\n    checks:\n"
        "      - {id: affine_forward, points: 1, tolerance: 1e-9}\n      - {id: relu_forward, points: 1}\n"
    )
    r = rubric.load(path)
    assert [c.id for c in r.question("q1").checks] == ["affine_forward", "relu_forward"]
    assert r.question("q1").checks[0].tolerance == 1e-9  # written 1e-9, which YAML 1.1 reads as a string
    assert rubric.load().question("q1").checks  # the default rubric keeps its strict flag and passes it


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(rubric.RubricError, match=r"r\.yaml:\d+: not valid YAML"):
        rubric.load(write(tmp_path, "version: [1\n"))
    with pytest.raises(rubric.RubricError, match="cannot read"):
        rubric.load(tmp_path / "absent.yaml")


@pytest.mark.parametrize("name", ["rubric.yaml", "rubrics/a2_2019.yaml", "rubrics/tp2.yaml"])
def test_shipped_rubrics_are_valid_and_complete(name):
    """Do the shipped rubrics validate, list every check of their questions, and total as documented?"""
    path = project_root() / name
    r = rubric.load(path)
    listed = {c.id for q in r.questions for c in q.checks}
    declared = {c.id for c in registry.all_checks().values() if c.question in r.question_ids}
    assert listed == declared
    totals = {q.id: q.points for q in r.questions}
    assert totals == EXPECTED_TOTALS[name]
    assert r.max_total == 100  # extra credit (q5 of the default rubric) is on top


EXPECTED_TOTALS = {
    "rubric.yaml": {"q1": 30, "q2": 20, "q3": 10, "q4": 40, "q5": 10},
    "rubrics/a2_2019.yaml": {"q1": 20, "q2": 30, "q3": 10, "q4": 30, "q5": 10},
    "rubrics/tp2.yaml": {
        "tp2_ex1": 8,
        "tp2_ex2": 6,
        "tp2_ex3": 16,
        "tp2_ex4": 6,
        "tp2_activations": 10,
        "tp2_layers": 14,
        "tp2_training": 16,
        "tp2_ex5_ex8": 8,
        "tp2_xor": 16,
    },
}
