"""What the assignment notebooks import: ``from grader.notebook_api import ...``.

A notebook never names ``student`` or ``reference`` itself. It asks
``load("layers")`` for a module of the implementation under test, which is
``student`` unless ``A2KIT_IMPL`` says otherwise (the tests and
``grader.notebooks.execute`` run the notebooks against ``reference``), and it
shrinks its training runs when ``fast_mode()`` is true (``A2KIT_FAST=1``).
``show_checks("affine_forward", ...)`` and ``show_question("q1")`` run public
checks through the same machinery as ``python -m grader check`` and display
the table in the notebook.

Inline questions: the answer cells' helpers (``answer_metadata``, ``answer_id``,
``answer_is_empty``, ``ANSWER_PLACEHOLDER``) live in ``grader.answers`` and are
re-exported here; the environment variable names in ``grader.envnames``.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import TypeVar

from . import check, collect, preflight
from . import rubric as rubric_mod
from .answers import (
    ANSWER_KEY,
    ANSWER_PLACEHOLDER,
    ANSWER_PREFIX,
    METADATA_KEY,
    answer_id,
    answer_is_empty,
    answer_metadata,
)
from .envnames import DEFAULT_IMPLEMENTATION, FAST_ENV, IMPL_ENV
from .i18n import _
from .paths import project_root
from .render import html, terminal
from .results import CheckResult, QuestionResult

T = TypeVar("T")


def implementation() -> str:
    """The package the notebook exercises: ``$A2KIT_IMPL``, default ``student``."""
    return os.environ.get(IMPL_ENV, "").strip() or DEFAULT_IMPLEMENTATION


_ANNOUNCED: set[str] = set()


def load(module: str) -> ModuleType:
    """Import ``<implementation>.<module>``, e.g. ``load("classifiers.fc_net")``.

    The first call of a kernel says which folder is under test, and refuses in
    one line when the notebook sits in another project than the grader's (an
    editable install of another clone would test that clone's ``student/``).
    """
    impl = implementation()
    if impl not in _ANNOUNCED:
        wrong = preflight.mismatch()
        if wrong:
            raise RuntimeError(wrong)
        _ANNOUNCED.add(impl)
        print(_("testing {folder}").format(folder=preflight.implementation_folder(impl) or impl))
    return importlib.import_module(f"{impl}.{module}")


def fast_mode() -> bool:
    """True when ``$A2KIT_FAST`` is 1, true or yes: notebooks shrink their training runs."""
    return os.environ.get(FAST_ENV, "").strip().lower() in ("1", "true", "yes")


def by_mode(full: T, fast: T) -> T:
    """``fast`` in fast mode, else ``full``: ``num_epochs = by_mode(full=20, fast=1)``."""
    return fast if fast_mode() else full


# -- checks in the notebook -------------------------------------------------


def _in_kernel() -> bool:
    try:  # lazy: IPython is there only with a Jupyter kernel installed
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _display(results: list[QuestionResult]) -> None:
    text = terminal.render(results)
    if not _in_kernel():
        print(text)
        return
    from IPython.display import display  # lazy: reached only inside a kernel (see _in_kernel)

    display({"text/plain": text, "text/html": html.render_fragment(results)}, raw=True)


def _rubric(rubric: str | None):
    """The rubric a notebook names (a path relative to the project root), or None for the default one."""
    if rubric is None:
        return None
    return rubric_mod.load(project_root() / rubric)


def show_checks(*check_ids: str, rubric: str | None = None) -> list[CheckResult]:
    """Run the named public checks against ``implementation()``, display the table, return the results.

    Points come from ``rubric`` (a path relative to the project root, e.g.
    ``"rubrics/tp2.yaml"``), by default ``rubric.yaml``. Raises
    ``grader.check.SelectionError`` for an unknown id.
    """
    results = check.run_ids(list(check_ids), implementation=implementation(), rubric=_rubric(rubric))
    _display(results)
    return [c for q in results for c in q.checks]


def show_question(*question_ids: str, rubric: str | None = None) -> list[CheckResult]:
    """Run every public check of the named questions (``"q1"``), display the tables, return the results."""
    results = check.run(list(question_ids), implementation=implementation(), rubric=_rubric(rubric))
    _display(results)
    return [c for q in results for c in q.checks]


def collect_submission(*, skip_notebooks: bool = False) -> bool:
    """The body of ``collect_submission.ipynb``: ``python -m grader collect``, printed here.

    Reads the notebooks as last *saved*: save them first. Returns True when the
    zip and the report were written, False (after printing each problem) when
    the work was refused.
    """
    try:
        result = collect.collect(check_notebooks=not skip_notebooks)
    except collect.CollectRefused as exc:
        print(_("Nothing was written. Fix these problems, save the notebooks, and run this cell again:"))
        for line in exc.problems:
            print(f"  {line}")
        return False
    print("\n".join(collect.summary_lines(result)))
    return True


__all__ = [
    "collect_submission",
    "ANSWER_KEY",
    "ANSWER_PREFIX",
    "DEFAULT_IMPLEMENTATION",
    "FAST_ENV",
    "IMPL_ENV",
    "ANSWER_PLACEHOLDER",
    "METADATA_KEY",
    "answer_id",
    "answer_is_empty",
    "answer_metadata",
    "by_mode",
    "fast_mode",
    "implementation",
    "load",
    "show_checks",
    "show_question",
]
