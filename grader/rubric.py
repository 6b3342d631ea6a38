"""rubric.yaml: points, tolerances and timeouts per question and per check.

Format (version 1)::

    version: 1
    assignment: "Assignment 2"
    questions:
      q1:
        title: Fully-connected networks
        notebook: FullyConnectedNets.ipynb   # optional
        points: 30                           # must equal the sum of its checks' points
        extra_credit: false                  # optional, default false
        checks:
          - id: affine_forward               # an id of grader.checks.registry
            points: 2
            tolerance: 1.0e-9                # optional: the check's default otherwise
            timeout: 10                      # optional, seconds
            visibility: after_due_date       # optional: Gradescope's visible, hidden, after_due_date,
                                             # after_published; default: the question's, else the
                                             # top-level ``visibility:``, else after_due_date
            hidden_cases: 1                  # optional: hidden draws under grade (the rubric's otherwise)
    edition: "2017"                          # optional, cs231n layout: grade as this edition (else detected)
    numpy_compat: true                       # optional: restore np.int, np.float... (else as the edition says)
    late:                                    # optional: the late policy, see grader/late.py
      deadline: "2026-03-20 23:59"
      timezone: America/Argentina/Buenos_Aires

Top-level optional key ``hidden_cases`` (default 3): the hidden draws of
every check under ``grade``, on top of its public case (a check passes only
if it passes on all of them); a check may override it.

The validator rejects unknown keys, unknown check ids, checks listed twice,
negative points, non-positive or non-numeric tolerances and timeouts, and a
question whose points differ from the sum of its checks, with an error that
names the file, the line and the key. A question grades the checks it lists
(a course may drop a part, a quiz may take five checks). With ``all_checks:
true`` at the top (the assignment rubrics: their tests rely on it), or
``load(..., require_all_checks=True)``, every registered check of the
rubric's questions must be listed. Numbers may be written ``1e-9`` (YAML 1.1,
which PyYAML reads, would make that a string).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from .i18n import _

SUPPORTED_VERSIONS = (1,)
TOP_KEYS = {
    "version": True,
    "assignment": True,
    "questions": True,
    "description": False,
    "track": False,
    "all_checks": False,
    "visibility": False,
    "late": False,
    "edition": False,
    "numpy_compat": False,
    "strict_shapes": False,
    "isolate": False,
    "hidden_cases": False,
    "language": False,
}
QUESTION_KEYS = {
    "title": True,
    "points": True,
    "checks": True,
    "notebook": False,
    "extra_credit": False,
    "description": False,
    "visibility": False,
}
CHECK_KEYS = {
    "id": True,
    "points": True,
    "tolerance": False,
    "timeout": False,
    "visibility": False,
    "hidden_cases": False,
}
#: Gradescope's visibility values (results.json ``visibility``).
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
#: ``grade`` runs every check on hidden inputs: by default a student sees those results after the due date.
DEFAULT_VISIBILITY = "after_due_date"


#: ``1e-9``, ``-2.5E+3``: what YAML 1.1 leaves a string (it wants ``1.0e-9``).
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")
#: Hidden draws per check under ``grade`` when the rubric does not say.
DEFAULT_HIDDEN_CASES = 3
#: The most hidden draws a check may ask for.
MAX_HIDDEN_CASES = 50


class RubricError(ValueError):
    """A rubric problem; the message names the file, the line and the key."""


@dataclasses.dataclass(frozen=True)
class CheckSpec:
    id: str
    points: float
    tolerance: float | None
    timeout: float | None
    visibility: str = DEFAULT_VISIBILITY
    hidden_cases: int | None = None  # None: the rubric's


@dataclasses.dataclass(frozen=True)
class QuestionSpec:
    id: str
    title: str
    points: float
    extra_credit: bool
    notebook: str | None
    checks: tuple[CheckSpec, ...]


@dataclasses.dataclass(frozen=True)
class Rubric:
    path: str
    version: int
    assignment: str
    questions: tuple[QuestionSpec, ...]
    late: object = None  #: a ``grader.late.LatePolicy`` when the rubric has a ``late:`` block
    #: cs231n layout: the edition to grade as (a ``grader.editions`` name); None: detected from the code
    edition: str | None = None
    #: restore NumPy's removed aliases (np.int...) in the sandbox; None: as the edition says
    numpy_compat: bool | None = None
    #: a shape that differs only by singleton dimensions fails (default: full points with a warning)
    strict_shapes: bool = False
    hidden_cases: int = DEFAULT_HIDDEN_CASES
    #: the course's language for grade's reports (``grader.i18n``); None: --lang, $A2KIT_LANG, the locale
    language: str | None = None
    #: a bug costs points once, in its own question (``grader.isolation``); false: the strict behaviour
    isolate: bool = True

    def draws(self, spec: CheckSpec) -> int:
        """The hidden draws of one check under ``grade``."""
        return spec.hidden_cases if spec.hidden_cases is not None else self.hidden_cases

    def question(self, qid: str) -> QuestionSpec:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def max_total(self) -> float:
        """The total without extra credit."""
        return sum(q.points for q in self.questions if not q.extra_credit)


def default_rubric_path() -> Path:
    from .paths import project_root

    return project_root() / "rubric.yaml"


class _Validator:
    def __init__(self, path: str):
        self.path = path

    def fail(self, node: yaml.Node | None, message: str) -> RubricError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return RubricError(f"{self.path}{line}: {message}")

    def mapping(self, node: yaml.Node, where: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, _("{where} must be a mapping").format(where=where))
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.fail(key, _("{where}: keys must be plain names").format(where=where))
            if key.value in out:
                raise self.fail(key, _("{where}: key '{key}' appears twice").format(where=where, key=key.value))
            out[key.value] = (key, value)
        return out

    def keys(self, node: yaml.Node, items: dict, allowed: dict[str, bool], where: str) -> None:
        for name, (key, _value) in items.items():
            if name not in allowed:
                raise self.fail(
                    key,
                    _("{where}: unknown key '{name}' (allowed: {allowed})").format(
                        where=where, name=name, allowed=", ".join(allowed)
                    ),
                )
        for name, required in allowed.items():
            if required and name not in items:
                raise self.fail(node, _("{where}: missing key '{name}'").format(where=where, name=name))

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, _("{where} must be a single value").format(where=where))
        return yaml.safe_load(yaml.serialize(node))

    def number(self, node: yaml.Node, where: str, *, positive: bool = False) -> float:
        value = self.scalar(node, where)
        if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
            value = float(value)  # 1e-9: a float to anyone but YAML 1.1
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(
                node, _("{where} must be a number, got {value}").format(where=where, value=repr(node.value))
            )
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(
                node, _("{where} must be finite, got {value}").format(where=where, value=repr(node.value))
            )
        if positive and value <= 0:
            raise self.fail(node, _("{where} must be positive, got {value}").format(where=where, value=f"{value}"))
        if value < 0:
            raise self.fail(node, _("{where} must not be negative, got {value}").format(where=where, value=f"{value}"))
        return float(value)

    def visibility(self, node: yaml.Node, where: str) -> str:
        value = self.scalar(node, where)
        if value not in VISIBILITIES:
            raise self.fail(
                node,
                _("{where}: {value} is not one of {choices}").format(
                    where=where, value=repr(value), choices=", ".join(VISIBILITIES)
                ),
            )
        return value

    def flag(self, node: yaml.Node, where: str) -> bool:
        value = self.scalar(node, where)
        if not isinstance(value, bool):
            raise self.fail(node, _("{where} must be true or false").format(where=where))
        return value

    def optional(self, items: dict, key: str, parse, where: str, default):
        """``parse(node, where)`` of ``items[key]``'s value, or ``default`` when the key is absent."""
        return parse(items[key][1], where) if key in items else default

    def count(self, node: yaml.Node, where: str) -> int:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                node, _("{where} must be a whole number, got {value}").format(where=where, value=repr(node.value))
            )
        if not 1 <= value <= MAX_HIDDEN_CASES:
            raise self.fail(
                node,
                _("{where} must be between 1 and {most}, got {value}").format(
                    where=where, most=MAX_HIDDEN_CASES, value=f"{value}"
                ),
            )
        return value


def load(path: str | Path | None = None, *, require_all_checks: bool | None = None) -> Rubric:
    """Load and validate a rubric file; ``require_all_checks`` None: as its ``all_checks`` flag says."""
    from .checks import registry

    path = Path(path) if path is not None else default_rubric_path()
    v = _Validator(str(path))
    root = _compose(path)
    top = v.mapping(root, _("the rubric"))
    v.keys(root, top, TOP_KEYS, _("the rubric"))
    version = v.scalar(top["version"][1], "version")
    if version not in SUPPORTED_VERSIONS:
        raise v.fail(
            top["version"][1],
            _("version: unsupported rubric version {version} (supported: 1)").format(version=repr(version)),
        )
    assignment = str(v.scalar(top["assignment"][1], "assignment"))
    if require_all_checks is None:
        require_all_checks = v.optional(top, "all_checks", v.flag, "all_checks", False)
    hidden_cases = v.optional(top, "hidden_cases", v.count, "hidden_cases", DEFAULT_HIDDEN_CASES)
    qnode = top["questions"][1]
    questions_raw = v.mapping(qnode, "questions")
    if not questions_raw:
        raise v.fail(qnode, _("questions: at least one question is required"))
    top_visibility = v.optional(top, "visibility", v.visibility, "visibility", DEFAULT_VISIBILITY)
    late = None
    if "late" in top:
        from . import late as late_mod

        late = late_mod.parse(v, top["late"][1])
    known = registry.all_checks()
    seen_checks: dict[str, str] = {}
    questions = tuple(
        _question(v, qid, qval, known, seen_checks, top_visibility, require_all_checks)
        for qid, (_qkey, qval) in questions_raw.items()
    )
    numpy_compat = v.optional(top, "numpy_compat", v.flag, "numpy_compat", None)
    strict = v.optional(top, "strict_shapes", v.flag, "strict_shapes", False)
    return Rubric(
        str(path),
        int(version),
        assignment,
        questions,
        late,
        _edition(v, top),
        numpy_compat,
        strict,
        hidden_cases,
        _language(v, top),
        bool(v.optional(top, "isolate", v.flag, "isolate", True)),
    )


def _compose(path: Path) -> yaml.Node:
    """The rubric file's YAML node tree, or a one-line ``RubricError`` naming the file (and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(
            _("{path}: cannot read the rubric ({error})").format(path=path, error=exc.strerror or exc)
        ) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RubricError(
            _("{where}: not valid YAML ({problem})").format(where=f"{path}{line}", problem=getattr(exc, "problem", exc))
        ) from exc
    if root is None:
        raise RubricError(_("{path}: the rubric is empty").format(path=path))
    return root


def _question(
    v: _Validator,
    qid: str,
    qval: yaml.Node,
    known: dict,
    seen_checks: dict[str, str],
    top_visibility: str,
    require_all_checks: bool,
) -> QuestionSpec:
    """One entry of ``questions``, its checks validated against the registry (``seen_checks`` is filled)."""
    where = f"questions.{qid}"
    items = v.mapping(qval, where)
    v.keys(qval, items, QUESTION_KEYS, where)
    title = str(v.scalar(items["title"][1], f"{where}.title"))
    points = v.number(items["points"][1], f"{where}.points")
    extra = v.optional(items, "extra_credit", v.flag, f"{where}.extra_credit", False)
    notebook = str(v.scalar(items["notebook"][1], f"{where}.notebook")) if "notebook" in items else None
    qvis = v.optional(items, "visibility", v.visibility, f"{where}.visibility", top_visibility)
    cnode = items["checks"][1]
    if not isinstance(cnode, yaml.SequenceNode) or not cnode.value:
        raise v.fail(cnode, _("{where}.checks must be a non-empty list").format(where=where))
    checks = [
        _check(v, f"{where}.checks[{i}]", item, qid, known, seen_checks, qvis) for i, item in enumerate(cnode.value)
    ]
    total = sum(c.points for c in checks)
    if abs(total - points) > 1e-9:
        raise v.fail(
            items["points"][1],
            _("{where}.points is {points} but its checks add up to {total}").format(
                where=where, points=f"{points:g}", total=f"{total:g}"
            ),
        )
    if require_all_checks:
        missing = sorted(c.id for c in known.values() if c.question == qid and c.id not in seen_checks)
        if missing:
            raise v.fail(
                cnode, _("{where}.checks: missing check ids {ids}").format(where=where, ids=", ".join(missing))
            )
    return QuestionSpec(qid, title, points, extra, notebook, tuple(checks))


def _check(
    v: _Validator, where: str, item: yaml.Node, qid: str, known: dict, seen_checks: dict[str, str], qvis: str
) -> CheckSpec:
    """One entry of a question's ``checks``: a known id of this question, listed once."""
    citems = v.mapping(item, where)
    v.keys(item, citems, CHECK_KEYS, where)
    idnode = citems["id"][1]
    cid = str(v.scalar(idnode, f"{where}.id"))
    if cid not in known:
        raise v.fail(idnode, _("{where}.id: unknown check id '{id}'").format(where=where, id=cid))
    if known[cid].question != qid:
        raise v.fail(
            idnode,
            _("{where}.id: check '{id}' belongs to question '{question}', not '{asked}'").format(
                where=where, id=cid, question=known[cid].question, asked=qid
            ),
        )
    if cid in seen_checks:
        raise v.fail(idnode, _("{where}.id: check '{id}' is listed twice").format(where=where, id=cid))
    seen_checks[cid] = qid

    def positive(node, at):
        return v.number(node, at, positive=True)

    return CheckSpec(
        cid,
        v.number(citems["points"][1], f"{where}.points"),
        v.optional(citems, "tolerance", positive, f"{where}.tolerance", None),
        v.optional(citems, "timeout", positive, f"{where}.timeout", None),
        v.optional(citems, "visibility", v.visibility, f"{where}.visibility", qvis),
        v.optional(citems, "hidden_cases", v.count, f"{where}.hidden_cases", None),
    )


def _language(v: _Validator, top: dict) -> str | None:
    if "language" not in top:
        return None
    from . import i18n

    node = top["language"][1]
    lang = str(v.scalar(node, "language"))
    if lang not in i18n.languages():
        raise v.fail(
            node,
            _("language: {lang} is not one of {choices}").format(lang=repr(lang), choices=", ".join(i18n.languages())),
        )
    return lang


def _edition(v: _Validator, top: dict) -> str | None:
    if "edition" not in top:
        return None
    from . import editions

    try:
        return editions.lookup(v.scalar(top["edition"][1], "edition")).name
    except editions.EditionError as exc:
        raise v.fail(top["edition"][1], f"edition: {exc}") from exc
