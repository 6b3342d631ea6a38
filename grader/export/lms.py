"""``python -m grader export canvas|moodle|csv --out FILE``: grades for an LMS.

Input: a graded folder (its ``gradebook.csv``, as ``grade`` wrote it; the
score is ``final_total`` where a late policy applied, else ``total``) and a
roster CSV with a header holding ``student_id`` (or ``id``), ``name`` and
``email``. A submission matches a student when its id is the student's id or
email (case-insensitive), else when the student's id is one of the words of the
submission's file name (``a2_12345_garcia`` matches 12345), and only when exactly
one student matches. Unmatched submissions and students without a submission are
returned so the command lists them.

Formats:

* ``canvas``: Canvas's gradebook import CSV: ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column named after the assignment, and
  a ``Points Possible`` row first (Canvas matches on SIS User ID / SIS Login ID).
* ``moodle``: Moodle's "Import grades from CSV file": ``ID number``, ``Email
  address``, ``Full name``, then the assignment's column (at import, map the
  identifier ``ID number`` or ``Email address`` and the grade column).
* ``csv``: ``student_id``, ``name``, ``email``, ``submission``, ``status``,
  ``score``, ``max_score``.

Every text cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from ..i18n import N_, _

FORMATS = ("canvas", "moodle", "csv")
ROSTER_CAP = 16 << 20
#: What ``_read_csv`` says of each file it reads (``what``: roster or gradebook).
_CANNOT_READ = {
    "roster": N_("{path}: cannot read the roster ({error})"),
    "gradebook": N_("{path}: cannot read the gradebook ({error})"),
}
_EMPTY = {
    "roster": N_("{path}: the roster is empty (a header line is needed)"),
    "gradebook": N_("{path}: the gradebook is empty (a header line is needed)"),
}


class ExportError(ValueError):
    """Bad input (one line naming the file)."""


def neutralise(text: str) -> str:
    """A spreadsheet-safe text cell: a leading ``'`` when it would start a formula (``grader.ids.cell``)."""
    from ..ids import cell

    return cell(text)


@dataclasses.dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class Grade:
    submission: str
    status: str
    score: float
    max_score: float


@dataclasses.dataclass
class Matched:
    pairs: list[tuple[Student, Grade | None]]
    unmatched: list[Grade]  # submissions no student matched

    @property
    def missing(self) -> list[Student]:
        return [s for s, g in self.pairs if g is None]


def _read_csv(path: Path, what: str) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read(ROSTER_CAP)
    except OSError as exc:
        raise ExportError(_(_CANNOT_READ[what]).format(path=path, error=exc.strerror or exc)) from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ExportError(_(_EMPTY[what]).format(path=path))
    return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def read_roster(path: Path) -> list[Student]:
    rows = _read_csv(Path(path), "roster")
    out = []
    for n, row in enumerate(rows, start=2):
        sid = row.get("student_id") or row.get("id") or ""
        if not sid:
            raise ExportError(
                _("{path}:{line}: no student_id (the header needs student_id or id, name, email)").format(
                    path=path, line=n
                )
            )
        out.append(Student(sid, row.get("name", ""), row.get("email", "")))
    return out


def read_gradebook(graded: Path) -> list[Grade]:
    path = Path(graded) / "gradebook.csv"
    if not path.is_file():
        raise ExportError(
            _("{graded}: no gradebook.csv here (run `python -m grader grade ... --out {graded}` first)").format(
                graded=graded
            )
        )
    out = []
    for n, row in enumerate(_read_csv(path, "gradebook"), start=2):
        try:
            score = float(row.get("final_total") or row["total"])
            out.append(Grade(row["submission"], row["status"], score, float(row["max_total"])))
        except (KeyError, ValueError) as exc:
            why = _("{path}:{line}: not a gradebook row ({error})").format(path=path, line=n, error=exc)
            raise ExportError(why) from None
    return out


def match(roster: list[Student], grades: list[Grade]) -> Matched:
    by_key: dict[str, list[Student]] = {}
    for s in roster:
        for key in {s.id.lower(), s.email.lower()} - {""}:
            by_key.setdefault(key, []).append(s)
    found: dict[str, Grade] = {}
    unmatched = []
    for g in grades:
        name = g.submission.lower()
        hits = by_key.get(name, [])
        if not hits:
            words = set(re.split(r"[^0-9a-z]+", name)) - {""}
            hits = [s for s in roster if s.id.lower() in words]
        uniq = {s.id: s for s in hits}
        if len(uniq) == 1 and next(iter(uniq)) not in found:
            found[next(iter(uniq))] = g
        else:
            unmatched.append(g)
    return Matched([(s, found.get(s.id)) for s in roster], unmatched)


def _num(x: float) -> str:
    return f"{x:g}"


def render(fmt: str, matched: Matched, *, assignment: str, max_score: float) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if fmt == "canvas" else "\n")
    column = neutralise(assignment)
    if fmt == "canvas":
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        w.writerow(["Points Possible", "", "", "", "", _num(max_score)])
        for s, g in matched.pairs:
            w.writerow([neutralise(s.name), "", neutralise(s.id), neutralise(s.email), "", _num(g.score) if g else ""])
    elif fmt == "moodle":
        w.writerow(["ID number", "Email address", "Full name", column])
        for s, g in matched.pairs:
            w.writerow([neutralise(s.id), neutralise(s.email), neutralise(s.name), _num(g.score) if g else ""])
    elif fmt == "csv":
        w.writerow(["student_id", "name", "email", "submission", "status", "score", "max_score"])
        for s, g in matched.pairs:
            w.writerow(
                [
                    neutralise(s.id),
                    neutralise(s.name),
                    neutralise(s.email),
                    neutralise(g.submission) if g else "",
                    g.status if g else "missing",
                    _num(g.score) if g else "",
                    _num(g.max_score if g else max_score),
                ]
            )
    else:
        raise ExportError(
            _("unknown LMS format {format} (one of {formats})").format(format=repr(fmt), formats=", ".join(FORMATS))
        )
    return buf.getvalue()


def export(fmt: str, graded: Path, roster: Path, out: Path, *, assignment: str) -> Matched:
    from ..atomic import atomic_write_text

    grades = read_gradebook(graded)
    matched = match(read_roster(roster), grades)
    max_score = max((g.max_score for g in grades), default=0.0)
    atomic_write_text(Path(out), render(fmt, matched, assignment=assignment, max_score=max_score))
    return matched
