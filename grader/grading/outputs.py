"""What grading writes into ``DIR``: a submission's files, ``gradebook.csv``, ``summary.html``.

Only the calling thread of ``grade`` writes, each file atomically:
``DIR/<id>/report.html`` then ``results.json`` (``write_outputs``; results.json
last, since it is what marks the submission as graded), ``DIR/gradebook.csv``
(``gradebook_text``) and ``DIR/summary.html`` (``write_summary``);
``row_from_results`` rebuilds a row from a ``results.json`` without regrading.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from pathlib import Path

from .. import ids as ids_mod
from .. import late as late_mod
from .. import rubric as rubric_mod
from ..atomic import atomic_write, atomic_write_text
from ..gradebook import Row

GRADEBOOK = "gradebook.csv"
RESULTS = "results.json"
REPORT = "report.html"
#: The submission's own output while its checks ran, for the instructor (plain text; the student never sees it:
#: it may hold what the submission printed of the hidden inputs).
WORKER_LOG = "worker.log"
SUMMARY = "summary.html"


@dataclasses.dataclass
class Graded:
    """What grading one submission produced: its row and the files of ``DIR/<id>/``.

    Plain, picklable data: with ``--scheduler`` it is what comes back from a
    Dask worker, and the client writes the files.
    """

    row: Row
    """The submission's gradebook row."""
    files: dict[str, str]
    """File name -> text: ``report.html``, ``results.json`` and ``worker.log``."""
    blobs: dict[str, bytes] = dataclasses.field(default_factory=dict)
    """File name -> bytes: the notebooks' PDF with ``grade --pdf``."""


def write_outputs(out: Path, graded: Graded) -> None:
    """``DIR/<id>/worker.log``, ``report.html``, then ``results.json``, each atomically."""
    sub = Path(out) / graded.row.submission
    sub.mkdir(parents=True, exist_ok=True)
    for name, data in graded.blobs.items():
        atomic_write(sub / name, lambda tmp, data=data: tmp.write_bytes(data))
    for name in (WORKER_LOG, REPORT, RESULTS):  # results.json last: it marks the submission as graded
        if name in graded.files:
            atomic_write_text(sub / name, graded.files[name])


def row_from_results(path: Path, rubric: rubric_mod.Rubric) -> Row:
    """The row a previous run wrote into ``path`` (a ``results.json``), marked ``skipped``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data["a2kit"]
    scores = {q: float(meta["scores"].get(q, 0.0)) for q in rubric.question_ids}
    return Row(
        meta["submission"],
        meta["status"],
        scores,
        float(meta["total"]),
        float(meta["max_total"]),
        meta.get("message", ""),
        skipped=True,
        late=meta.get("late"),
    )


def error_row(sid: str, rubric: rubric_mod.Rubric, exc: BaseException) -> Row:
    """The row of a submission whose grading or writing failed outside the pipeline (a lost Dask worker)."""
    return Row(
        sid,
        "error",
        {q: 0.0 for q in rubric.question_ids},
        0.0,
        float(rubric.max_total),
        f"{exc.__class__.__name__}: {exc}"[:500],
    )


def gradebook_text(rows: Sequence[Row], rubric: rubric_mod.Rubric) -> str:
    """``gradebook.csv``: submission, status, one column per question, total, max_total, message (+ late)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    late = rubric.late is not None
    w.writerow(
        [
            "submission",
            "status",
            *rubric.question_ids,
            "total",
            "max_total",
            "message",
            *(late_mod.COLUMNS if late else ()),
        ]
    )
    for r in rows:
        w.writerow(
            [
                ids_mod.cell(r.submission),
                r.status,
                *(f"{r.scores.get(q, 0.0):g}" for q in rubric.question_ids),
                f"{r.total:g}",
                f"{r.max_total:g}",
                ids_mod.cell(r.message),
            ]
            + (late_mod.gradebook_cells(r.late, r.total) if late else [])
        )
    return buf.getvalue()


def summary_title(rubric: rubric_mod.Rubric) -> str:
    return f"{rubric.assignment}: grading summary"


def write_summary(out: Path, ids: Sequence[str], *, title: str = "Grading summary") -> None:
    """``DIR/summary.html`` rebuilt from the ``results.json`` of ``ids`` (atomically)."""
    from ..render import summary

    atomic_write_text(Path(out) / SUMMARY, summary.render(summary.load(out, ids), title=title))
