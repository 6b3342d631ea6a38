"""The grading secret: where it comes from, and the file created on first use.

``seed`` (``grade --seed``), else the environment variable ``A2KIT_SECRET``,
else the file ``.a2kit-secret`` in the project root, created with a random
value (mode 0600) on first use. Keep it out of the handout; the same secret
gives the same hidden inputs, so regrades are reproducible.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..i18n import _
from ..paths import project_root

SECRET_ENV = "A2KIT_SECRET"
SECRET_FILE = ".a2kit-secret"


def resolve_secret(seed: str | None = None, root: Path | None = None) -> str:
    """``seed``, else $A2KIT_SECRET, else ``<root>/.a2kit-secret`` (created 0600 with a random value)."""
    if seed:
        return seed
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env
    path = Path(root or project_root()) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if not value:
            raise ValueError(_("{path}: empty secret file").format(path=path)) from None
        return value
    with os.fdopen(fd, "w") as f:
        value = secrets.token_hex(32)
        f.write(value + "\n")
    return value
