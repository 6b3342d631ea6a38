"""Does the kit speak Spanish as well as English, with the same scores, from standard gettext catalogues?"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from grader import i18n, i18n_tools
from grader.cliargs import build_parser
from grader.paths import project_root

ROOT = project_root()


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


def test_every_marked_message_is_translated_not_fuzzy_with_the_same_placeholders():
    """Is every message the extractor finds (code, templates, rubric titles) translated in every catalogue?"""
    assert i18n_tools.problems() == []
    assert len(list(i18n_tools.template())) > 50  # the extractor found the messages (the test can fail)


def test_the_checker_finds_an_untranslated_message(tmp_path, monkeypatch):
    """Would a new, untranslated message be reported? (a catalogue without one of its entries)"""
    from babel.messages.pofile import read_po, write_po

    po = i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "a2kit.po"
    fake = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, fake)
    with po.open("rb") as f:
        catalog = read_po(f, locale="es")
    catalog.delete("Scores")
    catalog["Problems"].string = "Problemas {extra}"  # a placeholder the English lacks
    catalog.get("passed", context="test status").string = ""  # an entry with a context is checked as itself
    with (fake / "es" / "LC_MESSAGES" / "a2kit.po").open("wb") as f:
        write_po(f, catalog)
    monkeypatch.setattr(i18n_tools, "LOCALE_DIR", fake)
    found = i18n_tools.problems()
    assert any("untranslated: 'Scores'" in p for p in found)
    assert any("placeholders differ in 'Problems'" in p for p in found)
    assert any("untranslated: 'test status|passed'" in p for p in found)


@pytest.mark.parametrize(
    "environ, lang",
    [
        ({}, "en"),
        ({"LANG": "es_AR.UTF-8"}, "es"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # a language without a catalogue: English
        ({"LC_ALL": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
        ({"LANGUAGE": "en:es", "LANG": "es_AR.UTF-8"}, "en"),
        ({"A2KIT_LANG": "en", "LANG": "es_AR.UTF-8"}, "en"),
        ({"A2KIT_LANG": "es"}, "es"),
    ],
)
def test_the_language_comes_from_a2kit_lang_then_the_locale_then_english(environ, lang):
    assert i18n.from_environment(environ) == lang


def test_an_unknown_language_is_refused_naming_the_choices():
    with pytest.raises(i18n.LanguageError, match="--lang fr: not one of en, es"):
        i18n.set_language("fr")


def test_every_verb_takes_lang():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "verb")
    for name, verb in sub.choices.items():
        assert any("--lang" in a.option_strings for a in verb._actions), name


def _check(*args, lang):
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", *args, "--lang", lang],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return proc.returncode, proc.stdout


def _buggy(tmp_path):
    """The reference with a ReLU that lets negative inputs through halved (a leaky ReLU by mistake)."""
    pkg = tmp_path / "buggy"
    shutil.copytree(ROOT / "reference", pkg, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    layers = pkg / "layers.py"
    text = layers.read_text()
    assert "out = np.maximum(x, 0)" in text
    layers.write_text(text.replace("out = np.maximum(x, 0)", "out = np.where(x > 0, x, 0.5 * x)"))
    return pkg


@pytest.mark.parametrize("who", ["student", "reference", "buggy"])
def test_check_scores_alike_in_english_and_spanish_and_speaks_spanish_in_es(tmp_path, who, monkeypatch):
    args = ["q1"]
    if who == "buggy":
        monkeypatch.setenv("PYTHONPATH", str(tmp_path))
        _buggy(tmp_path)
    args += ["--implementation", who]
    code_en, out_en = _check(*args, "--json", lang="en")
    code_es, out_es = _check(*args, "--json", lang="es")
    en, es = json.loads(out_en), json.loads(out_es)
    assert code_en == code_es
    assert [(c["id"], c["status"], c["points"]) for q in en["questions"] for c in q["checks"]] == [
        (c["id"], c["status"], c["points"]) for q in es["questions"] for c in q["checks"]
    ]  # the JSON's statuses and ids are machine values, the same in every language
    titles = {c["id"]: (c["title"], t["title"]) for q, r in zip(en["questions"], es["questions"], strict=True)
              for c, t in zip(q["checks"], r["checks"], strict=True)}
    assert titles["affine_forward"] == ("affine_forward output", "affine_forward: salida")  # the check titles too
    _, table = _check(*args, lang="es")
    assert "Redes neuronales totalmente conectadas" in table and "puntos" in table
    if who == "student":
        assert "no implementado" in table
    elif who == "reference":
        assert "aprobada" in table and "FALLA" not in table
    else:
        assert "FALLA" in table and "relu_forward" in table and 0 < en["total"] < 30  # graded: not an import error


def test_a_later_questions_failure_names_the_earlier_bug_in_spanish(tmp_path, monkeypatch):
    """check's hint (no reference to stand in for the bug, as grade's isolation does) follows --lang."""
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pkg = tmp_path / "buggy"
    shutil.copytree(ROOT / "reference", pkg, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    layers = pkg / "layers.py"
    text = layers.read_text()
    assert "db = dout.sum(axis=0)" in text
    layers.write_text(text.replace("db = dout.sum(axis=0)", "db = dout.mean(axis=0)", 1))
    _, table = _check("q3", "q1", "--implementation", "buggy", lang="es")  # q3 asked first: rubric order counts
    assert "probablemente: db es la media" in table  # the diagnosis's frame is translated
    assert "puede fallar por tu affine_backward" in table  # first on its line (the table cuts long lines)
    _, english = _check("q1", "q3", "--implementation", "buggy", lang="en")
    assert "likely: db is the mean" in english
    assert "it may fail because of your affine_backward" in english


def test_the_report_is_in_spanish_with_html_lang_and_data_still_escaped():
    from grader.render import html
    from grader.results import CheckResult, QuestionResult, Status

    check = CheckResult("affine_forward", "q1", "t", Status.FAIL, 0.0, 1.0, 0.1, 1e-9, "<b>wrong</b>")
    q = QuestionResult("q1", "Fully-connected networks <script>x</script>", 1.0, False, (check,))
    i18n.set_language("es")
    page = html.render_report([q], title="t", facts=[], problems=[], sections=[])
    assert '<html lang="es">' in page and "Puntajes" in page and "FALLA" in page and "verificación" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page and "<b>wrong" not in page
    i18n.set_language("en")
    page = html.render_report([q], title="t", facts=[], problems=[], sections=[])
    assert '<html lang="en">' in page and "Scores" in page and "Puntajes" not in page


def test_grade_follows_the_rubrics_language_and_lang_overrides_it(tmp_path, monkeypatch):
    """Is grade's report in the course's language (rubric ``language: es``), unless --lang says otherwise,
    with gradebook.csv's columns and statuses the same machine values?"""
    from grader import cli
    from tests.grader.subjects import our_layout

    monkeypatch.delenv("A2KIT_LANG", raising=False)
    rub = tmp_path / "es.yaml"
    rub.write_text(
        "version: 1\nassignment: t\nlanguage: es\nquestions:\n  q1:\n    title: Fully-connected networks\n"
        "    points: 1\n    checks:\n      - {id: affine_forward, points: 1}\n"
    )
    sub = our_layout(tmp_path / "alice", ROOT / "reference")
    for lang, out, want in ((None, "o-es", "Puntajes"), ("en", "o-en", "Scores")):
        argv = ["grade", str(sub), "--out", str(tmp_path / out), "--seed", "s", "--rubric", str(rub)]
        assert cli.main(argv + (["--lang", lang] if lang else [])) == 0
        report = (tmp_path / out / "alice" / "report.html").read_text(encoding="utf-8")
        assert want in report
        assert ("Redes neuronales totalmente conectadas" in report) == (lang is None)
        gradebook = (tmp_path / out / "gradebook.csv").read_text().splitlines()
        assert gradebook[0].startswith("submission,status,q1,total,max_total,message")
        assert gradebook[1].startswith("alice,graded,1,")
    bad = tmp_path / "bad.yaml"
    bad.write_text(rub.read_text().replace("language: es", "language: xx"))
    from grader import rubric as rubric_mod

    with pytest.raises(rubric_mod.RubricError, match=r"bad.yaml:3: language: 'xx' is not one of en, es"):
        rubric_mod.load(bad, require_all_checks=False)


def test_the_summary_page_has_its_headings_in_spanish_and_its_data_escaped(tmp_path):
    from grader.render import summary

    entry = summary.Entry(
        submission="<b>x</b>",
        status="graded",
        total=1.0,
        max_total=2.0,
        message="",
        seconds=1.0,
        questions=(("q1", 1.0, 2.0, False),),
        tests=(("affine_forward", True, ""),),
    )
    i18n.set_language("es")
    page = summary.render([entry])
    assert '<html lang="es">' in page and "Distribución de puntajes" in page and "Entregas más lentas" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_worker_s_copy_of_the_grader_imports_every_check_and_speaks_english_without_babel():
    """The sandbox sees only zones.WORKER_FILES: every check module imports there (compare.py's messages need
    i18n.py), and with a Spanish locale and no Babel it answers in English (no catalogue in the copy)."""
    import subprocess
    import sys

    from grader import sandbox_view
    from grader.paths import project_root

    copy = sandbox_view._grader_copy(project_root() / "grader")
    code = (
        "import sys; sys.modules['babel'] = None\n"
        "import numpy as np\n"
        "from grader.checks import registry\n"
        "from grader.compare import validate\n"
        "assert len(registry.all_checks()) > 100\n"
        "print(validate('dx', [1.0], np.zeros(1)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy), "LANG": "es_AR.UTF-8"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=copy, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "dx: expected a numpy array, got list"


def test_the_diagnoses_are_in_the_current_language():
    """A catalogued wrong answer's message (stored in English in the fixtures: the msgid) and a generic hint
    are translated when shown, and stay the English text in English."""
    import numpy as np

    from grader import fixtures
    from grader.checks import registry
    from grader.checks.base import Impl
    from grader.diagnose import diagnose

    check = registry.get("relu_backward")
    case = fixtures.case_for(check, "public")
    fx = fixtures.compute(check, case, Impl("reference"))
    got = {**fx.expected, **fx.wrong["relu_backward_no_dout"]}  # what the bug returns

    def hints():
        wrong = diagnose(got, fx.expected, fx.wrong, fx.messages, check.tolerance, dict(case.arrays))
        expected = {"out": np.array([[1.0, -2.0], [3.0, 4.0]])}
        sign = diagnose({"out": -expected["out"]}, expected, {}, {}, 1e-6, {})
        factor = diagnose({"out": 2 * expected["out"]}, expected, {}, {}, 1e-6, {})
        return wrong, sign, factor

    try:
        i18n.set_language("es")
        assert hints() == (
            "dx es solo la máscara (x > 0): multiplicala por el gradiente que llega de la capa siguiente, dout",
            "out tiene el signo cambiado",
            "out difiere en un factor 2: falta o sobra un 0.5 / factor 2",
        )
    finally:
        i18n.set_language("en")
    assert fx.messages["relu_backward_no_dout"] == (
        "dx is only the mask (x > 0): multiply it by the upstream gradient dout"
    )
    assert hints() == (
        "dx is only the mask (x > 0): multiply it by the upstream gradient dout",
        "out has the wrong sign",
        "out is off by a factor 2: a missing or extra 0.5 / factor 2",
    )


def test_a_bad_rubric_is_refused_in_one_line_in_the_chosen_language(tmp_path):
    """check --rubric with an unknown check id: exit 2 and one error line naming the file, the line and the key,
    in Spanish with --lang es and in English with --lang en."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nassignment: t\nquestions:\n  q1:\n    title: Fully-connected networks\n"
        "    points: 1\n    checks:\n      - {id: no_such_check, points: 1}\n"
    )

    def refused(lang):
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "check", "--rubric", str(bad), "--lang", lang],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        return proc.returncode, proc.stderr.splitlines()

    where = f"error: {bad}:8: questions.q1.checks[0].id: "
    assert refused("es") == (2, [where + "id de verificación desconocido 'no_such_check'"])
    assert refused("en") == (2, [where + "unknown check id 'no_such_check'"])
