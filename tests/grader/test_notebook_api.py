"""grader.notebook_api: what the notebooks import, and the by-id check entry point behind it."""

from __future__ import annotations

import pytest

from grader import check, notebook_api, rubric
from grader.paths import project_root
from grader.results import Status


def test_implementation_defaults_to_student(monkeypatch):
    """Without A2KIT_IMPL, do the notebooks exercise student/?"""
    monkeypatch.delenv("A2KIT_IMPL", raising=False)
    assert notebook_api.implementation() == "student"
    monkeypatch.setenv("A2KIT_IMPL", "  ")
    assert notebook_api.implementation() == "student"


def test_load_imports_from_the_selected_package(monkeypatch):
    """Does load() import <implementation>.<module>, dotted paths included?"""
    monkeypatch.setenv("A2KIT_IMPL", "reference")
    layers = notebook_api.load("layers")
    fc_net = notebook_api.load("classifiers.fc_net")
    assert layers.__name__ == "reference.layers"
    assert fc_net.__name__ == "reference.classifiers.fc_net"
    monkeypatch.setenv("A2KIT_IMPL", "student")
    assert notebook_api.load("layers").__name__ == "student.layers"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" yes ", True),
        ("0", False),
        ("", False),
        ("no", False),
        ("fast", False),
    ],
)
def test_fast_mode_values(monkeypatch, value, expected):
    """Which values of A2KIT_FAST switch fast mode on?"""
    monkeypatch.setenv("A2KIT_FAST", value)
    assert notebook_api.fast_mode() is expected
    assert notebook_api.by_mode(full=20, fast=1) == (1 if expected else 20)


def test_fast_mode_off_by_default(monkeypatch):
    monkeypatch.delenv("A2KIT_FAST", raising=False)
    assert notebook_api.fast_mode() is False


@pytest.mark.parametrize(
    "source, empty",
    [
        (notebook_api.ANSWER_PLACEHOLDER, True),
        ("**Your answer:**", True),
        ("**Your answer:**   \n\n  ", True),
        ("", True),
        (["**Your answer:** ", "*fill this in*\n"], True),
        ("**Your answer:** the gradient vanishes", False),
        ("**Your answer:** *fill this in* because the mean is subtracted", False),
        ("It is zero.", False),
    ],
)
def test_answer_is_empty(source, empty):
    """Is an answer empty exactly when nothing but the placeholder and the prefix is left?"""
    assert notebook_api.answer_is_empty(source) is empty


def test_answer_metadata_round_trip():
    """Does answer_id read back what answer_metadata writes, on markdown cells only?"""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    cell = new_markdown_cell(notebook_api.ANSWER_PLACEHOLDER, metadata=notebook_api.answer_metadata("q1-inline-1"))
    assert cell.metadata == {"a2kit": {"answer": "q1-inline-1"}}
    assert notebook_api.answer_id(cell) == "q1-inline-1"
    assert notebook_api.answer_id(new_markdown_cell("text")) is None
    assert notebook_api.answer_id(new_code_cell("x", metadata=notebook_api.answer_metadata("q"))) is None


def test_show_checks_runs_the_named_checks(monkeypatch, capsys):
    """Outside a kernel, does show_checks print the table and return results scored by the default rubric?"""
    monkeypatch.setenv("A2KIT_IMPL", "reference")
    results = notebook_api.show_checks("relu_forward", "affine_forward", "dropout_forward_test")
    assert [r.check_id for r in results] == ["relu_forward", "affine_forward", "dropout_forward_test"]
    assert all(r.status is Status.PASS for r in results)
    assert [r.max_points for r in results] == [1, 1, 1]
    out = capsys.readouterr().out
    assert "relu_forward" in out and "q3: Dropout" in out and "total: 3 / 3 points" in out


def test_show_checks_against_stubs_reports_not_implemented(monkeypatch, capsys):
    monkeypatch.setenv("A2KIT_IMPL", "student")
    (result,) = notebook_api.show_checks("affine_forward")
    assert result.status is Status.NOT_IMPLEMENTED and result.points == 0
    assert "not implemented" in capsys.readouterr().out


def test_show_checks_rejects_unknown_ids(monkeypatch):
    monkeypatch.setenv("A2KIT_IMPL", "reference")
    with pytest.raises(check.SelectionError, match="no_such_check"):
        notebook_api.show_checks("affine_forward", "no_such_check")
    with pytest.raises(check.SelectionError):
        notebook_api.show_checks()


def test_show_question_and_checks_take_another_rubric(monkeypatch, capsys):
    """Do the TP2 notebooks get their questions and points from rubrics/tp2.yaml?"""
    monkeypatch.setenv("A2KIT_IMPL", "reference")
    results = notebook_api.show_question("tp2_ex1", "tp2_ex2", rubric="rubrics/tp2.yaml")
    tp2 = rubric.load(project_root() / "rubrics" / "tp2.yaml")
    expected = [c.id for q in ("tp2_ex1", "tp2_ex2") for c in tp2.question(q).checks]
    assert [r.check_id for r in results] == expected and all(r.passed for r in results)
    assert "total: 14 / 14 points" in capsys.readouterr().out
    (one,) = notebook_api.show_checks("tp2_ex2_forward", rubric="rubrics/tp2.yaml")
    assert one.max_points == tp2.question("tp2_ex2").checks[0].points
    with pytest.raises(check.SelectionError, match="tp2_ex1"):  # not a question of the default rubric
        notebook_api.show_question("tp2_ex1")


def test_show_question_runs_a_whole_question(monkeypatch, capsys):
    monkeypatch.setenv("A2KIT_IMPL", "reference")
    results = notebook_api.show_question("q3")
    assert {r.question for r in results} == {"q3"} and len(results) == 4
    assert sum(r.points for r in results) == 10
    assert "total: 10 / 10 points" in capsys.readouterr().out


def test_run_ids_groups_by_question_in_rubric_order():
    """Does run_ids keep the given order within a question, rubric order across questions, and drop duplicates?"""
    results = check.run_ids(
        ["dropout_backward", "relu_backward", "affine_forward", "relu_backward"], implementation="reference"
    )
    assert [q.question for q in results] == ["q1", "q3"]
    assert [c.check_id for c in results[0].checks] == ["relu_backward", "affine_forward"]
    assert results[0].max_points == 1 + 1 and results[1].max_points == 2
    assert results[0].title == "Fully-connected networks"


def test_run_is_unchanged_by_run_ids():
    """Does check.run still score whole questions out of the rubric's points?"""
    (q3,) = check.run(["q3"], implementation="reference")
    assert q3.max_points == 10 and q3.points == 10 and len(q3.checks) == 4


def test_collect_submission_prints_the_refusal(monkeypatch, tmp_path, capsys):
    """Does the body of collect_submission.ipynb print each problem and write nothing when the work is incomplete?"""
    import shutil

    from grader.paths import project_root

    root = tmp_path / "project"
    shutil.copytree(project_root() / "student", root / "student", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(project_root() / "rubric.yaml", root / "rubric.yaml")
    monkeypatch.setenv("A2KIT_ROOT", str(root))
    assert notebook_api.collect_submission() is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Nothing was written.")
    assert "  notebooks/FullyConnectedNets.ipynb: missing (required by q1)" in out
    assert not list(root.glob("a2_*"))
