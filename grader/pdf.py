"""The executed notebooks as one PDF (``collect --pdf``): cs231n's ``a2_inline_submission.pdf``.

The notebooks are rendered exactly as in the HTML report (``render.html.notebook_section``:
sanitized, no scripts, no active content, inline answers shown as markdown) into
one self-contained page, which Chromium prints to PDF in headless mode
(``--print-to-pdf``; the engine nbconvert's ``webpdf`` drives through
playwright, used here directly so that the system's Chromium works offline and
nothing is downloaded). The page holds no script (the sanitizer removes them)
and needs no network (it is self-contained). The browser is ``$A2KIT_CHROMIUM``, else ``chromium``,
``chromium-browser``, ``google-chrome`` on PATH. Without one, ``write`` returns a
one-line reason and writes nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .atomic import atomic_write
from .render import html

PDF_NAME = "a2_inline_submission.pdf"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT = 180  # seconds for the browser to print


class PdfUnavailable(RuntimeError):
    """No converter, or it failed: the message is one line."""


def browser() -> str | None:
    env = os.environ.get("A2KIT_CHROMIUM", "").strip()
    if env:
        return env if os.access(env, os.X_OK) else None
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def notebooks_page(sections: Sequence, *, title: str) -> str:
    """The page that is printed: only the notebooks (already-sanitized ``html.Section``s)."""
    return html.render_report([], title=title, subtitle="The executed notebooks, as submitted.", sections=sections)


def write(page: str, target: Path) -> Path:
    """Print ``page`` (HTML) to ``target`` atomically; ``PdfUnavailable`` with the reason otherwise."""
    exe = browser()
    if exe is None:
        raise PdfUnavailable("no PDF converter: install Chromium (apt-get install chromium) or set A2KIT_CHROMIUM")
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="a2kit-pdf-") as tmp:
        src = Path(tmp) / "notebooks.html"
        src.write_text(page, encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        argv = [exe, "--headless", "--disable-gpu", "--disable-extensions", "--disable-background-networking",
                "--no-first-run", "--no-default-browser-check",
                f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}"]
        if os.geteuid() == 0:
            argv.append("--no-sandbox")  # Chromium refuses to run as root with its own sandbox
        try:
            subprocess.run(argv + [src.as_uri()], capture_output=True, timeout=TIMEOUT, check=False,
                           stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"{exe} could not print the PDF ({exc.__class__.__name__})") from None
        if not out.is_file() or out.read_bytes()[:5] != b"%PDF-":
            raise PdfUnavailable(f"{exe} wrote no PDF")
        atomic_write(target, lambda tmp_target: shutil.copyfile(out, tmp_target))
    return target
