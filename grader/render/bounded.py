"""A student's notebook rendered under a time and size budget, in a child process.

nbconvert's Markdown parser and the HTML cleaner are super-linear on some
inputs (a 57 KB notebook of ``"[" * 80000`` and ``"<div>" * 30000`` took about
100 s), and the notebook is the submission's. ``notebook_html`` therefore
refuses a notebook larger than ``MAX_NOTEBOOK_BYTES`` outright, and renders the
others in ``python -m grader.render.bounded`` (the same ``html.notebook_html``,
with its own address-space and CPU limits), killed after ``RENDER_SECONDS``.
Past either budget it raises ``TooLarge``, which the report shows as "too large
to render" in place of the notebook; the batch goes on.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys

from markupsafe import Markup

#: Seconds one notebook may take to render (nbconvert and the cleaner; a large real notebook takes 1-3 s).
RENDER_SECONDS = 30.0
#: The largest notebook (its JSON) that is rendered at all.
MAX_NOTEBOOK_BYTES = 20 << 20
#: The largest HTML accepted back.
MAX_HTML_BYTES = 64 << 20
#: Address space of the rendering process.
RENDER_ADDRESS_SPACE = 4 << 30


class TooLarge(Exception):
    """The notebook exceeds the rendering budget (the message says which, in one line)."""


def notebook_html(nb, *, seconds: float = RENDER_SECONDS) -> Markup:
    """``html.notebook_html(nb)``, computed in a child process within ``seconds``; ``TooLarge`` past the budget."""
    import nbformat

    data = nbformat.writes(nb).encode("utf-8")
    if len(data) > MAX_NOTEBOOK_BYTES:
        size, cap = len(data) / 2**20, MAX_NOTEBOOK_BYTES / 2**20
        raise TooLarge(f"{size:.1f} MiB of notebook, more than the {cap:.1f} MiB rendered")
    from ..session import grader_root

    env = dict(os.environ, PYTHONPATH=grader_root(), PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "grader.render.bounded", str(int(seconds) + 1)],
            input=data, capture_output=True, timeout=seconds, env=env,
        )
    except subprocess.TimeoutExpired:
        raise TooLarge(f"it took more than {seconds:g} s to render") from None
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise TooLarge(f"the renderer stopped: {last[:200]}")
    if len(done.stdout) > MAX_HTML_BYTES:
        raise TooLarge(f"{len(done.stdout) >> 20} MiB of HTML")
    return Markup(done.stdout.decode("utf-8"))


def notebook_section(nb, name: str, *, note: str = ""):
    """``html.notebook_section`` within the budget; past it, an empty section whose note says why."""
    from . import html

    try:
        body = notebook_html(nb, seconds=RENDER_SECONDS)
    except TooLarge as exc:
        why = f"too large to render ({exc})"
        return html.Section(title=name, body=Markup(""), note=f"{note}; {why}" if note else why)
    return html.notebook_section(nb, name, note=note, body=body)


def _main(argv: list[str]) -> int:
    cpu = int(argv[0]) if argv else int(RENDER_SECONDS) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (RENDER_ADDRESS_SPACE, RENDER_ADDRESS_SPACE))
    import nbformat

    from . import html

    nb = nbformat.reads(sys.stdin.buffer.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8"), as_version=4)
    sys.stdout.buffer.write(str(html.notebook_html(nb)).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
