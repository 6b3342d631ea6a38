"""A bug costs points once, where it is (issue 13, item 2; rubric ``isolate``, default true).

The model checks of later questions run on the student's own layers: a wrong
``affine_forward`` used to cost its Q1 points and also points in Q2, Q3 and Q4.
Under ``grade``, after scoring, each failed check of a question whose earlier
questions hold a failed *unit* (a function of ``SUPPLIABLE``, judged by its own
check) is run again in a copy of the tree where those functions are the
reference's (appended to the student's module, so that every ``from .layers
import *`` binds them); if it then passes, it takes the points with the note
"graded with a working affine_forward in place of yours, so that bug is counted
once, in q1". If it still fails, the first result stands, message and all.

Nothing of the second run reaches the student verbatim: a passing rerun's
message is written here, a failing one is discarded. The supplied code comes
from ``reference/`` at grading time (withheld from the release): the functions
and the validation helpers they call (renamed ``_a2kit_*``), without docstrings
or annotations.

Not isolated: dependencies inside one question (``fc_net_loss`` on
``affine_forward``: both Q1), a model class used by a later question
(``FullyConnectedNet`` of Q1 in Q2's batchnorm net: supplying it would grade
the reference's network), dropout (its ``p`` changed meaning between editions),
and ``check`` on the student's machine (the handout has no reference).
"""
from __future__ import annotations

import ast
import functools
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from .i18n import N_, _

#: check id -> (module, function) of the units whose reference can stand in for the student's.
SUPPLIABLE: dict[str, tuple[str, str]] = {
    "affine_forward": ("layers", "affine_forward"),
    "affine_backward": ("layers", "affine_backward"),
    "relu_forward": ("layers", "relu_forward"),
    "relu_backward": ("layers", "relu_backward"),
    "softmax_loss": ("layers", "softmax_loss"),
    "softmax_loss_stability": ("layers", "softmax_loss"),
    "svm_loss": ("layers", "svm_loss"),
    "batchnorm_forward_train": ("layers", "batchnorm_forward"),
    "batchnorm_forward_normalizes": ("layers", "batchnorm_forward"),
    "batchnorm_forward_test": ("layers", "batchnorm_forward"),
    "batchnorm_running_stats": ("layers", "batchnorm_forward"),
    "batchnorm_backward": ("layers", "batchnorm_backward"),
    "batchnorm_backward_alt": ("layers", "batchnorm_backward_alt"),
    "layernorm_forward": ("layers", "layernorm_forward"),
    "layernorm_backward": ("layers", "layernorm_backward"),
    "sgd_momentum": ("optim", "sgd_momentum"),
    "rmsprop": ("optim", "rmsprop"),
    "adam": ("optim", "adam"),
}
#: How the message of a check that passed with supplied functions starts (shown even where outputs are redacted:
#: it names functions and questions, no value).
NOTE_START = N_("passed when graded with a working")
MARK = "# --- supplied by the grader (rubric isolate: true): working functions in place of the submission's ---"


PREFIX = "_a2kit_"


class _Rename(ast.NodeTransformer):
    def __init__(self, names: set[str]):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = PREFIX + node.id
        return node


def _plain(node: ast.FunctionDef) -> ast.FunctionDef:
    """The function without docstring, annotations or decorators (names they need may be absent)."""
    node.body = [s for s in node.body if not _is_docstring(s)] or [ast.Pass()]
    node.returns = None
    for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]:
        if arg is not None:
            arg.annotation = None
    node.decorator_list = []
    return node


def _free_names(node: ast.FunctionDef) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@functools.cache
def _module_functions(path: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def stand_alone(reference: Path, module: str, functions: Sequence[str]) -> str:
    """Source defining ``functions`` of ``reference/<module>.py``, with the validation helpers they use.

    The helpers (``reference/validation.py``) and ``numbers.Real`` are renamed ``_a2kit_*`` so that they
    cannot collide with the student's names; the functions keep theirs (they replace the student's).
    """
    import copy

    own = _module_functions(str(Path(reference) / f"{module}.py"))
    helpers = _module_functions(str(Path(reference) / "validation.py"))
    renamed = set(helpers) | {"Real"}
    needed, todo = [], [f for f in functions if f in own]
    chosen = [copy.deepcopy(own[f]) for f in todo]
    frontier = set().union(*(_free_names(f) for f in chosen)) if chosen else set()
    while frontier:
        name = frontier.pop()
        if name in helpers and name not in needed:
            needed.append(name)
            frontier |= _free_names(helpers[name])
    parts = ["from numbers import Real as _a2kit_Real", "import numpy as np"]
    for node in [copy.deepcopy(helpers[h]) for h in sorted(needed)] + chosen:
        node = _plain(_Rename(renamed).visit(node))
        if node.name in helpers:
            node.name = PREFIX + node.name
        parts.append(ast.unparse(ast.fix_missing_locations(node)))
    return "\n\n".join(parts) + "\n"


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def failed_units(results: Sequence) -> dict[tuple[str, str], str]:
    """(module, function) -> the question whose unit check of it failed (the first such question)."""
    out: dict[tuple[str, str], str] = {}
    for q in results:
        for c in q.checks:
            unit = SUPPLIABLE.get(c.check_id)
            if unit and c.max_points > 0 and not c.passed:
                out.setdefault(unit, q.question)
    return out


def plan(
    results: Sequence, naive: Iterable[str] = (), order: Sequence[str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """question id -> the failed units of the questions before it, for the questions with a check to rerun.

    A check is rerun when it failed, is not itself a unit, and is not a naive-layer check. ``order``:
    the rubric's question ids (default: the order of ``results``), which says what "before" means.
    """
    units = failed_units(results)
    naive = set(naive)
    order = list(order) if order is not None else [q.question for q in results]
    order += [q.question for q in results if q.question not in order]
    out: dict[str, list[tuple[str, str]]] = {}
    for q in results:
        earlier = set(order[: order.index(q.question)])
        supplied = sorted(u for u, where in units.items() if where in earlier)
        if supplied and rerun_ids(q, naive):
            out[q.question] = supplied
    return out


def rerun_ids(question, naive: Iterable[str] = ()) -> list[str]:
    naive = set(naive)
    return [
        c.check_id for c in question.checks
        if not c.passed and c.max_points > 0 and c.check_id not in SUPPLIABLE and c.check_id not in naive
    ]


def supplied_tree(tree: Path, package: str, units: Sequence[tuple[str, str]], reference: Path, dest: Path) -> Path:
    """A copy of ``tree`` whose ``package`` modules end with the reference's ``units``; returns the copy."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(tree, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "datasets"))
    by_module: dict[str, list[str]] = {}
    for module, function in units:
        by_module.setdefault(module, []).append(function)
    for module, functions in by_module.items():
        target = dest / package / f"{module}.py"
        if target.is_symlink() or not target.is_file():
            continue  # nothing to complete (a submission without the module fails as it did)
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"\n\n{MARK}\n{stand_alone(Path(reference), module, functions)}")
    return dest


def _named(units: Sequence[tuple[str, str]], where: dict[tuple[str, str], str]) -> tuple[str, str]:
    """The units' function names and the questions whose checks of them failed, each as one phrase."""
    return ", ".join(f for _m, f in units), ", ".join(sorted({where[u] for u in units}))


def note(units: Sequence[tuple[str, str]], where: dict[tuple[str, str], str]) -> str:
    """The message of a check that passed once the units were supplied (it starts with ``note_start()``)."""
    names, questions = _named(units, where)
    rest = _("{names} in place of yours, so that bug is counted once, in {questions}")
    return f"{note_start()} {rest.format(names=names, questions=questions)}"


def note_start() -> str:
    """``NOTE_START`` in the current language: how an isolation note begins (Gradescope's redaction keeps it)."""
    return _(NOTE_START)


def hint(units: Sequence[tuple[str, str]], where: dict[tuple[str, str], str]) -> str:
    """What ``check`` puts first in a failed check that may fail because of an earlier question's failed units."""
    names, questions = _named(units, where)
    return _(
        "it may fail because of your {names}, which failed its own check in {questions}: fix that first "
        "(grade counts such a bug once, in its own question)"
    ).format(names=names, questions=questions)


def with_hints(results: Sequence, naive: Iterable[str] = (), order: Sequence[str] | None = None) -> list:
    """``results`` whose failed checks that depend on an earlier question's failed units say so (``check``).

    ``order``: the rubric's question ids, so that ``check q3 q1`` points q3's failures at q1's bug too.
    """
    import dataclasses

    todo, where = plan(results, naive, order), failed_units(results)
    out = []
    for q in results:
        units = todo.get(q.question)
        if units:
            ids = set(rerun_ids(q, naive))
            extra = hint(units, where)
            q = dataclasses.replace(q, checks=tuple(
                dataclasses.replace(c, message=f"{extra}; {c.message}" if c.message else extra) if c.check_id in ids
                else c for c in q.checks))
        out.append(q)
    return out
