"""``python -m grader grade``: grade submissions with hidden inputs, each isolated, many at once.

For every submission (a zip or a folder; a folder holding several zips or
folders and no package of its own stands for each of them) the pipeline is
the list ``STEPS``, run in order on one ``_Job``:

1. ``unpack``: extract the zip or copy the folder into a private temp dir
   (``grader.unpack.unpack``: no escapes, no bombs, junk skipped);
2. ``detect layout``: find ``student/`` or ``cs231n/`` (``detect_layout``);
3. ``assemble``: the pristine tree (the released package with only the
   student-editable files taken from the submission); its notes (modified
   non-editable files, missing files) go into the report and results.json;
4. ``run checks``: every check of the rubric in ONE sandboxed child process
   (``grader.runner.run_checks`` through ``grader.sandbox.Sandbox``, showing
   only the assembled tree; a fresh child only after a crash or a timeout) on
   its public case and K HIDDEN draws (the rubric's ``hidden_cases``), drawn
   from seeds derived from the secret (``HiddenFixtures``), packed into one
   task (``grader.checks.cases``) under the check's timeout;
5. ``run notebooks`` (``execute_notebooks`` only): each notebook of the
   submission executed top to bottom by nbclient in a sandbox of its own
   (``grader.runner.run_notebooks``), per-cell timeout; a failure is a note
   in the report, never a score change;
6. ``score``: on the trusted side, against expected values the reference
   computed in this process (``fixtures.compute``), once per check for the
   whole batch;
7. ``render`` (``_finish``): ``results.json`` (Gradescope format, with an
   ``a2kit`` field) and ``report.html`` as text; the caller writes them to
   ``DIR/<id>/`` (``write_outputs``).

A failure at any step gives a row with status ``error`` and the one-line
reason; the batch goes on. Status ``graded``: every check ended pass, fail or
not implemented; ``partial``: some check raised, crashed or timed out.

Scale: ``grade(..., workers=N)`` grades N submissions at once on threads (the
work is in the sandboxed children; the trusted side's per-submission state is
private to its ``_Job`` and temp folder); ``grade(..., scheduler=ADDRESS)``
sends ``grade_remote(RemoteTask)`` to a Dask distributed cluster instead and
gets ``Graded`` (row and file texts) back. In both cases only the calling
thread writes into ``DIR``: ``DIR/<id>/report.html`` then ``results.json``
as each submission ends, ``DIR/gradebook.csv`` (``submission``, ``status``,
one column per question of the rubric, ``total``, ``max_total``,
``message``; the rows finished so far, in submission order) after each, and
``DIR/summary.html`` (``grader.render.summary``) every ``summary_every``
submissions and at the end, all atomically, so a batch killed midway leaves
valid files. The output folder is the gradebook (``grader.gradebook``):
``gradebook.csv`` and ``summary.html`` hold every submission graded into
``DIR`` by any run, sorted by id; a submission is graded again only when its
content, the rubric, the grader's version or the secret changed since its
``results.json`` (whose ``a2kit.hashes`` records them), when it was an
``error``, or with ``force``.

The secret: ``seed`` (``--seed``), else the environment variable
``A2KIT_SECRET``, else the file ``.a2kit-secret`` in the project root, created
with a random value (mode 0600) on first use. Keep it out of the handout; the
same secret gives the same hidden inputs, so regrades are reproducible.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import datetime as dt
import io
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from . import __version__
from . import fixtures as fixtures_mod
from . import gradebook as gradebook_mod
from . import ids as ids_mod
from . import late as late_mod
from . import rubric as rubric_mod
from . import unpack as unpack_mod
from .atomic import atomic_write, atomic_write_text
from .checks import cases as cases_mod
from .checks import registry
from .checks.base import MODULES, Case, Impl
from .gradebook import Row
from .paths import project_root
from .q5_notebook import q5_from_notebook
from .results import QuestionResult, Status
from .runner import NotebookRun, Task, npz_bytes, run_checks, run_notebooks
from .sandbox import NOTEBOOK_GRADER_FILES, NOTEBOOK_LIMITS
from .scoring import score_question

SECRET_ENV = "A2KIT_SECRET"
SECRET_FILE = ".a2kit-secret"
GRADEBOOK = "gradebook.csv"
RESULTS = "results.json"
REPORT = "report.html"
SUMMARY = "summary.html"

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
            raise ValueError(f"{path}: empty secret file") from None
        return value
    with os.fdopen(fd, "w") as f:
        value = secrets.token_hex(32)
        f.write(value + "\n")
    return value


# ---------------------------------------------------------------------------
# Which submissions


def submission_id(path: Path) -> str:
    """The submission's safe id (``grader.ids.safe_id``) from its file or folder name."""
    return ids_mod.safe_id(original_name(path))


def original_name(path: Path) -> str:
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
    """The cases of each check under ``grade`` and the reference's expected values, computed on first use.

    Draw 0 is the public case (``grade`` is never more lenient than
    ``check``); draws 1..K are hidden, drawn from seeds derived from the
    secret (draw 1 from the secret itself, draw i from ``secret#i``), with
    ``hidden=Draw(i)`` so that generators can cover their edges on purpose
    (``grader.checks.common.edge``).

    ``public=True``: the public case only (the one ``check`` runs), for the
    Gradescope bundle's visible public tests.
    """

    def __init__(self, secret: str, release_root: Path, *, public: bool = False):
        self.secret = secret
        self.public = public
        self.release_root = release_root
        self._cache: dict[tuple[str, int], fixtures_mod.Fixture] = {}
        self._payloads: dict[tuple[str, int], bytes] = {}
        self._reference: Impl | None = None

    def fixture(self, check_id: str, draw: int) -> fixtures_mod.Fixture:
        key = (check_id, draw)
        if key not in self._cache:
            if self._reference is None:
                root = str(self.release_root)
                if root not in sys.path:
                    sys.path.insert(0, root)
                self._reference = Impl("reference")
            check = registry.all_checks()[check_id]
            if draw == cases_mod.PUBLIC:
                case = fixtures_mod.case_for(check)
            else:
                salt = self.secret if draw == 1 else f"{self.secret}#{draw}"
                case = fixtures_mod.case_for(check, salt=salt, hidden=cases_mod.Draw(draw))
            self._cache[key] = fixtures_mod.compute(check, case, self._reference)
        return self._cache[key]

    def __getitem__(self, check_id: str) -> fixtures_mod.Fixture:
        """The first hidden draw (``public``: the public case)."""
        return self.fixture(check_id, cases_mod.PUBLIC if self.public else 1)

    def draws(self, check_id: str, k: int) -> list[fixtures_mod.Fixture]:
        """The public case then ``k`` hidden draws (``public``: the public case alone)."""
        first = self[check_id]
        if self.public:
            return [first]
        return [self.fixture(check_id, 0), first, *(self.fixture(check_id, i) for i in range(2, k + 1))]

    def packed(self, check_id: str, k: int) -> Case:
        return cases_mod.pack([f.case for f in self.draws(check_id, k)])

    def payload(self, check_id: str, k: int = 1) -> bytes:
        """The packed cases' arrays as ``.npz`` bytes, serialized once for the batch."""
        key = (check_id, k)
        if key not in self._payloads:
            self._payloads[key] = npz_bytes(self.packed(check_id, k).arrays)
        return self._payloads[key]


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
    execute_notebooks: bool = False
    layout: unpack_mod.Layout | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    outcomes: dict = dataclasses.field(default_factory=dict)
    results: list[QuestionResult] = dataclasses.field(default_factory=list)
    notebook_runs: list[NotebookRun] | None = None  # None: notebooks not executed
    started: float = dataclasses.field(default_factory=time.monotonic)
    pdf: bool = False  # grade --pdf
    submitted_at: object = None  # datetime.datetime when the late policy applies
    edition: object = None  # grader.editions.Edition (cs231n layout), set by _step_edition


def _step_unpack(job: _Job) -> None:
    unpack_mod.unpack(job.submission, job.tmp / "unpacked")


def _step_detect(job: _Job) -> None:
    job.layout = unpack_mod.detect_layout(job.tmp / "unpacked", job.submission)


def _step_edition(job: _Job) -> None:
    """cs231n layout: its edition (the rubric's, else detected); the checks it lacks are not applicable."""
    if job.layout.kind != "cs231n":
        return
    from . import editions

    if job.rubric.edition:
        job.edition, how = editions.lookup(job.rubric.edition), "as the rubric or --edition says"
    else:
        job.edition, how = editions.detect(job.layout.package_dir, job.layout.notebooks)
    job.rubric, dropped = editions.apply_to_rubric(job.rubric, job.edition)
    note = f"cs231n edition {job.edition.name} ({how})"
    if dropped:
        note += f"; not applicable (not run, no points at stake): {', '.join(dropped)}"
    if _numpy_compat(job):
        note += "; NumPy's removed aliases (np.int, np.float, ...) restored"
    job.notes.insert(0, note)


def _numpy_compat(job: _Job) -> bool:
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


def _step_assemble(job: _Job) -> None:
    job.notes = unpack_mod.assemble(
        job.layout,
        job.release_root / "student",
        job.tmp / "tree",
        editable=_editable(job.release_root),
        graded=graded_by(job.rubric),
    )
    if any(q.id == "q5" for q in job.rubric.questions):
        job.notes = q5_from_notebook(job.layout, job.tmp / "tree" / job.layout.package, job.notes)


def _step_run(job: _Job) -> None:
    checks = registry.all_checks()
    tasks = []
    for q in job.rubric.questions:
        for spec in q.checks:
            check = checks[spec.id]
            k = job.rubric.draws(spec)
            case, payload = job.hidden.packed(spec.id, k), job.hidden.payload(spec.id, k)
            # one time limit for all the check's cases: they take milliseconds each on correct code,
            # the rubric's timeouts are seconds, and a hang costs one timeout, not one per case
            tasks.append(Task(spec.id, case, spec.timeout or check.timeout, payload))
    tree = job.tmp / "tree"
    job.outcomes = run_checks(
        job.layout.package,
        [str(tree)],
        tasks,
        launcher=job.launcher_factory(tree),
        edition=job.edition.name if job.edition else None,
        numpy_compat=_numpy_compat(job),
    )


def _step_notebooks(job: _Job) -> None:
    """With ``execute_notebooks``: run each notebook in a sandbox of its own; failures are notes, not scores."""
    if not job.execute_notebooks or not job.layout.notebooks:
        return
    from .sandbox import Sandbox

    job.notebook_runs = run_notebooks(
        job.layout.notebooks,
        tree=job.tmp / "tree",
        package=job.layout.package,
        release_root=job.release_root,
        workdir=job.tmp,
        launcher=Sandbox(limits=NOTEBOOK_LIMITS, grader_files=NOTEBOOK_GRADER_FILES),
    )


def _step_score(job: _Job) -> None:
    checks = registry.all_checks()
    fixtures = {
        spec.id: job.hidden.draws(spec.id, job.rubric.draws(spec)) for q in job.rubric.questions for spec in q.checks
    }
    hidden = not job.hidden.public  # hidden cases: no value of them in any message (issue 11)
    strict = bool(job.rubric.strict_shapes)
    job.results = [
        score_question(q, checks, job.outcomes, fixtures, hidden=hidden, strict_shapes=strict)
        for q in job.rubric.questions
    ]
    warned = [
        c.check_id for q in job.results for c in q.checks if c.passed and c.message.startswith("passed with a warning")
    ]
    if warned:
        job.notes.append(
            f"shape warning (full points; rubric strict_shapes: true fails them): {', '.join(warned)} "
            "returned right values in a shape differing only by singleton dimensions"
        )


#: The pipeline, in order. ``render`` is done by ``_finish`` (it also runs for errors).
STEPS: list[tuple[str, Callable[[_Job], None]]] = [
    ("unpack", _step_unpack),
    ("detect layout", _step_detect),
    ("assemble", _step_assemble),
    ("edition", _step_edition),  # after assemble (which starts the notes)
    ("run checks", _step_run),
    ("run notebooks", _step_notebooks),
    ("score", _step_score),
]

_EDITABLE: dict[Path, list[Path]] = {}
_EDITABLE_LOCK = threading.Lock()


def _editable(release_root: Path) -> list[Path]:
    with _EDITABLE_LOCK:
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


def _notebook_sections(job: _Job) -> list:
    """Executed notebooks (sanitized) with ``execute_notebooks``; else a cheap overview of the saved ones.

    Rendering a notebook through nbconvert and the HTML cleaner costs about a
    second each, several times the checks themselves, so code-only grading
    lists each saved notebook (cells run, problems ``collect`` would refuse,
    the inline answers as plain text) instead of rendering it.
    """
    from . import notebooks as nbmod
    from .render import html

    if job.layout is None:
        return []
    if job.notebook_runs is not None:
        sections = []
        for run in job.notebook_runs:
            note = f"executed in the sandbox in {run.seconds:.1f} s" + (f"; {run.message}" if run.message else "")
            if run.notebook is None:
                sections.append(html.Section(title=run.name, body=html.Markup(""), note=note))
                continue
            try:
                sections.append(html.notebook_section(run.notebook, run.name, note=note))
            except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted, not fatal
                sections.append(
                    html.Section(
                        title=run.name,
                        body=html.Markup(""),
                        note=f"{note}; could not be rendered ({exc.__class__.__name__})",
                    )
                )
        return sections
    items = []
    for path in job.layout.notebooks:
        try:
            nb = _read_unvalidated(path)
            items.append(html.notebook_overview(nb, path.name, nbmod.problems(nb, path.name)))
        except Exception as exc:  # noqa: BLE001 - an unreadable or malformed notebook is one line
            items.append(
                html.NotebookOverview(path.name, 0, 0, (f"not a readable notebook ({exc.__class__.__name__})",), ())
            )
    return [html.notebooks_overview_section(items)] if items else []


def _read_unvalidated(path: Path):
    """A saved notebook for the overview: JSON as is (schema validation costs more than the rest of the report)."""
    import nbformat

    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or data.get("nbformat", 0) < 4:
        return nbformat.reads(text, as_version=4)  # older formats are converted (and validated)
    return nbformat.from_dict(data)


def _report(job: _Job, status: str, problems: Sequence[str]) -> str:
    from .render import html

    facts = [
        ("submission", job.id),
        ("status", status),
        ("layout", job.layout.kind if job.layout else "-"),
        ("edition", job.edition.name if job.edition else "-"),
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
        sections=_notebook_sections(job),
    )


@dataclasses.dataclass
class Graded:
    """What grading one submission produced: its row and the files of ``DIR/<id>/`` (name -> text).

    Plain, picklable data: with ``--scheduler`` it is what comes back from a
    Dask worker, and the client writes the files.
    """

    row: Row
    files: dict[str, str]
    blobs: dict[str, bytes] = dataclasses.field(default_factory=dict)  # binary files (``grade --pdf``)


def _finish(job: _Job, status: str, message: str) -> Graded:
    from .render import gradescope

    blobs = _pdf(job) if job.pdf and status != "error" else {}  # first: its notes go into both files
    scores = {q.id: 0.0 for q in job.rubric.questions}
    scores.update({q.question: float(q.points) for q in job.results})
    total = float(sum(scores.values()))
    row = Row(job.id, status, scores, total, float(job.rubric.max_total), message)
    problems = ([message] if status == "error" else []) + list(job.notes)
    seconds = time.monotonic() - job.started
    a2kit = {
        "submission": job.id,
        "original_name": original_name(job.submission),
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
    output = message if status == "error" else "\n".join([f"Total: {total:g} / {row.max_total:g}", *job.notes])
    visibility = {c.id: c.visibility for q in job.rubric.questions for c in q.checks}
    data = gradescope.results_json(
        job.results, execution_time=seconds, output=output, a2kit=a2kit, visibility=visibility
    )
    data["score"] = late["final"] if late else total
    # the report first: results.json is what marks the submission as graded
    files = {REPORT: _report(job, status, problems), RESULTS: json.dumps(data, indent=2) + "\n"}
    return Graded(row, files, blobs)


def _pdf(job: _Job) -> dict[str, bytes]:
    """``grade --pdf``: the submission's notebooks (executed ones with ``--execute-notebooks``) as one PDF."""
    from . import notebooks as nbmod
    from . import pdf as pdf_mod
    from .render import html

    if job.notebook_runs is not None:
        sections = [s for s in _notebook_sections(job) if s.body]
    else:
        sections = []
        for path in job.layout.notebooks if job.layout else ():
            try:
                sections.append(html.notebook_section(nbmod.read(path), path.name))
            except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted
                job.notes.append(f"{path.name}: not in the PDF ({exc.__class__.__name__})")
    if not sections:
        job.notes.append("no PDF written: no notebook to print")
        return {}
    target = job.tmp / pdf_mod.PDF_NAME
    try:
        pdf_mod.write(pdf_mod.notebooks_page(sections, title=f"{job.rubric.assignment}: {job.id}"), target)
    except pdf_mod.PdfUnavailable as exc:
        job.notes.append(f"no PDF written: {exc}")
        return {}
    return {pdf_mod.PDF_NAME: target.read_bytes()}


def write_outputs(out: Path, graded: Graded) -> None:
    """``DIR/<id>/report.html`` then ``DIR/<id>/results.json``, each atomically."""
    sub = Path(out) / graded.row.submission
    sub.mkdir(parents=True, exist_ok=True)
    for name, data in graded.blobs.items():
        atomic_write(sub / name, lambda tmp, data=data: tmp.write_bytes(data))
    for name in (REPORT, RESULTS):
        if name in graded.files:
            atomic_write_text(sub / name, graded.files[name])


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
        late=meta.get("late"),
    )


def gradebook_text(rows: Sequence[Row], rubric: rubric_mod.Rubric) -> str:
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


def grade_submission(
    submission: Path,
    sid: str,
    *,
    rubric: rubric_mod.Rubric,
    hidden: HiddenFixtures,
    release_root: Path,
    launcher_factory: Callable[[Path], object] = default_launcher_factory,
    execute_notebooks: bool = False,
    submitted_at=None,
    pdf: bool = False,
) -> Graded:
    """Run ``STEPS`` on one submission; nothing is written (see ``write_outputs``). Thread-safe.

    ``submitted_at`` (an aware datetime): the rubric's late policy applies to this time.
    """
    tmp = Path(tempfile.mkdtemp(prefix="a2kit-grade-"))
    os.chmod(tmp, 0o755)
    job = _Job(submission, sid, tmp, rubric, hidden, release_root, launcher_factory, execute_notebooks)
    job.submitted_at = submitted_at
    job.pdf = pdf
    try:
        for name, step in STEPS:
            try:
                step(job)
            except unpack_mod.SubmissionError as exc:
                job.results = []
                return _finish(job, "error", str(exc))
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                job.results = []
                return _finish(job, "error", f"{name} failed: {exc.__class__.__name__}: {exc}"[:500])
        status = _status_of(job.results)
        return _finish(job, status, _message(status, job.results, job.notes))
    finally:
        unpack_mod.remove_tree(tmp)


# ---------------------------------------------------------------------------
# Dask: the per-submission function that crosses to the cluster


@dataclasses.dataclass(frozen=True)
class RemoteTask:
    """Everything a Dask worker needs to grade one submission (picklable).

    The worker must see ``submission`` and ``release_root`` at the same paths
    (a shared file system) and have a2kit installed; it recomputes the hidden
    fixtures from ``secret`` once per process. The secret travels to the
    workers: use a cluster only you control.
    """

    submission: str
    sid: str
    rubric: rubric_mod.Rubric
    secret: str
    release_root: str
    execute_notebooks: bool = False
    launcher_factory: Callable[[Path], object] = default_launcher_factory


_HIDDEN: dict[tuple[str, str], HiddenFixtures] = {}
_HIDDEN_LOCK = threading.Lock()


def _hidden_for(secret: str, release_root: Path, rubric: rubric_mod.Rubric) -> HiddenFixtures:
    """This process's ``HiddenFixtures`` for (secret, release), with the rubric's checks computed."""
    with _HIDDEN_LOCK:
        key = (secret, str(release_root))
        hidden = _HIDDEN.setdefault(key, HiddenFixtures(secret, release_root))
        for q in rubric.questions:
            for spec in q.checks:
                try:
                    hidden.payload(spec.id, rubric.draws(spec))
                except NotImplementedError as exc:  # the reference's optional dependency (torch for q5) is missing
                    raise ReferenceUnavailable(
                        f"{rubric.path}: {q.id} cannot be graded here: {exc}; or grade with a rubric without {q.id}"
                    ) from None
        return hidden


class ReferenceUnavailable(RuntimeError):
    """The reference cannot compute a question's expected values on this machine (a missing optional extra)."""


def grade_remote(task: RemoteTask) -> Graded:
    """Grade one submission on a Dask worker; the client writes the outputs."""
    release_root = Path(task.release_root)
    hidden = _hidden_for(task.secret, release_root, task.rubric)
    return grade_submission(
        Path(task.submission),
        task.sid,
        rubric=task.rubric,
        hidden=hidden,
        release_root=release_root,
        launcher_factory=task.launcher_factory,
        execute_notebooks=task.execute_notebooks,
    )


class SchedulerError(RuntimeError):
    """``--scheduler`` cannot be used: dask.distributed missing or the scheduler unreachable."""


def _run_dask(
    scheduler: str, tasks: Sequence[tuple[int, RemoteTask]], on_done: Callable[[int, Graded | BaseException], None]
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs dask.distributed: pip install 'a2kit[dask]'") from None
    try:
        client = Client(scheduler, set_as_default=False, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    with client:
        futures = {}
        for i, task in tasks:
            fut = client.submit(grade_remote, task, pure=False, key=f"a2kit-grade-{i}-{secrets.token_hex(4)}")
            futures[fut] = i
        for fut in as_completed(list(futures), loop=client.loop):  # this client, not a default one
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost or a bug: that submission's row says so
                result = exc
            on_done(futures[fut], result)


# ---------------------------------------------------------------------------
# The batch


class Reporter(Protocol):
    """Progress of a batch (``grader.progress.ProgressBar`` is one)."""

    def start(self, total: int, skipped: int = 0) -> None: ...

    def done(self, row: Row) -> None: ...

    def finish(self) -> None: ...


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _plan(submissions: Sequence[Path]) -> list[tuple[Path, str]]:
    plan: list[tuple[Path, str]] = []
    seen: set[str] = set()
    paths: set[Path] = set()
    for sub in expand(submissions):
        real = Path(sub).resolve()
        if real in paths:  # the same path given twice is graded once
            continue
        paths.add(real)
        sid = ids_mod.unique(submission_id(sub), seen, (GRADEBOOK, SUMMARY))
        plan.append((sub, sid))
    return plan


def write_summary(out: Path, ids: Sequence[str], *, title: str = "Grading summary") -> None:
    """``DIR/summary.html`` rebuilt from the ``results.json`` of ``ids`` (atomically)."""
    from .render import summary

    atomic_write_text(Path(out) / SUMMARY, summary.render(summary.load(out, ids), title=title))


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
    workers: int | None = None,
    scheduler: str | None = None,
    execute_notebooks: bool = False,
    reporter: Reporter | None = None,
    summary_every: int = 25,
    submitted_at: dict | None = None,
    pdf: bool = False,
) -> list[Row]:
    """Grade every submission into ``out``; one ``Row`` per submission, in submission order.

    ``workers`` submissions are graded at once (threads, each driving its
    sandboxed child processes; default: the number of cores); with
    ``scheduler`` (a Dask distributed address) the per-submission work runs on
    that cluster instead. Either way the outputs are written here, by this
    thread only: ``DIR/<id>/`` as each submission ends, ``gradebook.csv`` (rows
    finished so far, in submission order) after each, ``summary.html`` every
    ``summary_every`` submissions and at the end. ``progress(row)`` and
    ``reporter.done(row)`` are called as submissions end (completion order;
    already graded ones first). ``submitted_at``: submission id -> aware
    datetime, for the rubric's late policy.
    """
    release_root = Path(release_root or project_root()).resolve()
    rubric = rubric or rubric_mod.load()
    secret = resolve_secret(seed, release_root)
    hidden = _hidden_for(secret, release_root, rubric)  # a failure here is the grader's, not a student's
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(submissions)
    rows: list[Row | None] = [None] * len(plan)
    rubric_digest = gradebook_mod.rubric_hash(rubric)
    hashes: list[dict[str, str]] = []
    why: list[str] = []
    for i, (sub, sid) in enumerate(plan):
        try:
            fp = gradebook_mod.fingerprint(sub, rubric, secret, rubric_digest=rubric_digest)
        except OSError:  # unreadable: grading it says why, in its row
            fp = {}
        hashes.append(fp)
        existing = out / sid / RESULTS
        decision = gradebook_mod.decide(existing, fp, force=force)
        why.append(decision.verb)
        if not decision.grade:
            try:
                rows[i] = row_from_results(existing, rubric)
                rows[i].submission = sid
                rows[i].why = decision.verb
            except Exception:  # noqa: BLE001 - an unreadable results.json is regraded
                rows[i] = None
                why[i] = "regraded because its results.json was unreadable"
    todo = [i for i, r in enumerate(rows) if r is None]
    if reporter:
        reporter.start(len(plan), len(plan) - len(todo))
    if progress:
        for r in rows:
            if r is not None:
                progress(r)

    # the rows already in DIR, read once: a submission being regraded keeps its old row until its new one
    on_disk = {r.submission: r for r in gradebook_mod.merged(out, [], rubric, row_from_results)}

    def write_gradebook(summary: bool = False) -> None:
        now = {**on_disk, **{r.submission: r for r in rows if r is not None}}
        every = [now[k] for k in sorted(now)]
        atomic_write_text(out / GRADEBOOK, gradebook_text(every, rubric))
        if summary:
            write_summary(out, [r.submission for r in every], title=_title(rubric))

    write_gradebook()
    finished = 0

    def on_done(i: int, result: Graded | BaseException) -> None:
        nonlocal finished
        sid = plan[i][1]
        row = None
        if isinstance(result, Graded):
            try:
                if hashes[i] and RESULTS in result.files:
                    result.files[RESULTS] = gradebook_mod.with_hashes(result.files[RESULTS], hashes[i])
                write_outputs(out, result)
                row = result.row
            except Exception as exc:  # noqa: BLE001 - even a failure to write the outputs is one row
                result = exc
        if row is None:
            row = Row(
                sid,
                "error",
                {q: 0.0 for q in rubric.question_ids},
                0.0,
                float(rubric.max_total),
                f"{result.__class__.__name__}: {result}"[:500],
            )
        row.why = why[i]
        rows[i] = row
        finished += 1
        write_gradebook(summary=bool(summary_every and finished % summary_every == 0))
        if progress:
            progress(row)
        if reporter:
            reporter.done(row)

    def local(i: int) -> Graded:
        sub, sid = plan[i]
        return grade_submission(
            sub,
            sid,
            rubric=rubric,
            hidden=hidden,
            release_root=release_root,
            launcher_factory=launcher_factory,
            execute_notebooks=execute_notebooks,
            submitted_at=(submitted_at or {}).get(sid),
            pdf=pdf,
        )

    try:
        if scheduler:
            tasks = [
                (
                    i,
                    RemoteTask(
                        str(Path(plan[i][0]).resolve()),
                        plan[i][1],
                        rubric,
                        secret,
                        str(release_root),
                        execute_notebooks,
                        launcher_factory,
                    ),
                )
                for i in todo
            ]
            _run_dask(scheduler, tasks, on_done)
        elif workers == 1 or len(todo) <= 1:
            for i in todo:
                try:
                    result: Graded | BaseException = local(i)
                except Exception as exc:  # noqa: BLE001
                    result = exc
                on_done(i, result)
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="a2kit-grade") as pool:
                futures = {pool.submit(local, i): i for i in todo}
                try:
                    for fut in concurrent.futures.as_completed(futures):
                        exc = fut.exception()
                        on_done(futures[fut], exc if exc is not None else fut.result())
                except BaseException:
                    for fut in futures:
                        fut.cancel()
                    raise
    finally:
        write_gradebook(summary=True)
        if reporter:
            reporter.finish()
    return [r for r in rows if r is not None]


def _title(rubric: rubric_mod.Rubric) -> str:
    return f"{rubric.assignment}: grading summary"
