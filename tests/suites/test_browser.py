"""Do summary.html and report.html render in a real browser (headless Chromium) without console errors?"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader import grading, i18n
from grader import rubric as rubric_mod
from grader.paths import project_root

ROOT = project_root()
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
]
#: The bars of the score plot (#0969da).
BAR_RGB = (9, 105, 218)


def chromium(tmp: Path, page: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_lines(stderr: str) -> list[str]:
    """What the page logged to its console (Chromium writes these as ``...:CONSOLE...`` lines)."""
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    for name, package in (("perfect", ROOT / "reference"), ("stubs", ROOT / "student")):
        shutil.copytree(package, base / "subs" / name / "student", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    rubric = base / "tiny.yaml"
    rubric.write_text(
        "version: 1\nassignment: tiny\nquestions:\n  q1:\n    title: t\n    points: 2\n    checks:\n"
        "      - {id: affine_forward, points: 1}\n      - {id: relu_forward, points: 1}\n"
    )
    rub = rubric_mod.load(rubric, require_all_checks=False)
    out = base / "out"
    rows = grading.grade([base / "subs"], out, rubric=rub, seed="browser-secret", workers=2)
    assert [r.total for r in rows] == [2, 0]
    return base, out


def test_the_console_detector_sees_errors(tmp_path):
    """Control: a page that logs an error and raises one is caught, so silence below means something."""
    page = tmp_path / "probe.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script>console.error("a2kit-probe"); undefinedCall();</script></body></html>'
    )
    done = chromium(tmp_path, page, "--dump-dom")
    lines = console_lines(done.stderr)
    assert any("a2kit-probe" in ln for ln in lines) and any("undefinedCall" in ln for ln in lines), done.stderr[-2000:]


@pytest.mark.parametrize("name", ["summary.html", "perfect/report.html"])
def test_page_renders_its_plot_and_tables_without_console_errors(pages, tmp_path, name):
    _, out = pages
    done = chromium(tmp_path, out / name, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'id="check-table"' in dom
    if name == "summary.html":
        assert '<svg id="score-plot"' in dom and dom.count('class="bar"') == 10
        assert "stubs" in dom and "perfect" in dom
        assert '<svg id="plot-q1"' in dom and 'id="heat-map"' in dom and 'href="stubs/report.html"' in dom
    else:
        assert 'id="score-table"' in dom and "affine_forward" in dom
    assert console_lines(done.stderr) == []


def test_screenshot_of_the_summary_shows_the_plot(pages, tmp_path):
    from matplotlib import image

    _, out = pages
    shot = tmp_path / "summary.png"
    done = chromium(
        tmp_path, out / "summary.html", f"--screenshot={shot}", "--window-size=1200,900", "--hide-scrollbars"
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(str(shot))
    assert pixels.shape[:2] == (900, 1200)
    rgb = (pixels[..., :3] * 255).round().astype(int)
    assert rgb.std() > 5  # not blank
    bar = (abs(rgb - BAR_RGB).sum(axis=-1) <= 6).sum()
    assert bar > 500, f"only {bar} pixels of the bars' colour: the plot did not render"
    assert console_lines(done.stderr) == []


def test_the_summary_of_a_class_of_hundreds_renders(tmp_path):
    """A synthetic class of 300 (extra credit, error rows, stubs): every part in the DOM, no console error."""
    from grader.render import summary
    from tests.grader.render.test_summary import _class

    page = tmp_path / "summary.html"
    page.write_text(summary.render(_class()))
    done = chromium(tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count('class="bar extra"') == 1 and '<svg id="plot-q5"' in dom
    assert dom.count('class="num heat"') == 300 * 2
    assert console_lines(done.stderr) == []


#: A question title with the accented letters a Spanish course writes.
TITLE_ES = "Redes neuronales: regularización, normalización y señales (ñ, ü, ¿?)"


@pytest.fixture(scope="module")
def pages_es(pages):
    """The same two submissions graded again with a Spanish course rubric (``language: es``)."""
    base, _ = pages
    rubric = base / "tiny-es.yaml"
    rubric.write_text(
        "version: 1\nassignment: mini\nlanguage: es\nquestions:\n  q1:\n"
        f"    title: \"{TITLE_ES}\"\n    points: 2\n    checks:\n"
        "      - {id: affine_forward, points: 1}\n      - {id: relu_forward, points: 1}\n",
        encoding="utf-8",
    )
    rub = rubric_mod.load(rubric, require_all_checks=False)
    out = base / "out-es"
    i18n.set_language(rub.language)  # as the CLI does for a rubric's language
    try:
        rows = grading.grade([base / "subs"], out, rubric=rub, seed="browser-secret", workers=2)
    finally:
        i18n.set_language("en")
    assert [r.total for r in rows] == [2, 0]
    return out


@pytest.mark.parametrize("name", ["summary.html", "stubs/report.html"])
def test_the_spanish_pages_render_their_accents_without_mojibake(pages_es, tmp_path, name):
    """Does the browser read the Spanish page as UTF-8: the accented title and words intact, lang="es"?"""
    done = chromium(tmp_path, pages_es / name, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert '<html lang="es">' in dom
    assert not any(bad in dom for bad in ("Ã", "Â", "\ufffd")), "mojibake in the rendered page"
    if name == "summary.html":
        assert "2 entregas:" in dom and "Puntos totales de las" in dom
    else:
        assert TITLE_ES in dom and "rúbrica" in dom and "aislamiento" in dom
    assert console_lines(done.stderr) == []


def test_screenshot_of_the_spanish_report_is_drawn(pages_es, tmp_path):
    from matplotlib import image

    shot = tmp_path / "report-es.png"
    done = chromium(
        tmp_path, pages_es / "stubs" / "report.html", f"--screenshot={shot}", "--window-size=1200,900",
        "--hide-scrollbars",
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    rgb = (image.imread(str(shot))[..., :3] * 255).round().astype(int)
    assert rgb.std() > 5  # not blank
    assert console_lines(done.stderr) == []
