"""``python -m grader grade``: grade submissions with hidden inputs, each isolated.

For every submission (a zip or a folder; a folder holding several zips or
folders and no package of its own stands for each of them) the pipeline is
the list ``STEPS``, run in order on one ``_Job``:

1. ``unpack``: extract the zip or copy the folder into a private temp dir
   (``grader.unpack.unpack``: no escapes, no bombs, junk skipped);
2. ``detect layout``: find ``student/`` or ``cs231n/`` (``detect_layout``);
3. ``assemble``: the pristine tree (the released package with only the
   student-editable files taken from the submission); its notes (modified
   non-editable files, missing files) go into the report and results.json;
4. ``run checks``: every check of the rubric in the sandbox
   (``grader.sandbox.Sandbox``, showing only the assembled tree) on its
   HIDDEN case, drawn from a seed derived from the secret
   (``fixtures.case_for(check, salt=secret, hidden=True)``), with the
   rubric's per-check timeouts;
5. ``score``: on the trusted side, against expected values the reference
   computed in this process (``fixtures.compute``), once per check for the
   whole batch;
6. ``render``: ``DIR/<id>/results.json`` (Gradescope format, with an
   ``a2kit`` field) and ``DIR/<id>/report.html``.

A failure at any step gives a row with status ``error`` and the one-line
reason; the batch goes on. Status ``graded``: every check ended pass, fail or
not implemented; ``partial``: some check raised, crashed or timed out.
``DIR/gradebook.csv`` (``submission``, ``status``, one column per question of
the rubric, ``total``, ``max_total``, ``message``) is rewritten atomically after
each submission, so a batch killed midway leaves a valid file. A submission
whose ``results.json`` exists is not graded again unless ``force``: its row is
rebuilt from that file.

The secret: ``seed`` (``--seed``), else the environment variable
``A2KIT_SECRET``, else the file ``.a2kit-secret`` in the project root, created
with a random value (mode 0600) on first use. Keep it out of the handout; the
same secret gives the same hidden inputs, so regrades are reproducible.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from . import fixtures as fixtures_mod
from . import rubric as rubric_mod
from . import unpack as unpack_mod
from .atomic import atomic_write_text
from .checks import registry
from .checks.base import Impl, QuestionResult, Status
from .paths import project_root
from .runner import Task, run_checks
from .scoring import score_question

SECRET_ENV = "A2KIT_SECRET"
SECRET_FILE = ".a2kit-secret"
GRADEBOOK = "gradebook.csv"
RESULTS = "results.json"
REPORT = "report.html"

STATUSES = ("graded", "partial", "error")


@dataclasses.dataclass
class Row:
    """One line of the gradebook."""

    submission: str
    status: str  # graded | partial | error
    scores: dict[str, float]
    total: float
    max_total: float
    message: str = ""
    skipped: bool = False  # True when rebuilt from an existing results.json


# ---------------------------------------------------------------------------
# The secret


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
            raise ValueError(f"{path}: empty secret file")
        return value
    with os.fdopen(fd, "w") as f:
        value = secrets.token_hex(32)
        f.write(value + "\n")
    return value


# ---------------------------------------------------------------------------
# Which submissions


def submission_id(path: Path) -> str:
    name = path.name
    return name[:-4] if name.lower().endswith(".zip") and not path.is_dir() else name


def _holds_package(d: Path) -> bool:
    return any(
        (d / pkg).is_dir() and any((d / pkg / m).is_file() for m in unpack_mod.MARKERS) for pkg in unpack_mod.PACKAGES
    )


def expand(submissions: Sequence[Path]) -> list[Path]:
    """Each path given, or for a folder of submissions (zips or folders, no package of its own), each of them."""
    out: list[Path] = []
    for p in map(Path, submissions):
        if p.is_dir() and not p.is_symlink() and not _holds_package(p):
            children = sorted(
                c
                for c in p.iterdir()
                if not c.name.startswith(".")
                and c.name not in unpack_mod.JUNK_DIRS
                and ((c.is_dir() and not c.is_symlink()) or (c.is_file() and c.suffix.lower() == ".zip"))
            )
            zips = [c for c in children if c.is_file()]
            if zips or len(children) >= 2:
                out.extend(children)
                continue
        out.append(p)
    return out


# ---------------------------------------------------------------------------
# Hidden fixtures, shared by the batch


class HiddenFixtures:
    """The hidden case and the reference's expected values of each check, computed on first use."""

    def __init__(self, secret: str, release_root: Path):
        self.secret = secret
        self.release_root = release_root
        self._cache: dict[str, fixtures_mod.Fixture] = {}
        self._reference: Impl | None = None

    def __getitem__(self, check_id: str) -> fixtures_mod.Fixture:
        if check_id not in self._cache:
            if self._reference is None:
                root = str(self.release_root)
                if root not in sys.path:
                    sys.path.insert(0, root)
                self._reference = Impl("reference")
            check = registry.all_checks()[check_id]
            case = fixtures_mod.case_for(check, salt=self.secret, hidden=True)
            self._cache[check_id] = fixtures_mod.compute(check, case, self._reference)
        return self._cache[check_id]


# ---------------------------------------------------------------------------
# The pipeline


@dataclasses.dataclass
class _Job:
    submission: Path
    id: str
    tmp: Path
    rubric: rubric_mod.Rubric
    hidden: HiddenFixtures
    release_root: Path
    launcher_factory: Callable[[Path], object]
    layout: unpack_mod.Layout | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    outcomes: dict = dataclasses.field(default_factory=dict)
    results: list[QuestionResult] = dataclasses.field(default_factory=list)
    started: float = dataclasses.field(default_factory=time.monotonic)


def _step_unpack(job: _Job) -> None:
    unpack_mod.unpack(job.submission, job.tmp / "unpacked")


def _step_detect(job: _Job) -> None:
    job.layout = unpack_mod.detect_layout(job.tmp / "unpacked", job.submission)


def _step_assemble(job: _Job) -> None:
    job.notes = unpack_mod.assemble(
        job.layout,
        job.release_root / "student",
        job.tmp / "tree",
        editable=_editable(job.release_root),
    )


def _step_run(job: _Job) -> None:
    checks = registry.all_checks()
    tasks = []
    for q in job.rubric.questions:
        for spec in q.checks:
            check = checks[spec.id]
            tasks.append(Task(spec.id, job.hidden[spec.id].case, spec.timeout or check.timeout))
    tree = job.tmp / "tree"
    job.outcomes = run_checks(job.layout.package, [str(tree)], tasks, launcher=job.launcher_factory(tree))


def _step_score(job: _Job) -> None:
    checks = registry.all_checks()
    fixtures = {spec.id: job.hidden[spec.id] for q in job.rubric.questions for spec in q.checks}
    job.results = [score_question(q, checks, job.outcomes, fixtures) for q in job.rubric.questions]


#: The pipeline, in order. ``render`` is done by ``_finish`` (it also runs for errors).
STEPS: list[tuple[str, Callable[[_Job], None]]] = [
    ("unpack", _step_unpack),
    ("detect layout", _step_detect),
    ("assemble", _step_assemble),
    ("run checks", _step_run),
    ("score", _step_score),
]

_EDITABLE: dict[Path, list[Path]] = {}


def _editable(release_root: Path) -> list[Path]:
    if release_root not in _EDITABLE:
        from . import stubs

        _EDITABLE[release_root] = list(stubs.editable_files(release_root / "reference"))
    return _EDITABLE[release_root]


def default_launcher_factory(tree: Path):
    from .sandbox import Sandbox

    return Sandbox(visible=(tree,))


# ---------------------------------------------------------------------------
# Outputs


def _status_of(results: Sequence[QuestionResult]) -> str:
    bad = {Status.ERROR, Status.TIMEOUT}
    return "partial" if any(c.status in bad for q in results for c in q.checks) else "graded"


def _message(status: str, results: Sequence[QuestionResult], notes: Sequence[str]) -> str:
    if status == "partial":
        n = sum(1 for q in results for c in q.checks if c.status in (Status.ERROR, Status.TIMEOUT))
        msg = f"{n} check{'s' if n != 1 else ''} raised, crashed or timed out"
    else:
        msg = ""
    if notes:
        msg = "; ".join(filter(None, [msg, f"{len(notes)} note{'s' if len(notes) != 1 else ''} (see report)"]))
    return msg


def _report(job: _Job, status: str, problems: Sequence[str]) -> str:
    from .render import html

    sections = []
    if job.layout is not None:
        from . import notebooks as nbmod

        for path in job.layout.notebooks:
            try:
                sections.append(html.notebook_section(nbmod.read(path), path.name))
            except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted, not fatal
                sections.append(
                    html.Section(title=path.name, body=html.Markup(""), note=f"could not be rendered ({exc.__class__.__name__})")
                )
    facts = [
        ("submission", job.id),
        ("status", status),
        ("layout", job.layout.kind if job.layout else "-"),
        ("graded", dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()),
        ("a2kit", __version__),
        ("rubric", f"{Path(job.rubric.path).name} (version {job.rubric.version})"),
    ]
    return html.render_report(
        job.results,
        title=f"{job.rubric.assignment}: {job.id}",
        subtitle="Graded by python -m grader grade with hidden inputs.",
        facts=facts,
        problems=list(problems),
        sections=sections,
    )


def _finish(job: _Job, out: Path, status: str, message: str) -> Row:
    from .render import gradescope

    scores = {q.id: 0.0 for q in job.rubric.questions}
    scores.update({q.question: float(q.points) for q in job.results})
    total = float(sum(scores.values()))
    row = Row(job.id, status, scores, total, float(job.rubric.max_total), message)
    problems = ([message] if status == "error" else []) + list(job.notes)
    a2kit = {
        "submission": job.id,
        "status": status,
        "scores": scores,
        "total": total,
        "max_total": row.max_total,
        "message": message,
        "notes": list(job.notes),
        "rubric": {"path": Path(job.rubric.path).name, "version": job.rubric.version},
        "version": __version__,
    }
    output = message if status == "error" else "\n".join([f"Total: {total:g} / {row.max_total:g}", *job.notes])
    data = gradescope.results_json(
        job.results, execution_time=time.monotonic() - job.started, output=output, a2kit=a2kit
    )
    data["score"] = total
    sub = out / job.id
    sub.mkdir(parents=True, exist_ok=True)
    atomic_write_text(sub / REPORT, _report(job, status, problems))
    atomic_write_text(sub / RESULTS, json.dumps(data, indent=2) + "\n")
    return row


def row_from_results(path: Path, rubric: rubric_mod.Rubric) -> Row:
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
    )


def gradebook_text(rows: Sequence[Row], rubric: rubric_mod.Rubric) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", "status", *rubric.question_ids, "total", "max_total", "message"])
    for r in rows:
        w.writerow(
            [r.submission, r.status, *(f"{r.scores.get(q, 0.0):g}" for q in rubric.question_ids), f"{r.total:g}", f"{r.max_total:g}", r.message]
        )
    return buf.getvalue()


def grade_one(
    submission: Path,
    sid: str,
    out: Path,
    *,
    rubric: rubric_mod.Rubric,
    hidden: HiddenFixtures,
    release_root: Path,
    launcher_factory: Callable[[Path], object] = default_launcher_factory,
) -> Row:
    tmp = Path(tempfile.mkdtemp(prefix="a2kit-grade-"))
    os.chmod(tmp, 0o755)
    job = _Job(submission, sid, tmp, rubric, hidden, release_root, launcher_factory)
    try:
        for name, step in STEPS:
            try:
                step(job)
            except unpack_mod.SubmissionError as exc:
                job.results = []
                return _finish(job, out, "error", str(exc))
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                job.results = []
                return _finish(job, out, "error", f"{name} failed: {exc.__class__.__name__}: {exc}"[:500])
        status = _status_of(job.results)
        return _finish(job, out, status, _message(status, job.results, job.notes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def grade(
    submissions: Sequence[Path],
    out: Path,
    *,
    rubric: rubric_mod.Rubric | None = None,
    seed: str | None = None,
    force: bool = False,
    release_root: Path | None = None,
    launcher_factory: Callable[[Path], object] = default_launcher_factory,
    progress: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Grade every submission into ``out``; one ``Row`` per submission, in order."""
    release_root = Path(release_root or project_root()).resolve()
    rubric = rubric or rubric_mod.load()
    secret = resolve_secret(seed, release_root)
    hidden = HiddenFixtures(secret, release_root)
    for q in rubric.questions:  # once for the whole batch; a failure here is the grader's, not a student's
        for spec in q.checks:
            hidden[spec.id]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    seen: set[str] = set()
    for sub in expand(submissions):
        sid = submission_id(sub)
        base, n = sid, 2
        while sid in seen or not sid or sid in (".", "..", GRADEBOOK):
            sid, n = f"{base or 'submission'}-{n}", n + 1
        seen.add(sid)
        existing = out / sid / RESULTS
        row = None
        if existing.is_file() and not force:
            try:
                row = row_from_results(existing, rubric)
                row.submission = sid
            except Exception:  # noqa: BLE001 - an unreadable results.json is regraded
                row = None
        if row is None:
            try:
                row = grade_one(
                    sub, sid, out, rubric=rubric, hidden=hidden, release_root=release_root, launcher_factory=launcher_factory
                )
            except Exception as exc:  # noqa: BLE001 - even a failure to write the outputs is one row
                row = Row(sid, "error", {q: 0.0 for q in rubric.question_ids}, 0.0, float(rubric.max_total),
                          f"{exc.__class__.__name__}: {exc}"[:500])
        rows.append(row)
        atomic_write_text(out / GRADEBOOK, gradebook_text(rows, rubric))
        if progress:
            progress(row)
    if not rows:
        atomic_write_text(out / GRADEBOOK, gradebook_text(rows, rubric))
    return rows
