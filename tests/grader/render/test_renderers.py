"""grader.render.terminal, jsonout and gradescope on fixed check results (tests/grader/render/results.py)."""

from __future__ import annotations

import json

from grader.render import fmt_number, fmt_points, gradescope, jsonout, terminal
from grader.results import Status
from tests.grader.render.results import RESULTS

Q1, Q3, Q4, Q5 = RESULTS


def test_numbers_and_points_are_formatted_compactly():
    """Is an absent error '-', an error two significant digits, and are points shown without trailing zeros?"""
    assert fmt_number(None) == "-"
    assert fmt_number(0.000123456) == "1.23e-04"
    assert fmt_number(float("inf")) == "inf"
    assert (fmt_points(2.0), fmt_points(1.5)) == ("2", "1.5")


def test_terminal_truncates_a_long_message_to_the_width():
    """Is a diagnosis longer than the terminal cut with '...' to fit, but never below 40 characters?"""
    narrow = terminal.render_question(Q3, width=50).splitlines()
    why = [ln for ln in narrow if ln.startswith("      raised")][0]
    assert len(why.strip()) == 44 and why.endswith("...")
    wide = terminal.render_question(Q3, width=400)
    assert wide.endswith("operands could not be broadcast together  [at layers.py:412]") and "..." not in wide


def test_terminal_shows_a_question_skipped_for_a_missing_extra_on_one_line():
    """Is Q5 without torch one 'skipped' line, not one row per check?"""
    text = terminal.render_question(Q5, width=100)
    assert "\n" not in text and "skipped: PyTorch is not installed" in text and "torch_flatten" not in text


def test_terminal_total_leaves_extra_credit_out_of_the_possible_points():
    """Does the total line count extra-credit points earned, but not their maximum?"""
    last = terminal.render(RESULTS).splitlines()[-1]
    assert last.startswith("total: 5.5 / 14 points (+ extra credit)")


def test_json_output_has_the_table_s_data_and_no_infinite_number():
    """Does check --json give every check, totals without extra credit maxima, and null for an infinite error?"""
    data = json.loads(jsonout.render(RESULTS))
    assert [q["id"] for q in data["questions"]] == ["q1", "q3", "q4", "q5"]
    assert (data["total"], data["max_total"]) == (5.5, 14.0)
    dropout_backward = data["questions"][1]["checks"][1]
    assert dropout_backward["error"] is None and dropout_backward["status"] == "fail"
    assert dropout_backward["location"] == "layers.py:412"
    assert data["questions"][0]["checks"][2]["status"] == Status.NOT_IMPLEMENTED.value


def test_gradescope_tests_are_numbered_and_tagged_per_question():
    """Is each check one test numbered question.check, passed only on PASS, tagged extra-credit where it is?"""
    tests = gradescope.tests(RESULTS)
    assert [t["number"] for t in tests[:6]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]
    assert [t["status"] for t in tests[:2]] == ["passed", "failed"]
    assert tests[0]["name"] == "q1 affine_forward: affine forward"
    assert tests[-1]["tags"] == ["q5", "extra-credit"] and tests[0]["tags"] == ["q1"]
    assert tests[1]["output"].splitlines()[:2] == ["failed", "relative error 5.00e-01 (tolerance 1.00e-07)"]


def test_a_hidden_test_s_output_keeps_the_kind_of_mistake_and_no_number():
    """With visibility after_due_date, does the output lose every number and quoted value but keep the words?"""
    tests = gradescope.tests(RESULTS, visibility={"affine_backward": "after_due_date"})
    hidden = tests[1]
    assert hidden["visibility"] == "after_due_date" and tests[0]["visibility"] == "visible"
    assert hidden["output"].splitlines()[0] == "failed"
    assert "db is the mean over the batch" in hidden["output"]
    assert not any(ch.isdigit() for ch in hidden["output"])


def test_diagnosis_category_removes_arrays_quotes_and_numbers():
    """Are arrays, tuples with numbers, quoted text and numbers replaced by '...' (runs of them by one)?"""
    text = gradescope.diagnosis_category("dx [1.0, 2.0]\n at index (0, 3), 'x' is 1e-3 off")
    assert text == "dx ... at index ... is ... off"


def test_results_json_score_is_the_sum_of_the_tests():
    """Is the top-level score the sum of the tests' scores, and the execution time rounded to seconds?"""
    data = gradescope.results_json(RESULTS, execution_time=12.6, output="", a2kit={"submission": "s"})
    assert data["score"] == 5.5 and data["execution_time"] == 13
    assert data["stdout_visibility"] == "hidden" and data["a2kit"] == {"submission": "s"}


def test_gradescope_test_outputs_follow_the_language_and_keep_machine_fields():
    """A test's output (its status line, the relative error, where) is in the current language; Gradescope's
    ``status`` and ``score`` fields are not words and stay as they are."""
    from grader import i18n

    try:
        i18n.set_language("es")
        es = gradescope.results_json(RESULTS, execution_time=1.0, output="", a2kit={})
    finally:
        i18n.set_language("en")
    en = gradescope.results_json(RESULTS, execution_time=1.0, output="", a2kit={})
    assert [t["status"] for t in es["tests"]] == [t["status"] for t in en["tests"]]
    assert [t["score"] for t in es["tests"]] == [t["score"] for t in en["tests"]]
    es_out, en_out = "\n".join(t["output"] for t in es["tests"]), "\n".join(t["output"] for t in en["tests"])
    assert "aprobada" in es_out and "passed" not in es_out.split("\n")[0]
    assert "passed" in en_out and "aprobada" not in en_out
    if "relative error" in en_out:
        assert "error relativo" in es_out and "relative error" not in es_out
