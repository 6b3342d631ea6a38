"""summary.html for a class of hundreds (grader.render.summary), from synthetic results.json data."""

from __future__ import annotations

import re

from grader.render import summary

QUESTIONS = {"q1": (["affine_forward", "relu_forward"], False), "q5": (["torch_flatten"], True)}


def _results(sid: str, status: str, outcomes: dict[str, tuple[str, str]]) -> dict:
    """A results.json: ``outcomes`` check id -> (first output line, diagnosis); points 5 per check."""
    tests = []
    for q, (checks, extra) in QUESTIONS.items():
        for c in checks:
            kind, diag = outcomes.get(c, ("passed", ""))
            tests.append(
                {
                    "name": f"{q} {c}: title",
                    "score": 5.0 if kind == "passed" else 0.0,
                    "max_score": 5.0,
                    "status": "passed" if kind == "passed" else "failed",
                    "output": "\n".join(filter(None, [kind, diag])),
                    "tags": [q] + (["extra-credit"] if extra else []),
                }
            )
    total = sum(t["score"] for t in tests) if status != "error" else 0.0
    if status == "error":
        tests = []
    scores = {q: sum(t["score"] for t in tests if t["name"].startswith(q + " ")) for q in QUESTIONS}
    meta = {
        "submission": sid,
        "status": status,
        "scores": scores,
        "total": total,
        "max_total": 10.0,
        "message": "",
        "seconds": 1,
    }
    return {"a2kit": meta, "tests": tests, "execution_time": 1}


def _class() -> list[summary.Entry]:
    entries = []
    for i in range(300):
        if i % 50 == 0:
            entries.append(summary.entry(_results(f"s{i:03}", "error", {})))
        elif i % 3 == 0:  # stubs left: not implemented everywhere
            nyi = ("not implemented", "affine_forward not implemented yet (layers.py)")
            entries.append(
                summary.entry(
                    _results(
                        f"s{i:03}", "graded", {c: nyi for c in ("affine_forward", "relu_forward", "torch_flatten")}
                    )
                )
            )
        elif i % 3 == 1:  # a real mistake in relu, with varying numbers
            entries.append(
                summary.entry(
                    _results(
                        f"s{i:03}", "graded", {"relu_forward": ("failed", f"likely: negative inputs kept ({i} of 40)")}
                    )
                )
            )
        else:  # everything, extra credit included: 15 / 10
            entries.append(summary.entry(_results(f"s{i:03}", "graded", {})))
    return entries


def test_extra_credit_has_its_own_bin_and_error_rows_are_not_zeros():
    entries = _class()
    page = summary.render(entries)
    graded = [e for e in entries if e.status != "error"]
    assert "6 error rows (not graded) are left out" in page
    mean = sum(e.total for e in graded) / len(graded)
    assert f"mean {summary.fmt_points(mean)}" in page  # the mean of the graded only
    plot = re.search(r'<svg id="score-plot".*?</svg>', page, re.S).group(0)
    assert plot.count('class="bar"') == 10 and plot.count('class="bar extra"') == 1
    over = sum(1 for e in graded if e.total > 10)
    assert f"above 10 (extra credit) points: {over} submissions" in plot
    top = sum(1 for e in graded if 9 <= e.total <= 10)  # 15/10 is not in the top bin
    assert f"9 to 10 points: {top} submissions" in plot and top < len(graded) - over


def test_per_question_plots_heat_map_and_links():
    entries = _class()
    page = summary.render(entries)
    assert '<svg id="plot-q1"' in page and '<svg id="plot-q5"' in page
    heat = re.search(r'<table class="a2" id="heat-map">.*?</table>', page, re.S).group(0)
    assert heat.count("<tr>") == len(entries) + 1 and heat.count('href="s001/report.html"') == 1
    assert all(f'href="{e.submission}/report.html"' in heat for e in entries)
    row = re.search(r'<a href="s003/report.html">.*?</tr>', heat, re.S).group(0)  # the stubs: red zeros
    assert "hsl(0, 70%, 72%)" in row
    row = re.search(r'<a href="s050/report.html">.*?</tr>', heat, re.S).group(0)  # an error row: not graded
    assert "not graded" in row


def test_checks_sorted_by_failure_rate_with_a_real_diagnosis():
    rates = summary.check_rates(_class())
    assert [r.name for r in rates][:1] == ["q1 relu_forward"]  # fails for stubs and for the relu mistake
    assert [r.failure_rate for r in rates] == sorted((r.failure_rate for r in rates), reverse=True)
    relu = rates[0]
    assert relu.diagnosis.startswith("likely: negative inputs kept") and relu.diagnosed == 98
    assert relu.not_implemented == 98 and relu.attempted == 294
    diags = summary.diagnoses(_class())
    assert diags and all("not implemented" not in d.example for d in diags)


def test_the_first_paragraph_follows_the_language_with_plurals():
    """Is the page's opening paragraph translated (plural forms included), the status values left as they are?"""
    from grader import i18n

    stats = {"n": 2, "mean": 5.0, "median": 5.0, "min": 4.0, "max": 6.0}
    try:
        i18n.set_language("es")
        many = summary.intro(3, [("graded", 2), ("error", 1)], stats, 10.0, 1)
        one = summary.intro(1, [("graded", 1)], None, 10.0, 0)
    finally:
        i18n.set_language("en")
    assert many.startswith("3 entregas: 2 graded, 1 error. Puntos totales de las 2 calificadas: media 5")
    assert many.endswith(
        "1 fila con error (no calificada) queda fuera de los gráficos y las estadísticas; no cuenta como cero."
    )
    assert one == "1 entrega: 1 graded."
    english = summary.intro(3, [("graded", 2), ("error", 1)], stats, 10.0, 2)
    assert english.startswith("3 submissions: 2 graded, 1 error. Total points of the 2 graded")
    assert english.endswith("2 error rows (not graded) are left out of the plots and statistics, not counted as zeros.")
