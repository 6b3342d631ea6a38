"""The ``golden`` fixture: compare a rendering with its committed file under ``golden/``.

Update switch: ``python -m pytest tests/grader/render --update-golden`` (or ``A2KIT_UPDATE_GOLDEN=1``)
rewrites the files from the current renderers; ``git diff tests/grader/render/golden`` then shows the change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def golden(request):
    """``golden(name, text)``: assert ``text`` equals golden/<name> (or rewrite it under the update switch)."""
    update = request.config.getoption("--update-golden") or os.environ.get("A2KIT_UPDATE_GOLDEN") == "1"

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            return
        assert path.exists(), f"no golden file {path}: run pytest with --update-golden to create it"
        expected = path.read_bytes().decode("utf-8")
        assert text == expected, (
            f"{name} differs from its golden file; if the change is intended, rerun with --update-golden "
            f"and commit the diff of {path}"
        )

    return check
