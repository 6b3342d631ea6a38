"""Before checking: which folder is under test, is it the one the user is in, does its code parse.

* ``implementation_folder(name, root)``: the folder of the package ``check``
  tests (``root/<name>``, else where Python would import it from), or None:
  ``check --implementation nosuchpkg`` is refused in one line, and ``check``,
  ``collect`` and the notebooks' setup cell print the folder they test.
* ``mismatch(cwd)``: inside a project folder (one holding ``grader/``,
  ``student/`` and ``rubric.yaml``) whose grader is not the one running (an
  editable install of another clone), the one-line refusal to print.
* ``syntax_problems(root)``: ``FILE:LINE: syntax error`` for each student file
  that does not parse (``collect`` refuses it rather than zip it).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .i18n import _
from .paths import project_root


def implementation_folder(name: str, root: Path | None = None) -> Path | None:
    """The folder of package ``name`` as the checks import it (``root`` first), or None when there is none."""
    root = Path(root or project_root())
    local = root / name.replace(".", "/")
    if (local / "__init__.py").is_file() or local.is_dir():
        return local.resolve()
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    return Path(spec.origin).resolve().parent if spec.origin else None


def _project_of(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / "grader" / "__init__.py").is_file() and (d / "student").is_dir() and (d / "rubric.yaml").is_file():
            return d
    return None


def mismatch(cwd: Path | None = None) -> str | None:
    """One line when the user is inside another project folder than the running grader's; else None."""
    if os.environ.get("A2KIT_ROOT"):
        return None
    here = _project_of(Path(cwd or os.getcwd()).resolve())
    mine = project_root()
    if here is None or here == mine:
        return None
    return _(
        "you are in the project {here} but this grader belongs to {mine} (an install of another copy); "
        "run `python -m grader` from {here}, or set A2KIT_ROOT={here}"
    ).format(here=here, mine=mine)


def syntax_problems(root: Path, package: str = "student") -> list[str]:
    """``student/layers.py:12: syntax error: ...`` for each ``.py`` of ``root/package`` that does not parse."""
    root = Path(root)
    out = []
    for path in sorted((root / package).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        try:
            compile(path.read_bytes(), rel, "exec", dont_inherit=True)
        except SyntaxError as exc:
            out.append(
                _("{file}:{line}: syntax error: {error}; fix it, then run collect again").format(
                    file=rel, line=exc.lineno or 0, error=exc.msg
                )
            )
        except (OSError, ValueError) as exc:
            out.append(_("{file}: cannot be read ({error})").format(file=rel, error=exc))
    return out
