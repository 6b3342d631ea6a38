"""A validator for ``results.json`` against Gradescope's autograder field list, and for gradebook.csv.

The field list is the one Gradescope documents for ``/autograder/results/results.json``
(gradescope-autograders.readthedocs.io, "Autograder Specifications", "Output format"):

* top level, all optional: ``score`` (number; required unless every test has one),
  ``execution_time`` (number of seconds), ``output`` (text for the whole submission),
  ``output_format``, ``test_output_format``, ``test_name_format`` (one of ``FORMATS``),
  ``visibility`` and ``stdout_visibility`` (one of ``VISIBILITIES``), ``extra_data``
  (an object), ``tests`` (a list), ``leaderboard`` (a list);
* each test: ``score``, ``max_score`` (numbers), ``status`` (``passed`` or ``failed``),
  ``name``, ``number``, ``output`` (text), ``name_format``, ``output_format``,
  ``tags`` (a list of text), ``visibility``, ``extra_data``.

Our own additions: CONTRACT.md §5 makes ``score``, ``execution_time``, ``output``,
``stdout_visibility`` and ``tests`` (with ``name``, ``number``, ``score``, ``max_score``,
``status``, ``output``, ``visibility``, ``tags``) mandatory; ``a2kit`` is the one extra
top-level key we write (Gradescope ignores keys it does not know; ``grade`` rebuilds a
gradebook row from it). ``validate`` returns one line per problem (empty when valid).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
FORMATS = ("text", "html", "simple_format", "md", "ansi")
STATUSES = ("passed", "failed")

TOP_FIELDS = {
    "score": "number",
    "execution_time": "number",
    "output": "str",
    "output_format": "format",
    "test_output_format": "format",
    "test_name_format": "format",
    "visibility": "visibility",
    "stdout_visibility": "visibility",
    "extra_data": "dict",
    "tests": "list",
    "leaderboard": "list",
}
TEST_FIELDS = {
    "score": "number",
    "max_score": "number",
    "status": "status",
    "name": "str",
    "name_format": "format",
    "number": "str",
    "output": "str",
    "output_format": "format",
    "tags": "tags",
    "visibility": "visibility",
    "extra_data": "dict",
}
#: What CONTRACT.md §5 promises on top of Gradescope's optional fields.
REQUIRED_TOP = ("score", "execution_time", "output", "stdout_visibility", "tests")
REQUIRED_TEST = ("name", "number", "score", "max_score", "status", "output", "visibility", "tags")
EXTRA_TOP = ("a2kit",)
#: The columns a late policy adds to gradebook.csv (grader/late.py), after CONTRACT.md §5's.
LATE_COLUMNS = ("submitted_at", "late_penalty", "final_total")
A2KIT_FIELDS = ("submission", "status", "scores", "total", "max_total", "message")


def _kind_problem(value: Any, kind: str) -> str | None:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{value!r} is not a number"
        if not math.isfinite(value):
            return f"{value!r} is not finite"
        return None
    if kind == "str":
        return None if isinstance(value, str) else f"{value!r} is not a string"
    if kind == "dict":
        return None if isinstance(value, dict) else f"{value!r} is not an object"
    if kind == "list":
        return None if isinstance(value, list) else f"{value!r} is not a list"
    if kind == "tags":
        ok = isinstance(value, list) and all(isinstance(t, str) for t in value)
        return None if ok else f"{value!r} is not a list of strings"
    allowed = {"format": FORMATS, "visibility": VISIBILITIES, "status": STATUSES}[kind]
    return None if value in allowed else f"{value!r} is not one of {', '.join(allowed)}"


def validate(data: Any) -> list[str]:
    """Problems of one parsed results.json, one line each."""
    if not isinstance(data, dict):
        return [f"top level: {type(data).__name__}, not an object"]
    problems = [f"top level: missing {k!r}" for k in REQUIRED_TOP if k not in data]
    for key, value in data.items():
        if key in EXTRA_TOP:
            continue
        if key not in TOP_FIELDS:
            problems.append(f"top level: unknown field {key!r}")
            continue
        why = _kind_problem(value, TOP_FIELDS[key])
        if why:
            problems.append(f"top level: {key}: {why}")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return problems
    numbers = []
    for i, t in enumerate(tests):
        where = f"tests[{i}]"
        if not isinstance(t, dict):
            problems.append(f"{where}: not an object")
            continue
        problems += [f"{where}: missing {k!r}" for k in REQUIRED_TEST if k not in t]
        for key, value in t.items():
            if key not in TEST_FIELDS:
                problems.append(f"{where}: unknown field {key!r}")
                continue
            why = _kind_problem(value, TEST_FIELDS[key])
            if why:
                problems.append(f"{where}: {key}: {why}")
        s, m = t.get("score"), t.get("max_score")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (s, m)):
            if not 0 <= s <= m:
                problems.append(f"{where}: score {s} outside [0, max_score {m}]")
            if t.get("status") == "passed" and s != m:
                problems.append(f"{where}: passed with {s} of {m} points")
        numbers.append(t.get("number"))
    if len(set(numbers)) != len(numbers):
        problems.append("tests: duplicate test numbers")
    meta = data.get("a2kit")
    # Gradescope: a top-level score overrides the tests' sum; a2kit uses that only for a late penalty,
    # whose record holds the raw score (the tests' sum and a2kit.total) and the final one (score).
    late = meta.get("late") if isinstance(meta, dict) else None
    if late is not None:
        if not isinstance(late, dict) or not all(
            isinstance(late.get(k), (int, float)) for k in ("raw", "penalty", "final")
        ):
            problems.append(f"a2kit: late {late!r} lacks raw, penalty, final numbers")
            late = None
        elif not math.isclose(late["raw"] - late["penalty"], late["final"], abs_tol=1e-6) or late["penalty"] < 0:
            problems.append(f"a2kit: late: raw {late['raw']} - penalty {late['penalty']} != final {late['final']}")
    if "score" in data and isinstance(data["score"], (int, float)) and tests and not problems:
        total = sum(t["score"] for t in tests)
        if not math.isclose(total, late["raw"] if late else data["score"], rel_tol=1e-9, abs_tol=1e-9):
            problems.append(f"top level: score {data['score']} != sum of the tests' scores {total}")
        if late and not math.isclose(late["final"], data["score"], rel_tol=1e-9, abs_tol=1e-9):
            problems.append(f"a2kit: late final {late['final']} != score {data['score']}")
    if meta is not None:
        if not isinstance(meta, dict):
            problems.append("a2kit: not an object")
        else:
            problems += [f"a2kit: missing {k!r}" for k in A2KIT_FIELDS if k not in meta]
            if meta.get("status") not in ("graded", "partial", "error"):
                problems.append(f"a2kit: status {meta.get('status')!r} is not graded, partial or error")
            expected = late["raw"] if late else data.get("score")
            if isinstance(meta.get("total"), (int, float)) and meta.get("total") != expected:
                problems.append(f"a2kit: total {meta.get('total')} != score {data.get('score')}")
    return problems


def gradebook_problems(text: str, question_ids: Sequence[str]) -> list[str]:
    """Problems of a gradebook.csv (CONTRACT.md §5): its header, one row per submission, numbers that add up."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ["gradebook: empty (no header)"]
    header = ["submission", "status", *question_ids, "total", "max_total", "message"]
    if rows[0] == header + list(LATE_COLUMNS):  # a rubric with a late policy adds these, after the others
        header = rows[0]
    problems = [] if rows[0] == header else [f"gradebook: header {rows[0]} != {header}"]
    seen = set()
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(f"gradebook line {n}: {len(row)} fields, expected {len(header)}")
            continue
        rec = dict(zip(header, row, strict=True))
        if rec["submission"] in seen:
            problems.append(f"gradebook line {n}: {rec['submission']!r} listed twice")
        seen.add(rec["submission"])
        if rec["status"] not in ("graded", "partial", "error"):
            problems.append(f"gradebook line {n}: status {rec['status']!r}")
        try:
            scores = [float(rec[q]) for q in question_ids]
            total, max_total = float(rec["total"]), float(rec["max_total"])
        except ValueError as exc:
            problems.append(f"gradebook line {n}: {exc}")
            continue
        if not math.isclose(sum(scores), total, rel_tol=1e-6, abs_tol=1e-6):
            problems.append(f"gradebook line {n}: questions add up to {sum(scores)}, total says {total}")
        if total < 0 or max_total <= 0:  # extra credit may take the total past max_total
            problems.append(f"gradebook line {n}: total {total}, max_total {max_total}")
        if "final_total" in rec:
            try:
                final, penalty = float(rec["final_total"]), float(rec["late_penalty"])
            except ValueError as exc:
                problems.append(f"gradebook line {n}: late columns: {exc}")
            else:
                if not math.isclose(total - penalty, final, rel_tol=1e-6, abs_tol=1e-6) or penalty < 0:
                    problems.append(
                        f"gradebook line {n}: total {total} - late_penalty {penalty} != final_total {final}"
                    )
        if rec["status"] == "error" and not rec["message"]:
            problems.append(f"gradebook line {n}: an error row without a message")
    return problems


def gradebook_rows(text: str) -> list[dict[str, str]]:
    """The gradebook's rows as dicts keyed by the header."""
    return list(csv.DictReader(io.StringIO(text)))
