"""The TP2 notebooks: the lab's exercises 1-8, Spanish first, one answer cell per written question."""

from __future__ import annotations

import nbformat
import pytest

from grader import notebooks
from grader.notebook_api import answer_id
from grader.paths import project_root

TP2 = project_root() / "notebooks" / "tp2"
#: The lab's written questions, by notebook: every exercise has at least one.
ANSWERS = {
    "ComputationalGraphs.ipynb": ["tp2-ej1", "tp2-ej2"],
    "TwoLayerCIFAR.ipynb": ["tp2-ej3", "tp2-ej4", "tp2-ej5-metrica", "tp2-ej5-lineal", "tp2-ej8"],
    "XOR.ipynb": ["tp2-ej6", "tp2-ej7-nprima", "tp2-ej7-tamanos"],
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_every_written_question_has_an_answer_cell_that_collect_counts(name):
    nb = nbformat.read(TP2 / name, as_version=4)
    assert [answer_id(c) for c in nb.cells if answer_id(c)] == ANSWERS[name]
    unanswered = [p for p in notebooks.problems(nb, name) if "has no answer" in p]
    assert unanswered == [
        f"{name}: inline question {q} has no answer (replace '*fill this in*' with your answer)" for q in ANSWERS[name]
    ]


def test_every_exercise_of_the_lab_has_its_heading_in_spanish_and_english():
    text = "".join(
        "".join(c.source)
        for name in ANSWERS
        for c in nbformat.read(TP2 / name, as_version=4).cells
        if c.cell_type == "markdown"
    )
    for n in range(1, 9):
        assert f"## Ejercicio {n}" in text, n
        assert f"Exercise {n}" in text, n
    assert "-1 si ambas son diferentes y 1 si ambas son" in text  # the lab's XOR, in its words


@pytest.fixture
def synthetic_data(monkeypatch, tmp_path) -> dict[str, str]:
    """Kernel variables that make data_utils use the synthetic set even where CIFAR-10 was downloaded."""
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


#: A word of the check tables the notebooks print (show_question), in each language.
PASSED = {"en": "pass ", "es": "aprobada"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", sorted(PASSED))
@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_tp2_notebook_runs_against_the_reference_in_fast_mode(name, lang, synthetic_data):
    """Each TP2 notebook, headless, fast mode, against the reference, with the kit speaking English or Spanish
    (A2KIT_LANG in the kernel): it runs to the end and its check tables are in that language."""
    env = {**synthetic_data, "A2KIT_LANG": lang}
    nb = notebooks.execute(TP2 / name, implementation="reference", fast=True, timeout=300, env=env)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    out = "".join(o.get("text", "") for o in outputs)
    tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert ("verificando " if lang == "es" else "testing ") in out
    assert PASSED[lang] in tables and PASSED["es" if lang == "en" else "en"] not in tables, tables[-2000:]
    assert "FAIL" not in tables and "ERROR" not in tables, tables[-2000:]
    if name == "ComputationalGraphs.ipynb":  # the lab's numbers to three decimals, tanh's consistent with the text
        assert "sigmoid: f = 0.666  df/db = 0.222" in out and "df/dx = [ 0.932 -0.225]" in out, out
        assert "L = 0.441" in out, out
