"""Where the project's trees live.

The grader runs from a source checkout or an editable install, where
``reference/``, ``student/``, ``notebooks/`` and ``rubric.yaml`` sit beside the
``grader`` package. ``A2KIT_ROOT`` overrides the location (used by tests and by
the released handout).
"""
from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("A2KIT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent
