"""The pipeline of ``grade``, as data: ``STEPS``, run in order on one ``Job``, ending in ``render``.

1. ``unpack``: extract the zip or copy the folder into a private temp dir
   (``grader.unpack.unpack``: no escapes, no bombs, junk skipped);
2. ``detect layout``: find ``student/`` or ``cs231n/`` (``detect_layout``);
3. ``assemble``: the pristine tree (the released package with only the
   student-editable files taken from the submission); its notes (modified
   non-editable files, missing files) go into the report and results.json;
   Q5 is extracted from ``PyTorch.ipynb`` when the package has none;
4. ``edition``: a cs231n layout's edition (the rubric's, else detected); the
   checks it lacks are not applicable;
5. ``run checks``: every check of the rubric in ONE sandboxed child process
   (``grader.runner.run_checks`` through ``grader.sandbox.Sandbox``, showing
   only the assembled tree) on its public case and K hidden draws
   (``HiddenFixtures``) packed into one task, under the check's timeout;
6. ``run notebooks`` (``execute_notebooks`` only): each notebook executed top
   to bottom in a sandbox of its own; a failure is a note, never a score;
7. ``score``: on the trusted side, against the reference's expected values;
8. ``render``: the row, ``results.json`` (Gradescope's format with an
   ``a2kit`` field) and ``report.html`` (``grader.render.report``), as text.

A failure at any step but ``render`` gives status ``error`` with the one-line
reason, and ``render`` still runs. Status ``graded``: every check ended pass,
fail or not implemented; ``partial``: some check raised, crashed or timed out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import __version__, isolation, nbrunner
from .. import layout as layout_mod
from .. import rubric as rubric_mod
from .. import unpack as unpack_mod
from ..checks import registry
from ..checks.base import MODULES
from ..gradebook import Row
from ..i18n import _, ngettext
from ..nbrunner import run_notebooks
from ..q5_notebook import q5_from_notebook
from ..render import report as report_mod
from ..results import QuestionResult, Status
from ..runner import Task, run_checks
from ..sandbox import NOTEBOOK_GRADER_FILES, NOTEBOOK_LIMITS
from ..scoring import score_question
from .hidden import HiddenFixtures
from .job import Job
from .outputs import REPORT, RESULTS, WORKER_LOG, Graded
from .plan import original_name


def unpack(job: Job) -> None:
    unpack_mod.unpack(job.submission, job.tmp / "unpacked")


def detect_layout(job: Job) -> None:
    job.layout = layout_mod.detect_layout(job.tmp / "unpacked", job.submission)


def assemble(job: Job) -> None:
    job.notes = layout_mod.assemble(
        job.layout,
        job.release_root / "student",
        job.tmp / "tree",
        editable=editable(job.release_root),
        graded=graded_by(job.rubric),
    )
    if any(q.id == "q5" for q in job.rubric.questions):
        job.notes = q5_from_notebook(job.layout, job.tmp / "tree" / job.layout.package, job.notes)


def edition(job: Job) -> None:
    """cs231n layout: its edition (the rubric's, else detected); the checks it lacks are not applicable."""
    if job.layout.kind != "cs231n":
        return
    from .. import editions

    if job.rubric.edition:
        job.edition, how = editions.lookup(job.rubric.edition), _("as the rubric or --edition says")
    else:
        job.edition, how = editions.detect(job.layout.package_dir, job.layout.notebooks)
    job.rubric, dropped = editions.apply_to_rubric(job.rubric, job.edition)
    note = _("cs231n edition {edition} ({how})").format(edition=job.edition.name, how=how)
    if dropped:
        note += "; " + _("not applicable (not run, no points at stake): {checks}").format(checks=", ".join(dropped))
    if numpy_compat(job):
        note += "; " + _("NumPy's removed aliases (np.int, np.float, ...) restored")
    job.notes.insert(0, note)


def _tasks(job: Job, only: set[str] | None = None) -> list[Task]:
    """The worker's tasks for the rubric's checks (``only`` these ids when given), with their hidden cases."""
    checks = registry.all_checks()
    tasks = []
    for q in job.rubric.questions:
        for spec in q.checks:
            if only is not None and spec.id not in only:
                continue
            check = checks[spec.id]
            k = job.rubric.draws(spec)
            case, payload = job.hidden.packed(spec.id, k), job.hidden.payload(spec.id, k)
            # one time limit for all the check's cases: they take milliseconds each on correct code,
            # the rubric's timeouts are seconds, and a hang costs one timeout, not one per case; a check
            # that trains for a time budget per case gets its limit per case (the public one and k draws)
            timeout = (spec.timeout or check.timeout) * (k + 1 if check.timeout_per_case else 1)
            tasks.append(Task(spec.id, case, timeout, payload))
    return tasks


def _run_in(job: Job, tree: Path, tasks: list[Task]) -> dict:
    """``tasks`` against the package in ``tree``, in a sandbox that shows that tree, as the edition asks."""
    return run_checks(
        job.layout.package,
        [str(tree)],
        tasks,
        launcher=job.launcher_factory(tree),
        edition=job.edition.name if job.edition else None,
        numpy_compat=numpy_compat(job),
        log=job.log,
    )


def run(job: Job) -> None:
    checks = registry.all_checks()
    tasks = _tasks(job)
    # the naive layers' checks in a sandbox of their own, on a copy of the tree without the fast layers
    naive = [t for t in tasks if checks[t.check_id].naive]
    rest = [t for t in tasks if not checks[t.check_id].naive]
    job.outcomes = _run_in(job, job.tmp / "tree", rest) if rest else {}
    if naive:
        copy = layout_mod.without_fast_layers(job.tmp / "tree", job.layout.package, job.tmp / "naive")
        job.outcomes.update(_run_in(job, copy, naive))


def notebooks(job: Job) -> None:
    """With ``execute_notebooks``: run each notebook in a sandbox of its own; failures are notes, not scores."""
    if not job.execute_notebooks or not job.layout.notebooks:
        return
    from ..sandbox import Sandbox

    job.notebook_runs = run_notebooks(
        job.layout.notebooks,
        tree=job.tmp / "tree",
        package=job.layout.package,
        release_root=job.release_root,
        workdir=job.tmp,
        launcher=Sandbox(limits=NOTEBOOK_LIMITS, grader_files=NOTEBOOK_GRADER_FILES),
        cell_timeout=nbrunner.NOTEBOOK_CELL_TIMEOUT,
        notebook_seconds=nbrunner.NOTEBOOK_SECONDS,
    )


def _scored(job: Job, outcomes: dict, questions: Sequence[rubric_mod.QuestionSpec]) -> list:
    """``questions`` scored from ``outcomes`` against their public case and hidden draws."""
    checks = registry.all_checks()
    fixtures = {spec.id: job.hidden.draws(spec.id, job.rubric.draws(spec)) for q in questions for spec in q.checks}
    hidden = not job.hidden.public  # hidden cases: no value of them in any message (issue 11)
    strict = bool(job.rubric.strict_shapes)
    return [score_question(q, checks, outcomes, fixtures, hidden=hidden, strict_shapes=strict) for q in questions]


def score(job: Job) -> None:
    job.results = _scored(job, job.outcomes, job.rubric.questions)
    warned = [
        c.check_id for q in job.results for c in q.checks if c.passed and c.message.startswith("passed with a warning")
    ]
    if warned:
        job.notes.append(
            _(
                "shape warning (full points; rubric strict_shapes: true fails them): {checks} "
                "returned right values in a shape differing only by singleton dimensions"
            ).format(checks=", ".join(warned))
        )


def isolate(job: Job) -> None:
    """Rubric ``isolate`` (default): a bug costs points once, where it is (``grader.isolation``)."""
    if not job.rubric.isolate or not job.results or job.layout is None:
        return
    naive = [cid for cid, c in registry.all_checks().items() if c.naive]
    todo = isolation.plan(job.results, naive)
    if not todo:
        return
    where = isolation.failed_units(job.results)
    passed: list[str] = []
    for i, q in enumerate(job.results):
        units = todo.get(q.question)
        if not units:
            continue
        ids = set(isolation.rerun_ids(q, naive))
        reference, dest = job.release_root / "reference", job.tmp / f"isolated-{q.question}"
        tree = isolation.supplied_tree(job.tmp / "tree", job.layout.package, units, reference, dest)
        outcomes = _run_in(job, tree, _tasks(job, ids))
        (again,) = _scored(job, {**job.outcomes, **outcomes}, [job.rubric.question(q.question)])
        # a rerun that passes keeps its points with a note written here; nothing of its own messages
        # reaches the student, and a rerun that fails leaves the first result as it was
        note = isolation.note(units, where)
        checks = tuple(
            dataclasses.replace(new, message=note) if new.check_id in ids and new.passed else old
            for old, new in zip(q.checks, again.checks, strict=True)
        )
        passed += [c.check_id for old, c in zip(q.checks, checks, strict=True) if c is not old]
        job.results[i] = dataclasses.replace(q, checks=checks)
    if passed:
        job.notes.append(
            _(
                "bugs counted once (rubric isolate: true): {checks} passed with working earlier functions "
                "in place of yours"
            ).format(checks=", ".join(passed))
        )


def render(job: Job) -> Graded:
    """The row, results.json and report.html of the job, as it stands (also after an error)."""
    from ..render import gradescope

    status = "error" if job.error is not None else status_of(job.results)
    message = job.error if job.error is not None else message_of(status, job.results, job.notes)
    blobs = pdf(job) if job.pdf and status != "error" else {}  # first: its notes go into both files
    scores = {q.id: 0.0 for q in job.rubric.questions}
    scores.update({q.question: float(q.points) for q in job.results})
    total = float(sum(scores.values()))
    row = Row(job.id, status, scores, total, float(job.rubric.max_total), message)
    problems = ([message] if status == "error" else []) + list(job.notes)
    seconds = time.monotonic() - job.started
    a2kit = {
        "submission": job.id,
        "original_name": job.original_name or original_name(job.submission),
        "status": status,
        "scores": scores,
        "total": total,
        "max_total": row.max_total,
        "message": message,
        "notes": list(job.notes),
        "seconds": round(seconds, 3),
        # the sandboxed worker's peak resident memory, as it reported it (informative: bench/grade.py)
        "peak_rss_mib": round(max((o.rss_kib for o in job.outcomes.values()), default=0) / 1024, 1),
        "rubric": {"path": Path(job.rubric.path).name, "version": job.rubric.version},
        "edition": job.edition.name if job.edition else None,
        "version": __version__,
    }
    if job.notebook_runs is not None:
        a2kit["notebooks"] = [{"name": r.name, "ok": r.ok, "message": r.message} for r in job.notebook_runs]
    late = None
    if job.rubric.late is not None and job.submitted_at is not None and status != "error":
        late = job.rubric.late.assess(job.submitted_at, total)
        job.notes.append(late["explanation"])
        a2kit["late"], row.late = late, late
        problems.append(late["explanation"])
    total_line = _("Total: {total} / {max_total}").format(total=f"{total:g}", max_total=f"{row.max_total:g}")
    output = message if status == "error" else "\n".join([total_line, *job.notes])
    visibility = {c.id: c.visibility for q in job.rubric.questions for c in q.checks}
    data = gradescope.results_json(
        job.results, execution_time=seconds, output=output, a2kit=a2kit, visibility=visibility
    )
    data["score"] = late["final"] if late else total
    # the report first: results.json is what marks the submission as graded
    files = {REPORT: report_mod.render(report_data(job, status, problems)), RESULTS: json.dumps(data, indent=2) + "\n",
             WORKER_LOG: job.log.text()}
    return Graded(row, files, blobs)


#: The pipeline, in order; ``render`` is always last and also runs after a failed step.
STEPS: list[tuple[str, Callable[[Job], object]]] = [
    ("unpack", unpack),
    ("detect layout", detect_layout),
    ("assemble", assemble),
    ("edition", edition),  # after assemble (which starts the notes)
    ("run checks", run),
    ("run notebooks", notebooks),
    ("score", score),
    ("isolate", isolate),  # after score: it reruns failed checks whose earlier questions hold a failed unit
    ("render", render),
]


def grade_submission(
    submission: Path,
    sid: str,
    *,
    rubric: rubric_mod.Rubric,
    hidden: HiddenFixtures,
    release_root: Path,
    launcher_factory: Callable[[Path], object] | None = None,
    execute_notebooks: bool = False,
    submitted_at=None,
    pdf: bool = False,
    original: str = "",
) -> Graded:
    """Run ``STEPS`` on one submission; nothing is written (see ``write_outputs``). Thread-safe.

    ``submitted_at`` (an aware datetime): the rubric's late policy applies to this time.
    ``original``: the name as given, when ``submission`` is not that path (a Dask worker's resolved path).
    """
    tmp = Path(tempfile.mkdtemp(prefix="a2kit-grade-"))
    os.chmod(tmp, 0o755)
    job = Job(
        submission,
        sid,
        tmp,
        rubric,
        hidden,
        release_root,
        launcher_factory or default_launcher_factory,
        execute_notebooks=execute_notebooks,
        pdf=pdf,
        submitted_at=submitted_at,
        original_name=original,
    )
    *steps, (_last_name, last) = STEPS
    try:
        for name, step in steps:
            try:
                step(job)
            except unpack_mod.SubmissionError as exc:
                job.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                why = f"{exc.__class__.__name__}: {exc}"
                job.error = _("{step} failed: {error}").format(step=name, error=why)[:500]
            if job.error is not None:
                job.results = []
                break
        return last(job)
    finally:
        unpack_mod.remove_tree(tmp)


# ---------------------------------------------------------------------------
# What the steps share


def numpy_compat(job: Job) -> bool:
    if job.rubric.numpy_compat is not None:
        return job.rubric.numpy_compat
    return bool(job.edition and job.edition.numpy_compat)


def graded_by(rubric: rubric_mod.Rubric) -> Callable[[Path], bool]:
    """Whether a package file (``network/models.py``) holds code the rubric's checks call.

    From each check's ``calls`` (``"fc_net.TwoLayerNet"``, ``"network.Network"``):
    the module (``MODULES`` maps short names) or the subpackage it names. A
    cs231n-layout submission graded with the A2 rubric lacks ``network/``, and
    that is not worth a note in its report.
    """
    checks = registry.all_checks()
    modules = {
        MODULES.get(call.split(".")[0], call.split(".")[0]).replace(".", "/")
        for q in rubric.questions
        for spec in q.checks
        for call in checks[spec.id].calls
    }

    def graded(rel: Path) -> bool:
        name = Path(rel).with_suffix("").as_posix()
        return any(name == m or name.startswith(m + "/") for m in modules)

    return graded


_EDITABLE: dict[Path, list[Path]] = {}
_EDITABLE_LOCK = threading.Lock()


def editable(release_root: Path) -> list[Path]:
    """The student-editable files of the release (``grader.stubs``), computed once per release."""
    with _EDITABLE_LOCK:
        if release_root not in _EDITABLE:
            from .. import stubs

            _EDITABLE[release_root] = list(stubs.editable_files(release_root / "reference"))
        return _EDITABLE[release_root]


def default_launcher_factory(tree: Path):
    """The sandbox that shows the checks only ``tree``."""
    from ..sandbox import Sandbox

    return Sandbox(visible=(tree,))


def status_of(results: Sequence[QuestionResult]) -> str:
    bad = {Status.ERROR, Status.TIMEOUT}
    return "partial" if any(c.status in bad for q in results for c in q.checks) else "graded"


def message_of(status: str, results: Sequence[QuestionResult], notes: Sequence[str]) -> str:
    if status == "partial":
        n = sum(1 for q in results for c in q.checks if c.status in (Status.ERROR, Status.TIMEOUT))
        msg = ngettext("{n} check raised, crashed or timed out", "{n} checks raised, crashed or timed out", n).format(
            n=n
        )
    else:
        msg = ""
    if notes:
        noted = ngettext("{n} note (see report)", "{n} notes (see report)", len(notes)).format(n=len(notes))
        msg = "; ".join(filter(None, [msg, noted]))
    return msg


def report_data(job: Job, status: str, problems: Sequence[str]) -> report_mod.ReportData:
    version = _("version {version}").format(version=job.rubric.version)
    facts = [
        (_("submission"), job.id),
        (_("status"), status),  # the machine value, as in gradebook.csv
        (_("layout"), job.layout.kind if job.layout else "-"),
        (_("edition"), job.edition.name if job.edition else "-"),
        (_("graded"), dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()),
        ("a2kit", __version__),
        (_("rubric"), f"{Path(job.rubric.path).name} ({version})"),
        (_("isolation"), "isolate: true" if job.rubric.isolate else "isolate: false"),
    ]
    return report_mod.ReportData(
        title=f"{job.rubric.assignment}: {job.id}",
        results=job.results,
        facts=facts,
        problems=list(problems),
        notebook_runs=job.notebook_runs,
        notebooks=job.layout.notebooks if job.layout else (),
    )


def pdf(job: Job) -> dict[str, bytes]:
    """``grade --pdf``: the submission's notebooks (executed ones with ``--execute-notebooks``) as one PDF."""
    from .. import notebooks as nbmod
    from .. import pdf as pdf_mod
    from ..render import bounded

    if job.notebook_runs is not None:
        sections = [s for s in report_mod.notebook_sections(job.notebook_runs, ()) if s.body]
    else:
        sections = []
        for path in job.layout.notebooks if job.layout else ():
            try:
                sections.append(bounded.notebook_section(nbmod.read(path), path.name))
            except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted
                job.notes.append(
                    _("{name}: not in the PDF ({error})").format(name=path.name, error=exc.__class__.__name__)
                )
    if not sections:
        job.notes.append(_("no PDF written: no notebook to print"))
        return {}
    target = job.tmp / pdf_mod.PDF_NAME
    try:
        pdf_mod.write(pdf_mod.notebooks_page(sections, title=f"{job.rubric.assignment}: {job.id}"), target)
    except pdf_mod.PdfUnavailable as exc:
        job.notes.append(_("no PDF written: {error}").format(error=exc))
        return {}
    return {pdf_mod.PDF_NAME: target.read_bytes()}
